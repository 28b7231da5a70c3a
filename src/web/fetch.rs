//! HTTP for the app: GETting a file's bytes ([`fetch_bytes`]) and the JSON
//! calls of the API ([`send_json`]: cookie auth, so every state-changing
//! call carries `X-Pingan-CSRF: 1`), with a typed error that keeps the
//! server's explanation (`detail` of the API's JSON errors) and tells a
//! missing or expired session (401), a missing permission (403, naming it)
//! and a rate limit (429, with its wait) apart. The classification
//! ([`error_of`]) is pure and tested natively. A page that must only ever
//! see masked data (a wall) says so once ([`read_as_public`]) and every API
//! read made here then asks for the public audience ([`for_audience`]).

use pingan_model::access::Permission;
use std::cell::Cell;

thread_local! {
    static PUBLIC: Cell<bool> = const { Cell::new(false) };
}

/// From now on this page reads the API as the public audience (personal
/// data masked at the source, whoever is signed in): the wall.
pub fn read_as_public() {
    PUBLIC.with(|p| p.set(true));
}

/// `url` as this page reads it: an `api/` or `ws` URL gains
/// `audience=public` when the page reads as the public audience.
pub fn for_audience(url: &str) -> String {
    if PUBLIC.with(|p| p.get()) {
        with_public(url)
    } else {
        url.to_string()
    }
}

/// `url` with `audience=public` in its query (pure: tested natively).
fn with_public(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}audience=public")
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// No response (network down, refused, aborted) or an unreadable body.
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
    /// 401: no session, or it expired or was revoked (`code` is the API's
    /// `error`: `unauthenticated`, or `bad_credentials` from the sign-in).
    #[error("{}", http_text(401, "Unauthorized", .url, .detail))]
    Unauthenticated {
        url: String,
        code: String,
        detail: String,
    },
    /// 403: signed in, but without `permission` (when the server named one
    /// the app knows), or outside the account's scope.
    #[error("{}", http_text(403, "Forbidden", .url, .detail))]
    Forbidden {
        url: String,
        permission: Option<Permission>,
        /// The account's subdistrict, when the refusal is for a place
        /// outside it (the account holds the permission).
        scope: Option<String>,
        detail: String,
    },
    /// 429: too many requests; try again after `retry_after_s` seconds.
    #[error("{}", http_text(429, "Too Many Requests", .url, .detail))]
    TooMany {
        url: String,
        retry_after_s: Option<u32>,
        detail: String,
    },
    /// Any other response that is not 2xx.
    #[error("{}", http_text(*.status, .status_text, .url, .detail))]
    Http {
        url: String,
        status: u16,
        status_text: String,
        /// The `detail` of a JSON error body, or empty.
        detail: String,
    },
}

impl FetchError {
    /// Whether the session is missing or gone (the sign-in comes back).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, FetchError::Unauthenticated { .. })
    }
}

fn http_text(status: u16, status_text: &str, url: &str, detail: &str) -> String {
    format!("HTTP {status} {status_text} {url} {detail}")
        .trim()
        .to_string()
}

/// The error for a response that is not 2xx: `status`, its text, the
/// `Retry-After` header and the body (the API's `{"error", "detail",
/// "permission"?}`, or anything else).
pub fn error_of(
    url: &str,
    status: u16,
    status_text: &str,
    retry_after: Option<&str>,
    body: &str,
) -> FetchError {
    let json = serde_json::from_str::<serde_json::Value>(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|v| v.get(name))
            .and_then(|d| d.as_str())
            .map(str::to_string)
    };
    let url = url.to_string();
    let detail = field("detail").unwrap_or_default();
    match status {
        401 => FetchError::Unauthenticated {
            url,
            code: field("error").unwrap_or_else(|| "unauthenticated".into()),
            detail,
        },
        403 => FetchError::Forbidden {
            url,
            permission: field("permission").and_then(|p| Permission::parse(&p)),
            scope: field("scope"),
            detail,
        },
        429 => FetchError::TooMany {
            url,
            retry_after_s: retry_after.and_then(|s| s.trim().parse().ok()),
            detail,
        },
        _ => FetchError::Http {
            url,
            status,
            status_text: status_text.to_string(),
            detail,
        },
    }
}

async fn check(
    url: &str,
    resp: gloo_net::http::Response,
) -> Result<gloo_net::http::Response, FetchError> {
    if resp.ok() {
        return Ok(resp);
    }
    let retry_after = resp.headers().get("retry-after");
    let body = resp.text().await.unwrap_or_default();
    Err(error_of(
        url,
        resp.status(),
        &resp.status_text(),
        retry_after.as_deref(),
        &body,
    ))
}

fn network(url: &str) -> impl Fn(gloo_net::Error) -> FetchError + '_ {
    move |e| FetchError::Network {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// GETs `url` and returns its body.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, FetchError> {
    let resp = gloo_net::http::Request::get(&read_url(url))
        .send()
        .await
        .map_err(network(url))?;
    check(url, resp).await?.binary().await.map_err(network(url))
}

/// A GET's URL: the API's reads for this page's audience.
fn read_url(url: &str) -> String {
    if url.starts_with("api/") {
        for_audience(url)
    } else {
        url.to_string()
    }
}

/// The methods of the API's JSON calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// Calls `url` with `method` and an optional JSON `body` (same-origin
/// cookies; `X-Pingan-CSRF: 1` on everything but GET) and returns the
/// answer's text (empty for a 204).
pub async fn send_json(
    method: Method,
    url: &str,
    body: Option<&serde_json::Value>,
) -> Result<String, FetchError> {
    use gloo_net::http::Request;
    let builder = match method {
        Method::Get => Request::get(&read_url(url)),
        Method::Post => Request::post(url).header("X-Pingan-CSRF", "1"),
        Method::Put => Request::put(url).header("X-Pingan-CSRF", "1"),
        Method::Delete => Request::delete(url).header("X-Pingan-CSRF", "1"),
    };
    let request = match body {
        Some(b) => builder
            .header("Content-Type", "application/json")
            .body(b.to_string()),
        None => builder.build(),
    }
    .map_err(network(url))?;
    let resp = request.send().await.map_err(network(url))?;
    let resp = check(url, resp).await?;
    if resp.status() == 204 {
        return Ok(String::new());
    }
    resp.text().await.map_err(network(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_audience_is_added_to_the_query() {
        assert_eq!(with_public("api/kpi"), "api/kpi?audience=public");
        assert_eq!(with_public("api/x?a=1"), "api/x?a=1&audience=public");
    }

    #[test]
    fn errors_read_as_before() {
        let e = FetchError::Http {
            url: "data/x.geojson".into(),
            status: 404,
            status_text: "Not Found".into(),
            detail: String::new(),
        };
        assert_eq!(e.to_string(), "HTTP 404 Not Found data/x.geojson");
        let e = FetchError::Http {
            url: "data/x.geojson".into(),
            status: 422,
            status_text: "Unprocessable Entity".into(),
            detail: "feature 3: no geometry".into(),
        };
        assert_eq!(
            e.to_string(),
            "HTTP 422 Unprocessable Entity data/x.geojson feature 3: no geometry"
        );
        let e = FetchError::Network {
            url: "data/x.geojson".into(),
            reason: "refused".into(),
        };
        assert_eq!(e.to_string(), "data/x.geojson: refused");
    }

    #[test]
    fn statuses_are_classified_with_what_the_server_said() {
        let e = error_of(
            "api/session",
            401,
            "Unauthorized",
            None,
            r#"{"error":"bad_credentials","detail":"wrong username or password"}"#,
        );
        assert_eq!(
            e,
            FetchError::Unauthenticated {
                url: "api/session".into(),
                code: "bad_credentials".into(),
                detail: "wrong username or password".into()
            }
        );
        assert!(e.is_unauthenticated());
        // A 401 with no JSON body is still a lost session.
        let e = error_of("data/grids.geojson", 401, "Unauthorized", None, "");
        assert!(
            matches!(&e, FetchError::Unauthenticated { code, .. } if code == "unauthenticated")
        );
        let e = error_of(
            "api/cases/1/transitions",
            403,
            "Forbidden",
            None,
            r#"{"error":"forbidden","detail":"needs cases:transition","permission":"cases:transition"}"#,
        );
        assert!(matches!(
            &e,
            FetchError::Forbidden { permission: Some(Permission::CasesTransition), detail, .. }
                if detail == "needs cases:transition"
        ));
        assert!(!e.is_unauthenticated());
        // An unknown permission name is kept out, not guessed.
        let e = error_of("x", 403, "Forbidden", None, r#"{"permission":"moon:land"}"#);
        assert!(matches!(
            e,
            FetchError::Forbidden {
                permission: None,
                ..
            }
        ));
        let e = error_of(
            "x",
            403,
            "Forbidden",
            None,
            r#"{"permission":"personal:read","scope":"西乡街道"}"#,
        );
        assert!(matches!(
            e,
            FetchError::Forbidden { scope: Some(ref s), .. } if s == "西乡街道"
        ));
        let e = error_of("api/session", 429, "Too Many Requests", Some(" 42 "), "{}");
        assert!(matches!(
            e,
            FetchError::TooMany {
                retry_after_s: Some(42),
                ..
            }
        ));
        let e = error_of("api/session", 429, "Too Many Requests", Some("soon"), "{}");
        assert!(matches!(
            e,
            FetchError::TooMany {
                retry_after_s: None,
                ..
            }
        ));
        let e = error_of("x", 500, "Internal Server Error", None, "<html>");
        assert_eq!(e.to_string(), "HTTP 500 Internal Server Error x");
    }
}
