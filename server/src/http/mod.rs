//! The server's edges: what every request passes before the router sees it.
//! One file per concern, applied in this order by [`layer`] (outermost
//! first): the client's address and scheme ([`client`]), security headers
//! ([`headers`]), header sizes ([`rejections`]), the `Host` check
//! ([`host`]), CORS and the Origin/CSRF check ([`origin`]), the request
//! timeout ([`timeout`]), write rate limits and WebSocket caps ([`limits`]).
//! Every refusal is the API's JSON error ([`rejections::EdgeError`]).
//!
//! The settings are [`EdgeConfig`] (a field of `crate::Config`, flags in
//! `crate::serve`); binding, TLS and the connection timeouts live in
//! `crate::serve`.

pub mod client;
pub mod headers;
pub mod host;
pub mod limits;
pub mod origin;
pub mod rejections;
pub mod timeout;

pub use client::{Client, Tls, PLACEHOLDER_ADDR};

use axum::middleware;
use axum::Router;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// What the edges accept. `Default` is what the server runs with unless told
/// otherwise (and what tests get from `Config::new`).
#[derive(Clone, Debug)]
pub struct EdgeConfig {
    /// Names (without port) a request's `Host` may carry besides the
    /// defaults (`localhost`, any IP literal): `--allowed-host` and the
    /// listen host.
    pub allowed_hosts: Vec<String>,
    /// Origins (`scheme://host[:port]`) trusted like the server's own: they
    /// may open `/ws` and send cookie-authenticated writes.
    pub allowed_origins: Vec<String>,
    /// Origins given CORS headers (for bearer-key clients on another site);
    /// none means no CORS at all.
    pub cors_origins: Vec<String>,
    /// Peers whose `X-Forwarded-For`/`X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Longest time to produce a response (not to stream it).
    pub request_timeout: Duration,
    /// Writes (every method but GET, HEAD, OPTIONS) per identity.
    pub identity_writes: Rate,
    /// Writes per client address (many identities behind one NAT).
    pub address_writes: Rate,
    /// Open WebSocket connections per identity; 0 = no cap.
    pub ws_per_identity: usize,
    /// Open WebSocket connections in total; 0 = no cap.
    pub ws_total: usize,
    /// Largest total size of a request's header block, in bytes.
    pub max_header_bytes: usize,
}

/// A rate: `per_second` on average, up to `burst` at once; `per_second`
/// 0 switches the limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for EdgeConfig {
    fn default() -> EdgeConfig {
        EdgeConfig {
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            request_timeout: Duration::from_secs(30),
            identity_writes: Rate {
                per_second: 20,
                burst: 100,
            },
            address_writes: Rate {
                per_second: 100,
                burst: 400,
            },
            ws_per_identity: 32,
            ws_total: 4096,
            max_header_bytes: 32 * 1024,
        }
    }
}

/// Wraps the router in the edge layers (see the module's first lines for the
/// order).
pub fn layer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: &EdgeConfig,
) -> Router<S> {
    let hosts = Arc::new(host::HostPolicy::new(config));
    let origins = Arc::new(origin::OriginPolicy::new(config));
    let limits = Arc::new(limits::Limits::new(config));
    let proxies = Arc::new(client::Proxies::new(config));
    let timeout = config.request_timeout;
    let max_header_bytes = config.max_header_bytes;
    let mut router = router
        .layer(middleware::from_fn_with_state(limits, limits::enforce))
        .layer(middleware::from_fn_with_state(timeout, timeout::enforce))
        .layer(middleware::from_fn_with_state(origins, origin::enforce));
    if let Some(cors) = origin::cors(config) {
        router = router.layer(cors);
    }
    router
        .layer(middleware::from_fn_with_state(hosts, host::enforce))
        .layer(middleware::from_fn_with_state(
            max_header_bytes,
            rejections::limit_headers,
        ))
        .layer(middleware::from_fn(headers::security_headers))
        .layer(middleware::from_fn_with_state(proxies, client::resolve))
}
