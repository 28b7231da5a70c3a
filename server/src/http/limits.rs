//! Limits per client: rate limits on writes (per identity and per address,
//! GCRA by the `governor` crate) and caps on open WebSocket connections (per
//! identity and in total). Over a limit: 429 (or 503 for the server's total)
//! with `Retry-After`, before the handler runs, so nothing half-done; reads
//! are never rate-limited here, so a client held back from writing still
//! sees the map.
//!
//! The identity is the credential the request carries (the session cookie
//! or the bearer key, SHA-256-hashed, never kept in clear), else the client
//! address. A forged credential buys nothing: the per-address limit and the
//! total cap still hold, and the router refuses it. A WebSocket connection
//! holds its [`WsPermit`] (`ws/mod.rs` moves it into the connection's task) until
//! it closes.

use super::rejections::EdgeError;
use super::{Client, EdgeConfig, Rate};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Who a limit counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A credential's SHA-256 (first 16 bytes).
    Credential([u8; 16]),
    /// No credential: the client address.
    Addr(IpAddr),
}

impl Identity {
    /// The identity of a request: its bearer key or session cookie, else
    /// the client's address.
    pub fn of(headers: &HeaderMap, client: Client) -> Identity {
        use crate::auth::credential::{presented, Credential, Presented};
        match presented(headers) {
            Presented::Credential(Credential::Bearer(secret) | Credential::Cookie(secret))
                if !secret.is_empty() =>
            {
                let digest = Sha256::digest(secret.as_bytes());
                let mut id = [0u8; 16];
                id.copy_from_slice(&digest[..16]);
                Identity::Credential(id)
            }
            _ => Identity::Addr(client.addr),
        }
    }
}

/// A keyed limiter, or none when the rate is 0.
struct Limiter<K: Hash + Eq + Clone> {
    inner: Option<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(rate: Rate) -> Limiter<K> {
        let inner = NonZeroU32::new(rate.per_second).map(|per_second| {
            let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(per_second);
            RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst))
        });
        Limiter { inner }
    }

    /// `Err(seconds to wait)` when `key` is over its rate.
    fn check(&self, key: &K) -> Result<(), u64> {
        let Some(l) = &self.inner else { return Ok(()) };
        l.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Whole seconds, rounded up; never 0 ("retry now" was just refused).
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    fn forget_idle(&self) {
        if let Some(l) = &self.inner {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Open WebSocket connections, per identity and in total.
#[derive(Debug, Default)]
struct Sockets {
    open: HashMap<Identity, usize>,
    total: usize,
}

/// The limits of one server.
pub struct Limits {
    identity_writes: Limiter<Identity>,
    address_writes: Limiter<IpAddr>,
    checks: AtomicU64,
    sockets: Arc<Mutex<Sockets>>,
    ws_per_identity: usize,
    ws_total: usize,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("ws_per_identity", &self.ws_per_identity)
            .field("ws_total", &self.ws_total)
            .finish_non_exhaustive()
    }
}

/// One open WebSocket connection's place under the caps; released when the
/// last clone is dropped.
#[derive(Clone, Debug)]
pub struct WsPermit(#[allow(dead_code)] Arc<PermitInner>);

#[derive(Debug)]
struct PermitInner {
    sockets: Arc<Mutex<Sockets>>,
    identity: Identity,
}

impl Drop for PermitInner {
    fn drop(&mut self) {
        let mut s = lock(&self.sockets);
        s.total = s.total.saturating_sub(1);
        if let Some(n) = s.open.get_mut(&self.identity) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.open.remove(&self.identity);
            }
        }
    }
}

fn lock(m: &Mutex<Sockets>) -> std::sync::MutexGuard<'_, Sockets> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Limits {
    pub fn new(config: &EdgeConfig) -> Limits {
        Limits {
            identity_writes: Limiter::new(config.identity_writes),
            address_writes: Limiter::new(config.address_writes),
            checks: AtomicU64::new(0),
            sockets: Arc::default(),
            ws_per_identity: config.ws_per_identity,
            ws_total: config.ws_total,
        }
    }

    /// Counts one write of `identity` from `addr`.
    pub fn write(&self, identity: Identity, addr: IpAddr) -> Result<(), EdgeError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.identity_writes.forget_idle();
            self.address_writes.forget_idle();
        }
        let limited = |retry_after, what| EdgeError::RateLimited { what, retry_after };
        self.identity_writes
            .check(&identity)
            .map_err(|s| limited(s, "writes from you"))?;
        self.address_writes
            .check(&addr)
            .map_err(|s| limited(s, "writes from your address"))
    }

    /// A place for one more WebSocket connection of `identity`.
    pub fn open_socket(&self, identity: Identity) -> Result<WsPermit, EdgeError> {
        let mut s = lock(&self.sockets);
        if self.ws_total > 0 && s.total >= self.ws_total {
            return Err(EdgeError::TooManySockets {
                scope: "on this server",
                limit: self.ws_total,
                total: true,
            });
        }
        let mine = s.open.get(&identity).copied().unwrap_or(0);
        if self.ws_per_identity > 0 && mine >= self.ws_per_identity {
            return Err(EdgeError::TooManySockets {
                scope: "for you",
                limit: self.ws_per_identity,
                total: false,
            });
        }
        s.total += 1;
        *s.open.entry(identity).or_insert(0) += 1;
        Ok(WsPermit(Arc::new(PermitInner {
            sockets: self.sockets.clone(),
            identity,
        })))
    }

    /// Open WebSocket connections (total).
    pub fn open_sockets(&self) -> usize {
        lock(&self.sockets).total
    }
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Middleware: write rate limits; a WebSocket upgrade gets its [`WsPermit`]
/// as a request extension or is refused.
pub async fn enforce(State(limits): State<Arc<Limits>>, mut req: Request, next: Next) -> Response {
    let client = Client::of(req.extensions());
    let identity = Identity::of(req.headers(), client);
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Err(e) = limits.write(identity, client.addr) {
            return e.into_response();
        }
    } else if req.uri().path() == "/ws" && is_upgrade(req.headers()) {
        match limits.open_socket(identity) {
            Ok(permit) => {
                req.extensions_mut().insert(permit);
            }
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, burst: u32, ws_per_identity: usize, ws_total: usize) -> Limits {
        Limits::new(&EdgeConfig {
            identity_writes: Rate { per_second, burst },
            address_writes: Rate {
                per_second: per_second * 10,
                burst: burst * 10,
            },
            ws_per_identity,
            ws_total,
            ..EdgeConfig::default()
        })
    }

    #[test]
    fn writes_over_the_burst_wait_and_others_are_not_held() {
        let l = limits(1, 3, 0, 0);
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        let a = Identity::Addr(addr);
        for _ in 0..3 {
            assert!(l.write(a, addr).is_ok());
        }
        match l.write(a, addr) {
            Err(EdgeError::RateLimited { retry_after, .. }) => {
                assert!((1..=2).contains(&retry_after))
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        let b = Identity::Credential([7; 16]);
        assert!(
            l.write(b, addr).is_ok(),
            "another identity has its own budget"
        );
    }

    #[test]
    fn sockets_are_capped_per_identity_and_in_total_and_released() {
        let l = limits(1, 1, 2, 3);
        let a = Identity::Credential([1; 16]);
        let b = Identity::Credential([2; 16]);
        let p1 = l.open_socket(a).unwrap();
        let _p2 = l.open_socket(a).unwrap();
        assert!(matches!(
            l.open_socket(a),
            Err(EdgeError::TooManySockets { total: false, .. })
        ));
        let _p3 = l.open_socket(b).unwrap();
        assert!(matches!(
            l.open_socket(b),
            Err(EdgeError::TooManySockets { total: true, .. })
        ));
        drop(p1);
        assert_eq!(l.open_sockets(), 2);
        assert!(
            l.open_socket(a).is_ok(),
            "a closed connection frees its place"
        );
    }

    #[test]
    fn credentials_are_hashed_identities() {
        let client = Client {
            addr: "192.0.2.9".parse().unwrap(),
            https: false,
            socket: true,
        };
        let mut h = HeaderMap::new();
        assert_eq!(Identity::of(&h, client), Identity::Addr(client.addr));
        h.insert(header::COOKIE, "pingan_session=tok1".parse().unwrap());
        let s = Identity::of(&h, client);
        h.insert(header::AUTHORIZATION, "Bearer pk_abc".parse().unwrap());
        let k = Identity::of(&h, client);
        assert!(matches!(s, Identity::Credential(_)));
        assert!(matches!(k, Identity::Credential(_)));
        assert_ne!(s, k);
        // A malformed Authorization is no credential and hides the cookie,
        // as in the check layer: the request counts against its address.
        for bad in ["Basic eDp5", "Bearer", "bearer\u{7f}x"] {
            if let Ok(v) = bad.parse() {
                h.insert(header::AUTHORIZATION, v);
                assert_eq!(
                    Identity::of(&h, client),
                    Identity::Addr(client.addr),
                    "{bad}"
                );
            }
        }
    }
}
