//! `pingan-server`: serves the Ping'an Map app, its layer files and API;
//! `pingan-server user …` / `key …` manage accounts (`cli.rs`).
//! See docs/api.md.

mod cli;

use anyhow::Context;
use clap::Parser;
use pingan_server::auth::AuthConfig;
use pingan_server::{app, AppState, Config};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Companion server of Ping'an Map (平安地图).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Manage accounts instead of serving.
    #[command(subcommand)]
    command: Option<cli::Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free port (the log line
    /// `listening on http://ADDR` tells which).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Directory of the layer files (grids.geojson, ..., cases_recent.bin).
    #[arg(long, default_value = "data", global = true)]
    data_dir: PathBuf,
    /// trunk's build output (index.html and hashed JS/WASM).
    #[arg(long, default_value = "dist")]
    dist_dir: PathBuf,
    /// The live store (SQLite file); default `<data-dir>/live.sqlite`.
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Do not create the demo accounts on a fresh store; the first start
    /// then creates `admin` with a random password, printed once.
    #[arg(long)]
    no_demo_accounts: bool,
    /// Lifetime of a login session, in hours.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=24 * 90))]
    session_hours: u32,
    /// Produce live activity (readings, storms, gas leaks, cases and their
    /// processing) through the same path as real input.
    #[arg(long)]
    simulate: bool,
    /// Simulated seconds per real second (60 = a simulated minute per second).
    #[arg(long, default_value_t = 1.0, value_parser = parse_factor)]
    time_factor: f64,
    /// Seed of the simulator's random choices.
    #[arg(long, default_value_t = 2026)]
    sim_seed: u64,
    /// Days of the event log kept (older events are pruned hourly; replays
    /// that reach further get a snapshot); 0 keeps everything.
    #[arg(long, default_value_t = 7)]
    retain_days: u32,
    /// Days of the audit log kept (older entries are pruned daily); at
    /// least the 180 days (six months) network logs must be kept; 0 keeps
    /// everything.
    #[arg(long, default_value_t = pingan_server::audit::DEFAULT_RETAIN_DAYS, value_parser = retain_days)]
    audit_retain_days: u32,
    /// Names, origins, TLS, timeouts and limits (serve.rs).
    #[command(flatten)]
    serve: pingan_server::serve::ServeArgs,
}

fn parse_factor(s: &str) -> Result<f64, String> {
    let f: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    if f.is_finite() && f > 0.0 && f <= 100_000.0 {
        Ok(f)
    } else {
        Err(format!(
            "{s}: the time factor must be > 0 and at most 100000"
        ))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(cmd) = args.command {
        let db = args
            .db
            .clone()
            .unwrap_or_else(|| args.data_dir.join("live.sqlite"));
        let data_dir = args.data_dir.clone();
        return tokio::task::spawn_blocking(move || cli::run(cmd, &db, &data_dir))
            .await
            .context("the account command")?;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let config = Config {
        data_dir: args.data_dir.clone(),
        dist_dir: args.dist_dir.clone(),
        db_path: args.db.clone(),
        edge: args.serve.edge(&args.host),
        auth: AuthConfig {
            demo_accounts: !args.no_demo_accounts,
            session_ttl: Duration::from_secs(u64::from(args.session_hours) * 3600),
            ..AuthConfig::default()
        },
    };
    let state = tokio::task::spawn_blocking(move || AppState::open(config))
        .await
        .context("opening the live store")??;
    tracing::info!(
        db = %state.config().db_path().display(),
        head = state.live().hub().head(),
        "live store open"
    );
    if let Some(created) = state.auth().bootstrap() {
        // Printed, not logged: the first admin's password appears only here.
        println!("{}", pingan_server::auth::bootstrap::describe(created));
    }
    // Every 15 s: expired sessions end, and what the CLI revoked in another
    // process is announced (its streams close).
    tokio::spawn(pingan_server::auth::sweep_task(
        state.auth().clone(),
        Duration::from_secs(15),
    ));
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
    if args.simulate {
        let cfg = pingan_server::sim::SimConfig {
            time_factor: args.time_factor,
            seed: args.sim_seed,
        };
        tokio::spawn(pingan_server::sim::run(state.clone(), cfg));
    }
    tokio::spawn(pingan_server::live::retain(
        state.live().clone(),
        args.retain_days,
        std::time::Duration::from_secs(3600),
    ));
    tokio::spawn(pingan_server::audit::retain(
        state.live().store().clone(),
        args.audit_retain_days,
        std::time::Duration::from_secs(86_400),
    ));
    let warm = state.clone();
    tokio::spawn(async move { warm.warm_up().await });

    let options = args.serve.options();
    let listener = pingan_server::serve::bind(&args.host, args.port)
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!("listening on {scheme}://{addr}");
    let hub = state.live().hub().clone();
    pingan_server::serve::serve(listener, app(state), options, async move {
        shutdown_signal().await;
        // WebSocket clients get `resync{shutdown}` before the server goes.
        hub.shutdown(std::time::Duration::from_secs(2)).await;
    })
    .await
    .context("serving")?;
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

/// `--audit-retain-days`: 0 (keep everything) or at least the 180 days the
/// audit log must keep.
fn retain_days(text: &str) -> Result<u32, String> {
    let days: u32 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of days"))?;
    let min = pingan_server::store::audit::MIN_RETAIN_DAYS;
    if days != 0 && i64::from(days) < min {
        return Err(format!(
            "{days} days is shorter than the {min} days (six months) network logs must be kept; \
             give at least {min}, or 0 to keep everything"
        ));
    }
    Ok(days)
}
