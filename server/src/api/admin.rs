//! Account administration (`users:manage`): users (`GET/POST /api/users`,
//! `POST /api/users/{username}`), API keys (`GET/POST /api/keys`,
//! `DELETE /api/keys/{id}`), live sessions (`GET /api/sessions`,
//! `DELETE /api/sessions/{id}`) and wall devices (`GET/POST /api/devices`,
//! `DELETE /api/devices/{id}`). Secrets (a drawn password, a key, a pairing
//! code) are in the creating answer only; nothing lists them again.

use super::common::{blocking, hashing, no_store};
use super::extract::{JsonBody, RowId, Username};
use crate::auth::accounts::{UserIn, UserPatch};
use crate::error::ApiError;
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

fn who(actor: &Actor) -> &str {
    actor.account_name().unwrap_or("")
}

pub async fn list_users(State(state): State<AppState>) -> Result<Response, ApiError> {
    let users = blocking(&state, |a| a.users()).await?;
    Ok(no_store(StatusCode::OK, Json(users)))
}

pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(input): JsonBody<UserIn>,
) -> Result<Response, ApiError> {
    let user = hashing(&state, move |a| a.create_user(&input)).await?;
    tracing::info!(by = who(&actor), user = %user.username, role = %user.role, "user.create");
    Ok(no_store(StatusCode::CREATED, Json(user)))
}

pub async fn update_user(
    State(state): State<AppState>,
    Username(username): Username,
    actor: Actor,
    JsonBody(input): JsonBody<UserPatch>,
) -> Result<Response, ApiError> {
    let name = username.clone();
    let user = hashing(&state, move |a| a.update_user(&name, &input)).await?;
    tracing::info!(by = who(&actor), user = %username, "user.update");
    Ok(no_store(StatusCode::OK, Json(user)))
}

pub async fn list_keys(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = blocking(&state, |a| a.keys()).await?;
    Ok(no_store(StatusCode::OK, Json(keys)))
}

pub async fn create_key(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(input): JsonBody<KeyIn>,
) -> Result<Response, ApiError> {
    let key = blocking(&state, move |a| {
        a.create_key(&input.name, &input.scopes, input.expires_at)
    })
    .await?;
    tracing::info!(by = who(&actor), key = key.id, name = %key.name, "key.create");
    Ok(no_store(StatusCode::CREATED, Json(key)))
}

pub async fn revoke_key(
    State(state): State<AppState>,
    RowId(id): RowId,
    actor: Actor,
) -> Result<Response, ApiError> {
    blocking(&state, move |a| a.revoke_key(id)).await?;
    tracing::info!(by = who(&actor), key = id, "key.revoke");
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
) -> Result<Response, ApiError> {
    blocking(&state, move |a| a.revoke_session(id)).await?;
    tracing::info!(by = who(&actor), session = id, "session.revoke");
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
    JsonBody(input): JsonBody<DeviceIn>,
) -> Result<Response, ApiError> {
    let device = blocking(&state, move |a| a.create_device(&input.name)).await?;
    tracing::info!(by = who(&actor), device = device.id, "device.create");
    Ok(no_store(StatusCode::CREATED, Json(device)))
}

pub async fn revoke_device(
    State(state): State<AppState>,
    RowId(id): RowId,
    actor: Actor,
) -> Result<Response, ApiError> {
    blocking(&state, move |a| a.revoke_device(id)).await?;
    tracing::info!(by = who(&actor), device = id, "device.revoke");
    Ok(no_store(StatusCode::NO_CONTENT, ()))
}
