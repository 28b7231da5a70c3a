//! Serving the router on a socket: binding, optional TLS (`--tls-cert`,
//! `--tls-key`: rustls, PEM files), the connection timeouts and graceful
//! shutdown; and the flags of the edges ([`ServeArgs`], flattened into the
//! binary's arguments) that become [`EdgeConfig`].
//!
//! Each connection is served by hyper (HTTP/1.1, upgrades for `/ws`) with a
//! timer: headers must arrive within `header_timeout` (slowloris), counted
//! from the connection's start or the end of the previous response, so a
//! silent or idle keep-alive connection is closed as well. A TLS handshake must
//! finish within the same time. Every request gets `ConnectInfo<SocketAddr>`
//! and, over TLS, the [`Tls`] marker (see `http::client`). On shutdown the
//! listener closes, open connections finish their requests (WebSockets are
//! told by the hub) for up to `drain` and are then dropped.

use crate::http::{EdgeConfig, Rate, Tls};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The edges' flags (`#[command(flatten)]` in the binary's arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// A name the server answers to besides localhost, the listen host and
    /// IP addresses (repeatable): the name users type, e.g. map.example.cn.
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
    /// An origin (scheme://host[:port]) trusted like the server's own for
    /// /ws and cookie-authenticated writes (repeatable).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// An origin given CORS headers, for API-key clients on another site
    /// (repeatable; none = no CORS).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// A reverse proxy whose X-Forwarded-For/-Proto are believed (repeatable).
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    pub trusted_proxies: Vec<IpAddr>,
    /// TLS certificate chain (PEM); serves HTTPS with --tls-key.
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a response may take to start (reading the body included).
    #[arg(long, default_value_t = 30, value_name = "S")]
    pub request_timeout: u64,
    /// Seconds for a request's headers (and a TLS handshake) to arrive; an
    /// idle keep-alive connection is closed after as long.
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub header_timeout: u64,
    /// Writes per second per identity (session, key or address); 0 = no limit.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub write_rate: u32,
    /// Writes an identity may send at once before the rate applies.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub write_burst: u32,
    /// Writes per second per client address; 0 = no limit.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub address_write_rate: u32,
    /// Writes an address may send at once.
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub address_write_burst: u32,
    /// Open live connections (/ws) per identity; 0 = no cap.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub ws_per_identity: usize,
    /// Open live connections in total; 0 = no cap.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub ws_total: usize,
}

impl ServeArgs {
    /// The edges' settings; `listen_host` (`--host`) is an allowed name.
    pub fn edge(&self, listen_host: &str) -> EdgeConfig {
        let mut allowed_hosts = self.allowed_hosts.clone();
        allowed_hosts.push(listen_host.to_string());
        EdgeConfig {
            allowed_hosts,
            allowed_origins: self.allowed_origins.clone(),
            cors_origins: self.cors_origins.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            request_timeout: Duration::from_secs(self.request_timeout.max(1)),
            identity_writes: Rate {
                per_second: self.write_rate,
                burst: self.write_burst,
            },
            address_writes: Rate {
                per_second: self.address_write_rate,
                burst: self.address_write_burst,
            },
            ws_per_identity: self.ws_per_identity,
            ws_total: self.ws_total,
            ..EdgeConfig::default()
        }
    }

    /// The connection settings.
    pub fn options(&self) -> ServeOptions {
        ServeOptions {
            tls: match (&self.tls_cert, &self.tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                }),
                _ => None,
            },
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            ..ServeOptions::default()
        }
    }
}

/// The PEM files of `--tls-cert`/`--tls-key`.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// How connections are served.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub tls: Option<TlsFiles>,
    /// Headers (and a TLS handshake) must arrive within this; idle
    /// keep-alive connections close after it.
    pub header_timeout: Duration,
    /// After shutdown is asked, how long open connections may finish.
    pub drain: Duration,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            tls: None,
            header_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(10),
        }
    }
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: {detail}")]
    TlsFile { path: String, detail: String },
    #[error("the TLS certificate and key do not fit together: {0}")]
    TlsConfig(String),
}

/// The rustls configuration of `files` (HTTP/1.1 by ALPN: the WebSocket
/// stream upgrades an HTTP/1.1 connection).
pub fn tls_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, ServeError> {
    let file_error = |path: &PathBuf, e: &dyn std::fmt::Display| ServeError::TlsFile {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_error(&files.cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(&files.cert, &e))?;
    if certs.is_empty() {
        return Err(file_error(&files.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_error(&files.key, &e))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::TlsConfig(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::TlsConfig(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
/// The TLS files are read before the first connection is accepted.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let tls = match &options.tls {
        Some(files) => Some(TlsAcceptor::from(tls_config(files)?)),
        None => None,
    };
    // hyper's HTTP/1.1 connection, not its auto (h1 + h2c) builder: that
    // one reads the first bytes before the header timer starts, so a
    // connection that sends nothing would stay open. Browsers speak h2 only
    // over TLS, where ALPN offers HTTP/1.1.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .keep_alive(true);
    let builder = Arc::new(builder);
    // Each connection holds a receiver: `true` asks it to finish; when all
    // are gone, `closed()` resolves.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The live stream writes small frames, which Nagle's algorithm and
        // delayed ACKs would otherwise hold up to 40 ms.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let builder = builder.clone();
        let watcher = stopping.clone();
        let tls = tls.clone();
        let handshake = options.header_timeout;
        tokio::spawn(async move {
            match tls {
                None => connection(&builder, tcp, peer, router, false, watcher).await,
                Some(acceptor) => {
                    match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            connection(&builder, stream, peer, router, true, watcher).await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(true);
    if tokio::time::timeout(options.drain, stop.closed())
        .await
        .is_err()
    {
        tracing::info!("connections still open after the drain time are dropped");
    }
    Ok(())
}

/// Serves one connection of `io` from `peer` to its end, each request
/// marked with its `ConnectInfo` (and [`Tls`]).
async fn connection<I>(
    builder: &http1::Builder,
    io: I,
    peer: SocketAddr,
    router: Router,
    tls: bool,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        if tls {
            req.extensions_mut().insert(Tls);
        }
        router.clone().oneshot(req)
    });
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => Some(ended),
        stop = stopping.wait_for(|stop| *stop) => {
            drop(stop);
            None
        }
    };
    // Asked to stop: finish the request in flight, then close.
    let ended = match ended {
        Some(ended) => ended,
        None => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Binds `host:port` (`port` 0 picks a free port).
pub async fn bind(host: &str, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((host, port)).await
}
