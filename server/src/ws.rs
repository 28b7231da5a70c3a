//! `GET /ws`: the live stream (see docs/api.md). Placeholder until the stream lands.

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
