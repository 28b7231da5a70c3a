//! The hazard endpoint: `POST /api/hazards/{id}/status`.

use super::common::{execute, intake_error, no_store};
use super::extract::{HazardId, JsonBody};
use crate::clock::now_s;
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::intake::{check_text, MAX_NOTE};
use crate::mask::ContactLayer;
use crate::store::{Actor, Command};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use pingan_model::access::Permission;
use pingan_model::domain::HazardStatus;
use pingan_model::live::Change;
use serde::{Deserialize, Serialize};

/// `POST /api/hazards/{id}/status`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HazardIn {
    pub status: HazardStatus,
    /// Accepted and ignored: the actor is the signed-in account.
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub async fn hazard_status(
    State(state): State<AppState>,
    HazardId(id): HazardId,
    actor: Actor,
    from: ClientAddr,
    JsonBody(input): JsonBody<HazardIn>,
) -> Result<Response, ApiError> {
    check_text("note", &input.note, MAX_NOTE, true).map_err(intake_error)?;
    if actor.scope().is_some() {
        let place = state
            .live()
            .hub()
            .directory()
            .site(ContactLayer::Hazards, &id)
            .and_then(|s| s.subdistrict.clone());
        super::guard::within_scope(&actor, Permission::HazardsStatus, place.as_deref())?;
    }
    let events = execute(
        &state,
        &actor,
        &from,
        Command::HazardStatus {
            id,
            status: input.status,
            by: actor.clone(),
            note: input.note,
            at: now_s(),
        },
    )
    .await?;
    let hazard = events
        .into_iter()
        .find_map(|e| match e.change {
            Change::HazardStatus { hazard } => Some(hazard),
            _ => None,
        })
        .ok_or_else(|| ApiError::Internal("the store reported no hazard change".into()))?;
    Ok(no_store(StatusCode::OK, Json(hazard)))
}
