//! The live HTTP API: cases, transitions, readings, alerts, hazard status.
//! Placeholder until the live API lands.

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
