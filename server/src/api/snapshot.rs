//! `GET /api/live`: the small live layers (sensors, alerts, changed
//! hazards) at one sequence number, the start of every live client.

use super::common::{no_store, read};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

/// `GET /api/live`: the small live layers at one sequence number.
pub async fn live_snapshot(State(state): State<AppState>) -> Result<Response, ApiError> {
    let snap = read(&state, |s| s.snapshot()).await?;
    Ok(no_store(StatusCode::OK, Json(snap)))
}
