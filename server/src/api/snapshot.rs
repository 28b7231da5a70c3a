//! `GET /api/live`: the small live layers (sensors, alerts, changed
//! hazards) at one sequence number and the store's epoch, the start of
//! every live client; who acted is masked for the reader's audience (the
//! public one with `?audience=public`, whoever is signed in), and an answer
//! that leaves someone's name unmasked is audited (`live.read_unmasked`)
//! before it is sent.

use super::common::{no_store, read};
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::store::Actor;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

/// `GET /api/live`: the small live layers at one sequence number.
pub async fn live_snapshot(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let public = super::extract::public_audience(raw.as_deref())?;
    let audience = crate::mask::reader_audience(&actor, public);
    let mut snap = read(&state, |s| s.snapshot()).await?;
    let shown = crate::mask::mask_snapshot(&mut snap, &audience, state.live().hub().directory());
    if shown.any() {
        let scenes = if shown.scenes > 0 {
            format!(", {} scenes", shown.scenes)
        } else {
            String::new()
        };
        let detail = format!(
            "{} hazards, {} alerts{scenes} unmasked",
            shown.hazards, shown.alerts
        );
        let entry = crate::audit::entry(
            &actor,
            "live.read_unmasked",
            "live",
            &from.to_string(),
            detail,
        );
        read(&state, move |s| s.audit(&entry)).await?;
    }
    Ok(no_store(StatusCode::OK, Json(snap)))
}
