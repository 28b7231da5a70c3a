//! The request timeout: a response must be ready (headers) within
//! `request_timeout` (30 s by default), reading the request body included,
//! or the client gets 408 JSON and the connection is closed. Streaming the
//! response body is not timed (a large layer file on a slow link may take
//! longer), nor is a WebSocket after its upgrade (the handler answers 101 at
//! once; the stream has its own heartbeat and write timeout). Slow headers
//! (slowloris) and idle connections are `crate::serve`'s.

use super::rejections::EdgeError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Middleware: answers 408 when the inner service takes longer than the limit.
pub async fn enforce(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => EdgeError::Timeout {
            secs: limit.as_secs(),
        }
        .into_response(),
    }
}
