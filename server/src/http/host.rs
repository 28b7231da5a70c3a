//! The `Host` check against DNS rebinding: a page on another name that
//! resolves to this server (`evil.example` → 127.0.0.1) sends
//! `Host: evil.example`, and gets 421 and nothing else.
//!
//! Allowed: `localhost`, the listen host, every `--allowed-host` (names
//! compared without port, case-insensitively), and every IP literal (an
//! address cannot be rebound: a page whose origin is this server's address
//! is this server). HTTP/2 carries the name in the URI's authority.
//! A request without any name: refused (400) on an HTTP/1.1 socket, where
//! RFC 9112 requires `Host`; accepted in process (tests driving the router)
//! and on HTTP/1.0, which no browser speaks.

use super::rejections::EdgeError;
use super::{Client, EdgeConfig};
use axum::extract::{Request, State};
use axum::http::{header, uri::Authority, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// The names this server answers to.
#[derive(Debug)]
pub struct HostPolicy {
    names: Vec<String>,
}

impl HostPolicy {
    pub fn new(config: &EdgeConfig) -> HostPolicy {
        let mut names: Vec<String> = ["localhost"]
            .into_iter()
            .chain(config.allowed_hosts.iter().map(String::as_str))
            .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        HostPolicy { names }
    }

    /// Whether `host` (a `Host` value: name or address, maybe a port) is ours.
    pub fn allows(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else {
            return false;
        };
        if !authority.as_str().eq_ignore_ascii_case(host) || host.contains('@') {
            return false;
        }
        let name = authority.host();
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() {
            return true;
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.names.contains(&name)
    }
}

/// The name a request was sent to: `Host`, else the URI's authority.
pub fn request_host(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(Authority::as_str))
}

/// Middleware: refuses requests to names that are not ours.
pub async fn enforce(State(policy): State<Arc<HostPolicy>>, req: Request, next: Next) -> Response {
    let has_header = req.headers().contains_key(header::HOST);
    match request_host(&req) {
        Some(host) if policy.allows(host) => next.run(req).await,
        Some(host) => EdgeError::UnknownHost {
            host: host.chars().take(200).collect(),
        }
        .into_response(),
        None if has_header => EdgeError::UnknownHost {
            host: "(not text)".into(),
        }
        .into_response(),
        None if Client::of(req.extensions()).socket && req.version() == Version::HTTP_11 => {
            EdgeError::MissingHost.into_response()
        }
        None => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses() {
        let cfg = EdgeConfig {
            allowed_hosts: vec!["Map.Example.CN".into(), "pingan.local".into()],
            ..EdgeConfig::default()
        };
        let p = HostPolicy::new(&cfg);
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "10.1.2.3",
            "map.example.cn",
            "MAP.example.cn.:443",
            "pingan.local:80",
        ] {
            assert!(p.allows(ok), "{ok} should be allowed");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "user@localhost",
            "",
            "map.example.cn/x",
        ] {
            assert!(!p.allows(bad), "{bad} should be refused");
        }
    }
}
