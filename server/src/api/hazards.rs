//! The hazard endpoint: `POST /api/hazards/{id}/status` (idempotent with an
//! `Idempotency-Key`).

use super::common::{answer_of, answered, execute_answered, intake_error, replayed};
use super::extract::{HazardId, Idempotent};
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
    /// A photo of the site, stored first with `PUT /api/photos/{sha256}`.
    #[serde(default)]
    pub photo: Option<String>,
}

pub async fn hazard_status(
    State(state): State<AppState>,
    HazardId(id): HazardId,
    actor: Actor,
    from: ClientAddr,
    Idempotent { body: input, key }: Idempotent<HazardIn>,
) -> Result<Response, ApiError> {
    if let Some(first) = replayed(&state, key.as_ref()).await? {
        return Ok(answered(&first));
    }
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
    let cmd = Command::HazardStatus {
        id,
        status: input.status,
        by: actor.clone(),
        note: input.note,
        at: now_s(),
        photo: input.photo,
    };
    let out = execute_answered(&state, &actor, &from, cmd, key, |events| {
        answer_of(events, StatusCode::OK, "hazard change", |e| {
            match &e.change {
                Change::HazardStatus { hazard } => Some(hazard),
                _ => None,
            }
        })
    })
    .await?;
    Ok(answered(&out))
}
