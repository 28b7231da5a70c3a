//! Account administration (`users:manage`): users (`GET/POST /api/users`,
//! `POST /api/users/{username}`), API keys (`GET/POST /api/keys`,
//! `DELETE /api/keys/{id}`), live sessions (`GET /api/sessions`,
//! `DELETE /api/sessions/{id}`) and wall devices (`GET/POST /api/devices`,
//! `DELETE /api/devices/{id}`). Secrets (a drawn password, a key, a pairing
//! code) are in the creating answer only; nothing lists them again. Every
//! change is journaled (`auth/journal.rs`: the audit log and the log).

use super::common::{blocking, hashing, no_store};
use super::extract::{JsonBody, RowId, Username};
use crate::auth::accounts::{UserIn, UserPatch};
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::store::Actor;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use pingan_model::access::Permission;
use serde::{Deserialize, Serialize};

/// `POST /api/keys`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    pub name: String,
    pub scopes: Vec<Permission>,
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// `POST /api/devices`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceIn {
    pub name: String,
}

pub async fn list_users(State(state): State<AppState>) -> Result<Response, ApiError> {
    let users = blocking(&state, |a| a.users()).await?;
    Ok(no_store(StatusCode::OK, Json(users)))
}

pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    JsonBody(input): JsonBody<UserIn>,
) -> Result<Response, ApiError> {
    let user = hashing(&state, move |a| {
        let u = a.create_user(&input)?;
        let scope = u.scope.as_deref().map(|s| format!(", scope {s}"));
        a.journal(
            &actor,
            "user.create",
            format!("users/{}", u.username),
            &from.to_string(),
            format!("role {}{}", u.role, scope.unwrap_or_default()),
        );
        Ok(u)
    })
    .await?;
    Ok(no_store(StatusCode::CREATED, Json(user)))
}

pub async fn update_user(
    State(state): State<AppState>,
    Username(username): Username,
    actor: Actor,
    from: ClientAddr,
    JsonBody(input): JsonBody<UserPatch>,
) -> Result<Response, ApiError> {
    let user = hashing(&state, move |a| {
        let u = a.update_user(&username, &input)?;
        a.journal(
            &actor,
            "user.update",
            format!("users/{}", u.username),
            &from.to_string(),
            input.summary(),
        );
        Ok(u)
    })
    .await?;
    Ok(no_store(StatusCode::OK, Json(user)))
}

pub async fn list_keys(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = blocking(&state, |a| a.keys()).await?;
    Ok(no_store(StatusCode::OK, Json(keys)))
}

pub async fn create_key(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    JsonBody(input): JsonBody<KeyIn>,
) -> Result<Response, ApiError> {
    let key = blocking(&state, move |a| {
        let k = a.create_key(&input.name, &input.scopes, input.expires_at)?;
        let scopes: Vec<_> = k.scopes.iter().map(|p| p.name()).collect();
        a.journal(
            &actor,
            "key.create",
            format!("keys/{}", k.id),
            &from.to_string(),
            format!("{} ({})", k.name, scopes.join(",")),
        );
        Ok(k)
    })
    .await?;
    Ok(no_store(StatusCode::CREATED, Json(key)))
}

pub async fn revoke_key(
    State(state): State<AppState>,
    RowId(id): RowId,
    actor: Actor,
    from: ClientAddr,
) -> Result<Response, ApiError> {
    blocking(&state, move |a| {
        a.revoke_key(id)?;
        a.journal(
            &actor,
            "key.revoke",
            format!("keys/{id}"),
            &from.to_string(),
            "",
        );
        Ok(())
    })
    .await?;
    Ok(no_store(StatusCode::NO_CONTENT, ()))
}

pub async fn list_sessions(State(state): State<AppState>) -> Result<Response, ApiError> {
    let sessions = blocking(&state, |a| a.sessions()).await?;
    Ok(no_store(StatusCode::OK, Json(sessions)))
}

pub async fn revoke_session(
    State(state): State<AppState>,
    RowId(id): RowId,
    actor: Actor,
    from: ClientAddr,
) -> Result<Response, ApiError> {
    blocking(&state, move |a| {
        a.revoke_session(id)?;
        a.journal(
            &actor,
            "session.revoke",
            format!("sessions/{id}"),
            &from.to_string(),
            "",
        );
        Ok(())
    })
    .await?;
    Ok(no_store(StatusCode::NO_CONTENT, ()))
}

pub async fn list_devices(State(state): State<AppState>) -> Result<Response, ApiError> {
    let devices = blocking(&state, |a| a.devices()).await?;
    let out: Vec<serde_json::Value> = devices
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "id": d.id, "name": d.name, "created_at": d.created_at,
                "pairing_expires_at": d.pairing_expires_at, "paired_at": d.paired_at,
                "revoked_at": d.revoked_at,
            })
        })
        .collect();
    Ok(no_store(StatusCode::OK, Json(out)))
}

pub async fn create_device(
    State(state): State<AppState>,
    actor: Actor,
    from: ClientAddr,
    JsonBody(input): JsonBody<DeviceIn>,
) -> Result<Response, ApiError> {
    let device = blocking(&state, move |a| {
        let d = a.create_device(&input.name)?;
        a.journal(
            &actor,
            "device.create",
            format!("devices/{}", d.id),
            &from.to_string(),
            d.name.clone(),
        );
        Ok(d)
    })
    .await?;
    Ok(no_store(StatusCode::CREATED, Json(device)))
}

pub async fn revoke_device(
    State(state): State<AppState>,
    RowId(id): RowId,
    actor: Actor,
    from: ClientAddr,
) -> Result<Response, ApiError> {
    blocking(&state, move |a| {
        a.revoke_device(id)?;
        a.journal(
            &actor,
            "device.revoke",
            format!("devices/{id}"),
            &from.to_string(),
            "",
        );
        Ok(())
    })
    .await?;
    Ok(no_store(StatusCode::NO_CONTENT, ()))
}
