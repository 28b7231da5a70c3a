//! Cross-site requests: the `Origin` check (cross-site WebSocket hijacking
//! and CSRF) and CORS.
//!
//! - `/ws`: an `Origin` that is not this server's own (the scheme of the
//!   request and the `Host` it names) nor an `--allowed-origin` is refused
//!   with 403, `Origin: null` included. No `Origin` at all is a client that
//!   is not a browser (browsers always send it on WebSocket upgrades).
//! - Writes (every method but GET, HEAD, OPTIONS): a foreign `Origin` is
//!   refused; without `Origin`, a request carrying the session cookie needs
//!   `X-Pingan-CSRF: 1` (a cross-site page cannot set it without CORS).
//!   Requests with `Authorization: Bearer` are exempt: a key is never sent
//!   by the browser on its own (no ambient authority).
//! - CORS only for `--cors-origin`s, without credentials (bearer clients).

use super::rejections::EdgeError;
use super::{Client, EdgeConfig};
use axum::extract::{Request, State};
use axum::http::{header, uri::Authority, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The header that marks a same-site script's write.
pub const CSRF_HEADER: &str = "x-pingan-csrf";

/// An origin as compared: scheme, lower-case host, port (default filled in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// `scheme://host[:port]` (an `Origin` header's value); `None` for
    /// `null` and anything else.
    pub fn parse(value: &str) -> Option<Origin> {
        let (scheme, rest) = value.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        Origin::of(&scheme, rest)
    }

    /// The origin of `scheme` and an authority `host[:port]`.
    fn of(scheme: &str, authority: &str) -> Option<Origin> {
        let default = match scheme {
            "http" | "ws" => 80,
            "https" | "wss" => 443,
            _ => return None,
        };
        if authority.contains(['/', '@', '?', '#']) || authority.is_empty() {
            return None;
        }
        let a: Authority = authority.parse().ok()?;
        let scheme = if default == 80 { "http" } else { "https" };
        Some(Origin {
            scheme: scheme.into(),
            host: a.host().trim_end_matches('.').to_ascii_lowercase(),
            port: a.port_u16().unwrap_or(default),
        })
    }
}

/// The trusted origins.
#[derive(Debug)]
pub struct OriginPolicy {
    allowed: Vec<Origin>,
}

impl OriginPolicy {
    pub fn new(config: &EdgeConfig) -> OriginPolicy {
        OriginPolicy {
            allowed: config
                .allowed_origins
                .iter()
                .filter_map(|o| Origin::parse(o.trim().trim_end_matches('/')))
                .collect(),
        }
    }

    /// Whether `origin` (a header value) is the request's own or trusted.
    fn trusts(&self, origin: &str, own: Option<&Origin>) -> bool {
        match Origin::parse(origin) {
            Some(o) => own == Some(&o) || self.allowed.contains(&o),
            None => false,
        }
    }

    /// The verdict on one request.
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        client: Client,
    ) -> Result<(), EdgeError> {
        let origin = headers
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("(not text)"));
        let own = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| Origin::of(if client.https { "https" } else { "http" }, h));
        let refuse = |what, origin: &str| EdgeError::OriginRefused {
            what,
            origin: origin.chars().take(200).collect(),
        };
        if path == "/ws" {
            return match origin {
                Some(o) if !self.trusts(o, own.as_ref()) => Err(refuse("a live connection", o)),
                _ => Ok(()),
            };
        }
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || has_bearer(headers) {
            return Ok(());
        }
        match origin {
            Some(o) if self.trusts(o, own.as_ref()) => Ok(()),
            Some(o) => Err(refuse("a write", o)),
            None if has_session_cookie(headers) && !has_csrf_header(headers) => {
                Err(EdgeError::CsrfMissing {
                    method: method.to_string(),
                })
            }
            None => Ok(()),
        }
    }
}

fn has_bearer(headers: &HeaderMap) -> bool {
    matches!(
        crate::auth::credential::presented(headers),
        crate::auth::credential::Presented::Credential(
            crate::auth::credential::Credential::Bearer(_)
        )
    )
}

fn has_csrf_header(headers: &HeaderMap) -> bool {
    headers
        .get(CSRF_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1")
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    crate::auth::credential::session_cookie(headers) != crate::auth::credential::Cookie::None
}

/// Middleware: applies [`OriginPolicy::check`].
pub async fn enforce(
    State(policy): State<Arc<OriginPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let client = Client::of(req.extensions());
    match policy.check(req.method(), req.uri().path(), req.headers(), client) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The CORS layer of `--cors-origin`, if any: bearer clients only (no
/// credentials), the API's methods and the headers they need.
pub fn cors(config: &EdgeConfig) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static(CSRF_HEADER),
                crate::api::extract::IDEMPOTENCY_KEY,
            ])
            .expose_headers([crate::api::common::IDEMPOTENT_REPLAYED, header::LOCATION])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(https: bool) -> Client {
        Client {
            addr: super::super::PLACEHOLDER_ADDR,
            https,
            socket: true,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        assert_eq!(
            Origin::parse("http://a.cn"),
            Origin::parse("http://A.cn:80")
        );
        assert_ne!(Origin::parse("http://a.cn"), Origin::parse("https://a.cn"));
        assert_ne!(
            Origin::parse("http://a.cn:8080"),
            Origin::parse("http://a.cn")
        );
        assert_eq!(Origin::parse("null"), None);
        assert_eq!(Origin::parse("http://a.cn/path"), None);
        assert_eq!(Origin::parse("file://x"), None);
    }

    #[test]
    fn ws_needs_own_or_allowed_origin() {
        let p = OriginPolicy::new(&EdgeConfig {
            allowed_origins: vec!["https://wall.example.cn".into()],
            ..EdgeConfig::default()
        });
        let get = Method::GET;
        let check = |origin: Option<&str>, https| {
            let mut h = headers(&[("host", "127.0.0.1:8080")]);
            if let Some(o) = origin {
                h.insert(header::ORIGIN, o.parse().unwrap());
            }
            p.check(&get, "/ws", &h, client(https)).is_ok()
        };
        assert!(check(Some("http://127.0.0.1:8080"), false));
        assert!(
            !check(Some("http://127.0.0.1:8080"), true),
            "scheme differs"
        );
        assert!(check(Some("https://wall.example.cn"), false));
        assert!(!check(Some("http://evil.example"), false));
        assert!(!check(Some("http://127.0.0.1:9999"), false));
        assert!(!check(Some("null"), false));
        assert!(check(None, false), "not a browser");
    }

    #[test]
    fn cookie_writes_need_origin_or_csrf_header_and_bearer_is_exempt() {
        let p = OriginPolicy::new(&EdgeConfig::default());
        let post = Method::POST;
        let check = |pairs: &[(&'static str, &str)]| {
            let mut h = headers(pairs);
            h.insert(header::HOST, "localhost:8080".parse().unwrap());
            p.check(&post, "/api/cases", &h, client(false))
        };
        let cookie = ("cookie", "lang=zh; pingan_session=abc");
        assert!(check(&[cookie]).is_err());
        assert!(check(&[cookie, ("x-pingan-csrf", "1")]).is_ok());
        assert!(check(&[cookie, ("origin", "http://localhost:8080")]).is_ok());
        assert!(check(&[cookie, ("origin", "http://evil.example")]).is_err());
        assert!(check(&[
            cookie,
            ("origin", "http://evil.example"),
            ("x-pingan-csrf", "1")
        ])
        .is_err());
        assert!(check(&[("origin", "null")]).is_err());
        assert!(check(&[
            ("authorization", "Bearer pk_x"),
            ("origin", "http://evil.example")
        ])
        .is_ok());
        assert!(check(&[]).is_ok(), "no credentials: nothing to forge");
        assert!(p
            .check(
                &Method::GET,
                "/api/cases",
                &headers(&[cookie, ("origin", "http://evil.example")]),
                client(false)
            )
            .is_ok());
    }
}
