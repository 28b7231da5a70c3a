//! Who is on the other end: the client's address and whether the request
//! came over HTTPS, resolved once per request into the [`Client`] request
//! extension that everything after reads (rate limits, WebSocket caps, the
//! Origin check, the session cookie's `Secure`, the audit log's "from where").
//!
//! The address is the socket's peer (`ConnectInfo<SocketAddr>`, inserted by
//! `crate::serve`); a request without one (a test driving the router in
//! process) gets [`PLACEHOLDER_ADDR`]. HTTPS is the [`Tls`] extension the
//! serve loop inserts on a TLS connection. Only when the peer is a
//! configured `--trusted-proxy` are its `X-Forwarded-For` (the rightmost
//! address that is not itself a trusted proxy) and `X-Forwarded-Proto`
//! believed; from anyone else they are ignored.

use super::EdgeConfig;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The address of a request that did not come through a socket.
pub const PLACEHOLDER_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// Marker extension: the connection is TLS (inserted by `crate::serve`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tls;

/// The resolved client of a request (an extension of every request through
/// `crate::app`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address (behind a trusted proxy: the forwarded one).
    pub addr: IpAddr,
    /// The request reached us (or the trusted proxy) over HTTPS.
    pub https: bool,
    /// The request came through a socket (not an in-process test call).
    pub socket: bool,
}

impl Client {
    /// The [`Client`] of a request's extensions; the placeholder when the
    /// edge layers did not run.
    pub fn of(extensions: &axum::http::Extensions) -> Client {
        extensions.get::<Client>().copied().unwrap_or(Client {
            addr: PLACEHOLDER_ADDR,
            https: extensions.get::<Tls>().is_some(),
            socket: false,
        })
    }
}

/// The trusted proxies.
#[derive(Debug, Default)]
pub struct Proxies {
    trusted: Vec<IpAddr>,
}

impl Proxies {
    pub fn new(config: &EdgeConfig) -> Proxies {
        Proxies {
            trusted: config.trusted_proxies.iter().map(canonical).collect(),
        }
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.trusted.contains(&canonical(&addr))
    }

    /// The client of a request from `peer` with these headers.
    pub fn client(
        &self,
        peer: Option<IpAddr>,
        tls: bool,
        headers: &axum::http::HeaderMap,
    ) -> Client {
        let Some(peer) = peer else {
            return Client {
                addr: PLACEHOLDER_ADDR,
                https: tls,
                socket: false,
            };
        };
        if !self.trusts(peer) {
            return Client {
                addr: canonical(&peer),
                https: tls,
                socket: true,
            };
        }
        // Each proxy appends the address it received from; walk from the
        // right past our own proxies to the first one we did not add.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect();
        let addr = forwarded
            .iter()
            .rev()
            .find(|a| !self.trusts(**a))
            .or(forwarded.first())
            .copied()
            .unwrap_or(peer);
        let https = tls
            || headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Client {
            addr: canonical(&addr),
            https,
            socket: true,
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) as the IPv4 address.
fn canonical(addr: &IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(*v6)),
        v4 => *v4,
    }
}

/// Middleware: inserts the request's [`Client`].
pub async fn resolve(
    State(proxies): State<Arc<Proxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    let tls = req.extensions().get::<Tls>().is_some();
    let client = proxies.client(peer, tls, req.headers());
    req.extensions_mut().insert(client);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let p = Proxies::new(&EdgeConfig {
            trusted_proxies: vec![proxy],
            ..EdgeConfig::default()
        });
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-proto", "https"),
        ]);
        let via_proxy = p.client(Some(proxy), false, &h);
        assert_eq!(via_proxy.addr, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert!(via_proxy.https);
        let direct: IpAddr = "198.51.100.7".parse().unwrap();
        let spoofed = p.client(Some(direct), false, &h);
        assert_eq!(spoofed.addr, direct, "a forged X-Forwarded-For is ignored");
        assert!(!spoofed.https, "a forged X-Forwarded-Proto is ignored");
    }

    #[test]
    fn no_socket_is_the_placeholder_and_mapped_v4_is_v4() {
        let p = Proxies::default();
        assert_eq!(
            p.client(None, false, &HeaderMap::new()).addr,
            PLACEHOLDER_ADDR
        );
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let c = p.client(Some(mapped), true, &HeaderMap::new());
        assert_eq!(c.addr, "192.0.2.1".parse::<IpAddr>().unwrap());
        assert!(c.https && c.socket);
    }
}

/// The request's client address, as an extractor for handlers (the audit
/// log's "from where").
/// The client's address: the socket's peer, or the address a trusted proxy
/// forwarded ([`Client`]), or `0.0.0.0` when the router is
/// driven without a socket (tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(Client::of(&parts.extensions).addr))
    }
}

impl ClientAddr {
    /// The address of a request, from its extensions.
    pub fn of(extensions: &axum::http::Extensions) -> ClientAddr {
        ClientAddr(Client::of(extensions).addr)
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
