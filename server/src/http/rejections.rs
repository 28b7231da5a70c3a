//! The edges' refusals as the API's JSON error (`{"error", "detail"}`, see
//! `crate::error::ErrorBody`), and the header-size limit: hyper's own limit
//! (a buffer of ~400 KiB, 100 headers) answers a bare 431, so a lower one is
//! checked here and answered in JSON.

use crate::error::ErrorBody;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why the edge refused a request.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error(
        "this server does not answer to the name {host:?}; open it by a name it is configured \
         for (--allowed-host)"
    )]
    UnknownHost { host: String },
    #[error("an HTTP/1.1 request must carry a Host header")]
    MissingHost,
    #[error(
        "{what} from the origin {origin:?} is refused: only this server's own origin and \
             --allowed-origin may do that"
    )]
    OriginRefused { what: &'static str, origin: String },
    #[error(
        "a cookie-authenticated {method} needs a same-origin Origin header or the header \
         X-Pingan-CSRF: 1"
    )]
    CsrfMissing { method: String },
    #[error("too many {what}; retry after {retry_after} s")]
    RateLimited {
        what: &'static str,
        retry_after: u64,
    },
    #[error("too many open live connections {scope} (at most {limit}); close one or retry later")]
    TooManySockets {
        scope: &'static str,
        limit: usize,
        /// The server's total cap (503) rather than the client's (429).
        total: bool,
    },
    #[error("the request's headers are {len} bytes, over the limit of {limit}")]
    HeadersTooLarge { len: usize, limit: usize },
    #[error("the request was not answered within {secs} s")]
    Timeout { secs: u64 },
}

impl EdgeError {
    pub fn code(&self) -> &'static str {
        match self {
            EdgeError::UnknownHost { .. } => "unknown_host",
            EdgeError::MissingHost => "missing_host",
            EdgeError::OriginRefused { .. } => "origin_refused",
            EdgeError::CsrfMissing { .. } => "csrf_required",
            EdgeError::RateLimited { .. } => "rate_limited",
            EdgeError::TooManySockets { .. } => "too_many_connections",
            EdgeError::HeadersTooLarge { .. } => "headers_too_large",
            EdgeError::Timeout { .. } => "timeout",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            EdgeError::UnknownHost { .. } => StatusCode::MISDIRECTED_REQUEST,
            EdgeError::MissingHost => StatusCode::BAD_REQUEST,
            EdgeError::OriginRefused { .. } | EdgeError::CsrfMissing { .. } => {
                StatusCode::FORBIDDEN
            }
            EdgeError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            EdgeError::TooManySockets { total: true, .. } => StatusCode::SERVICE_UNAVAILABLE,
            EdgeError::TooManySockets { total: false, .. } => StatusCode::TOO_MANY_REQUESTS,
            EdgeError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            EdgeError::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// Seconds for `Retry-After`, when waiting helps.
    fn retry_after(&self) -> Option<u64> {
        match self {
            EdgeError::RateLimited { retry_after, .. } => Some(*retry_after),
            EdgeError::TooManySockets { .. } => Some(5),
            _ => None,
        }
    }
}

impl IntoResponse for EdgeError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code().to_string(),
            detail: self.to_string(),
            permission: None,
            scope: None,
        };
        let mut res = (self.status(), Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(s) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if matches!(
            self,
            EdgeError::Timeout { .. } | EdgeError::HeadersTooLarge { .. }
        ) {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res
    }
}

/// Middleware: a header block over `limit` bytes (names, values and the
/// `: ` and CRLF of each line) is refused with 431.
pub async fn limit_headers(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let len: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if len > limit {
        return EdgeError::HeadersTooLarge { len, limit }.into_response();
    }
    next.run(req).await
}
