//! The one error type of the HTTP API. Every error leaves the server as JSON
//! `{"error": "<short code>", "detail": "<human sentence>"}` with a matching
//! status code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// The command that builds the front end into `dist/`.
pub const BUILD_COMMAND: &str = "trunk build --release --offline";

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request path is malformed or tries to leave its directory.
    #[error("{0}")]
    BadPath(String),
    /// Nothing is served at this path.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not for this method.
    #[error("{method} is not allowed on {path}; it answers {} only", allowed_words(.allow))]
    MethodNotAllowed {
        method: String,
        path: String,
        /// The `Allow` header value, e.g. `GET, HEAD`.
        allow: String,
    },
    /// The declared request body is over the limit.
    #[error("the request body of {len} bytes is over the limit of {limit} bytes")]
    PayloadTooLarge { len: u64, limit: usize },
    /// `dist/index.html` does not exist.
    #[error(
        "the front end is not built: {index} does not exist; build it with `{BUILD_COMMAND}` \
         at the repository root, or start the server with --dist-dir pointing at trunk's output"
    )]
    FrontendNotBuilt { index: String },
    /// A file that exists could not be read.
    #[error("{file} could not be read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A bug or a failed background task.
    #[error("internal error: {0}")]
    Internal(String),
    /// The body is not JSON at all (syntax error, truncated).
    #[error("the body is not valid JSON: {0}")]
    BadJson(String),
    /// A field, path segment or query parameter has the wrong shape (missing,
    /// unknown, wrong type, unknown code). `field` names it.
    #[error("{field}: {detail}")]
    BadField { field: String, detail: String },
    /// Well-formed but not acceptable (out of range, outside the district,
    /// empty text). `field` names it.
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    /// No such case/alert/hazard.
    #[error("{0}")]
    NoSuchEntity(String),
    /// A wall group has no current scene (`GET`/`DELETE /api/walls/{group}/scene`).
    #[error("{0}")]
    NoScene(String),
    /// The change is not allowed in the current state.
    #[error("{0}")]
    Conflict(String),
    /// The body is not `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body (read as it streams) is over the endpoint's limit.
    #[error("{what} is over the limit of {limit}")]
    TooLarge { what: String, limit: String },
    /// A malformed `Idempotency-Key` header (400 `bad_idempotency_key`).
    #[error("{0}")]
    BadIdempotencyKey(String),
    /// An `Idempotency-Key` this account already used for another request
    /// (422 `idempotency_key_reused`).
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// A photo whose bytes do not hash to the SHA-256 its path names (400).
    #[error("{0}")]
    DigestMismatch(String),
    /// A photo whose header is unreadable or whose dimensions are out of
    /// bounds (422).
    #[error("{0}")]
    BadImage(String),
    /// A case or hazard change naming a photo the store does not hold (422).
    #[error("{0}")]
    UnknownPhoto(String),
    /// Something the endpoint needs is not available (e.g. dispatch rules).
    #[error("{0}")]
    Unavailable(String),
    /// No valid credentials on an endpoint that needs a permission (never
    /// says which part of a credential was wrong).
    #[error("{0}")]
    Unauthenticated(String),
    /// Valid credentials without the permission the endpoint needs, or
    /// holding it only for another subdistrict (`scope`: the account's).
    #[error("{detail}")]
    Forbidden {
        permission: pingan_model::access::Permission,
        scope: Option<String>,
        detail: String,
    },
    /// A login with a wrong password, an unknown or a disabled user, or a
    /// spent pairing code: one answer for all.
    #[error("{0}")]
    BadCredentials(String),
    /// Too many attempts; retry after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests { retry_after: u64, detail: String },
    /// The server is saturated (every password-hashing slot taken); retry
    /// after `retry_after` seconds.
    #[error("{detail}")]
    Busy { retry_after: u64, detail: String },
}

/// `GET, HEAD` → `GET and HEAD`.
fn allowed_words(allow: &str) -> String {
    match allow.rsplit_once(", ") {
        Some((a, b)) => format!("{a} and {b}"),
        None => allow.to_string(),
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError;
        match e {
            StoreError::NotFound { .. } => ApiError::NoSuchEntity(e.to_string()),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid { field, detail } => ApiError::Invalid { field, detail },
            StoreError::Backend(m) => ApiError::Internal(format!("storage: {m}")),
            StoreError::KeyReused(m) => ApiError::IdempotencyKeyReused(m),
            StoreError::UnknownPhoto(m) => ApiError::UnknownPhoto(m),
        }
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(e: crate::auth::AuthError) -> ApiError {
        use crate::auth::AuthError;
        match e {
            AuthError::BadCredentials => ApiError::BadCredentials(e.to_string()),
            AuthError::RateLimited(_) => ApiError::TooManyRequests {
                retry_after: e.retry_after().unwrap_or(1),
                detail: e.to_string(),
            },
            AuthError::Busy => ApiError::Busy {
                retry_after: e.retry_after().unwrap_or(1),
                detail: e.to_string(),
            },
            AuthError::Invalid { field, detail } => ApiError::Invalid { field, detail },
            AuthError::BadField { field, detail } => ApiError::BadField { field, detail },
            AuthError::NotFound(m) => ApiError::NoSuchEntity(m),
            AuthError::Conflict(m) => ApiError::Conflict(m),
            AuthError::Hash(_) | AuthError::Random(_) | AuthError::Store(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// The JSON body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A short, stable, machine-readable code such as `bad_path`.
    pub error: String,
    /// A sentence for people, naming what was wrong.
    pub detail: String,
    /// The missing permission of a 403 (`cases:transition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The account's subdistrict, when a 403 is for a place outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl ApiError {
    /// The short code of the `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadPath(_) => "bad_path",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::FrontendNotBuilt { .. } => "frontend_not_built",
            ApiError::Read { .. } => "read_failed",
            ApiError::Internal(_) => "internal",
            ApiError::BadJson(_) => "bad_json",
            ApiError::BadField { .. } => "bad_request",
            ApiError::Invalid { .. } => "invalid",
            ApiError::NoSuchEntity(_) => "not_found",
            ApiError::NoScene(_) => "no_scene",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooLarge { .. } => "payload_too_large",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::BadIdempotencyKey(_) => "bad_idempotency_key",
            ApiError::IdempotencyKeyReused(_) => "idempotency_key_reused",
            ApiError::DigestMismatch(_) => "digest_mismatch",
            ApiError::BadImage(_) => "bad_image",
            ApiError::UnknownPhoto(_) => "unknown_photo",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::BadCredentials(_) => "bad_credentials",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Busy { .. } => "busy",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadPath(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::FrontendNotBuilt { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Read { .. } | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadJson(_) | ApiError::BadField { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NoSuchEntity(_) | ApiError::NoScene(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadIdempotencyKey(_) | ApiError::DigestMismatch(_) => StatusCode::BAD_REQUEST,
            ApiError::IdempotencyKeyReused(_)
            | ApiError::BadImage(_)
            | ApiError::UnknownPhoto(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) | ApiError::BadCredentials(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code().to_string(),
            detail: self.to_string(),
            permission: match self {
                ApiError::Forbidden { permission, .. } => Some(permission.name().to_string()),
                _ => None,
            },
            scope: match self {
                ApiError::Forbidden { scope, .. } => scope.clone(),
                _ => None,
            },
        }
    }

    /// A failed `spawn_blocking` task (a panic in validation or compression).
    pub(crate) fn from_join(e: tokio::task::JoinError) -> ApiError {
        crate::blocking::TaskFailed(e.to_string()).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "request failed");
        }
        let mut res = (status, Json(self.body())).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let ApiError::MethodNotAllowed { allow, .. } = &self {
            if let Ok(v) = HeaderValue::from_str(allow) {
                headers.insert(header::ALLOW, v);
            }
        }
        if let ApiError::TooManyRequests { retry_after, .. } | ApiError::Busy { retry_after, .. } =
            &self
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        res
    }
}

impl From<crate::blocking::TaskFailed> for ApiError {
    fn from(e: crate::blocking::TaskFailed) -> Self {
        ApiError::Internal(e.to_string())
    }
}
