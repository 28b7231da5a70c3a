//! `pingan-server`: serves the Ping'an Map app, its layer files and API.
//! See docs/api.md.

use anyhow::Context;
use clap::Parser;
use pingan_server::{app, AppState, Config};
use std::io::IsTerminal;
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

/// Companion server of Ping'an Map (平安地图).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free port (the log line
    /// `listening on http://ADDR` tells which).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Directory of the layer files (grids.geojson, ..., cases_recent.bin).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// trunk's build output (index.html and hashed JS/WASM).
    #[arg(long, default_value = "dist")]
    dist_dir: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let state = AppState::new(Config {
        data_dir: args.data_dir.clone(),
        dist_dir: args.dist_dir.clone(),
    });
    // Validate every layer now, so problems show in the log at start.
    let manifest = state.manifest().await.context("validating the layers")?;
    let failed = manifest.layers.iter().filter(|l| l.error.is_some()).count();
    tracing::info!(
        data_dir = %args.data_dir.display(),
        layers_ok = manifest.layers.len() - failed,
        layers_failed = failed,
        "layers checked"
    );
    if !args.dist_dir.join("index.html").is_file() {
        tracing::warn!(
            dist_dir = %args.dist_dir.display(),
            "the front end is not built (no index.html); `/` answers 503 until `{}` is run",
            pingan_server::error::BUILD_COMMAND
        );
    }
    let warm = state.clone();
    tokio::spawn(async move { warm.warm_up().await });

    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    tracing::info!("listening on http://{addr}");

    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing open requests");
}
