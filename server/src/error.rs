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
    #[error("{method} is not allowed on {path}; it answers GET and HEAD only")]
    MethodNotAllowed { method: String, path: String },
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
}

/// The JSON body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A short, stable, machine-readable code such as `bad_path`.
    pub error: String,
    /// A sentence for people, naming what was wrong.
    pub detail: String,
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
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code().to_string(),
            detail: self.to_string(),
        }
    }

    /// A failed `spawn_blocking` task (a panic in validation or compression).
    pub(crate) fn from_join(e: tokio::task::JoinError) -> ApiError {
        ApiError::Internal(format!("a background task failed: {e}"))
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
        if status == StatusCode::METHOD_NOT_ALLOWED {
            headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        res
    }
}
