//! `GET /api/contacts/{layer}/{id}`: the unmasked contacts of one hazard or
//! grid (the layer files serve them masked). Needs `personal:read`; a
//! reader limited to a subdistrict gets 403 for a feature elsewhere; every
//! answered read is audited (`contacts.read`).

use super::common::{no_store, read};
use crate::audit;
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::mask::{Contact, ContactLayer};
use crate::store::Actor;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use pingan_model::access::{Audience, Permission};
use serde::{Deserialize, Serialize};

/// Reply of `GET /api/contacts/{layer}/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactsOut {
    pub layer: String,
    pub id: String,
    pub contacts: Vec<Contact>,
}

pub async fn contacts(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Path((layer, id)) = path.map_err(|e| ApiError::BadField {
        field: "path".into(),
        detail: e.body_text(),
    })?;
    let kind = ContactLayer::parse(&layer).ok_or_else(|| ApiError::BadField {
        field: "layer".into(),
        detail: format!("{layer:?}: contacts are kept for hazards and grids"),
    })?;
    let directory = state.live().hub().directory().clone();
    let site = directory
        .site(kind, &id)
        .ok_or_else(|| ApiError::NoSuchEntity(format!("{layer}/{id} does not exist")))?;
    if !actor.audience().sees_personal(site.subdistrict.as_deref()) {
        return Err(ApiError::Forbidden {
            permission: Permission::PersonalRead,
            scope: match actor.audience() {
                Audience::Personal { scope } => scope,
                Audience::Public => None,
            },
            detail: format!("{layer}/{id} lies outside the subdistrict this account is limited to"),
        });
    }
    let target = format!("{layer}/{id}");
    let entry = audit::entry(&actor, "contacts.read", target, &from.to_string(), "");
    read(&state, move |s| s.audit(&entry)).await?;
    let out = ContactsOut {
        layer: kind.as_str().into(),
        id,
        contacts: site.contacts.clone(),
    };
    Ok(no_store(StatusCode::OK, Json(out)))
}
