//! `GET /api/live`: the small live layers (sensors, alerts, changed
//! hazards) at one sequence number and the store's epoch, the start of
//! every live client; who acted is masked for the reader's audience.

use super::common::{no_store, read};
use crate::error::ApiError;
use crate::store::Actor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

/// `GET /api/live`: the small live layers at one sequence number.
pub async fn live_snapshot(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Response, ApiError> {
    let mut snap = read(&state, |s| s.snapshot()).await?;
    crate::mask::mask_snapshot(&mut snap, &actor.audience(), state.live().hub().directory());
    Ok(no_store(StatusCode::OK, Json(snap)))
}
