//! What the API handlers share: running a read, a command or an account
//! call off the async runtime (a password-hashing one within the bounded
//! argon2 slots, [`hashing`]), the `no-store` answer and the mapping of
//! intake errors.

use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::intake::IntakeError;
use crate::store::{
    idempotency, Actor, Answer, Answered, Command, IdempotencyKey, Store, StoreError, StoreResult,
};
use crate::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pingan_model::live::Event;
use serde::Serialize;

/// `Idempotent-Replayed: true` on an answer given again for a repeated key.
pub const IDEMPOTENT_REPLAYED: axum::http::HeaderName =
    axum::http::HeaderName::from_static("idempotent-replayed");

pub fn intake_error(e: IntakeError) -> ApiError {
    match e {
        IntakeError::Invalid { field, detail } => ApiError::Invalid { field, detail },
        IntakeError::NoRules(m) => ApiError::Unavailable(m),
    }
}

/// Runs a read on a blocking thread.
pub async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    let live = state.live().clone();
    Ok(crate::blocking::run(move || f(live.store().as_ref())).await?)
}

/// Runs a write command for `actor` from `from`, audited (see
/// [`crate::live::Live::execute_audited`]).
pub async fn execute(
    state: &AppState,
    actor: &Actor,
    from: &ClientAddr,
    cmd: Command,
) -> Result<Vec<Event>, ApiError> {
    Ok(state
        .live()
        .execute_audited(cmd, actor, &from.to_string())
        .await?)
}

/// Runs a write command for `actor` from `from`, audited, its answer built
/// by `answer` from its events; with a `key`, idempotent: a repeat of the
/// same request gets the first answer again (and `Idempotent-Replayed:
/// true`), nothing stored ([`crate::live::Live::execute_idempotent`]).
pub async fn execute_answered<F>(
    state: &AppState,
    actor: &Actor,
    from: &ClientAddr,
    cmd: Command,
    key: Option<IdempotencyKey>,
    answer: F,
) -> Result<Answered, ApiError>
where
    F: Fn(&[Event]) -> StoreResult<Answer> + Send + 'static,
{
    Ok(state
        .live()
        .execute_idempotent(cmd, actor, &from.to_string(), key, answer)
        .await?)
}

/// The answer remembered for a repeated key, read before a handler's own
/// checks (which may depend on the clock or the account's scope): a repeat
/// is answered as the first time whatever changed since. `None`: a new key
/// (or none), and the write's transaction decides again.
pub async fn replayed(
    state: &AppState,
    key: Option<&IdempotencyKey>,
) -> Result<Option<Answered>, ApiError> {
    let Some(key) = key.cloned() else {
        return Ok(None);
    };
    let answer = read(state, move |s| {
        let found = s.remembered(&key.account, &key.key)?;
        idempotency::replay(&key, found, crate::clock::now_ms())
    })
    .await?;
    Ok(answer.map(|answer| Answered {
        events: Vec::new(),
        answer,
        replayed: true,
    }))
}

/// The first event's value picked by `pick`, as a JSON answer of `status`
/// (what a write answers, remembered under its key).
pub fn answer_of<T: Serialize>(
    events: &[Event],
    status: StatusCode,
    what: &str,
    pick: impl Fn(&Event) -> Option<&T>,
) -> StoreResult<Answer> {
    let value = events
        .iter()
        .find_map(pick)
        .ok_or_else(|| StoreError::Backend(format!("the store reported no {what}")))?;
    let body = serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("serialising the {what}: {e}")))?;
    Ok(Answer {
        status: status.as_u16(),
        body,
    })
}

/// A write's answer: its status and JSON body, `no-store`, and
/// `Idempotent-Replayed: true` when it is the remembered one.
pub fn answered(out: &Answered) -> Response {
    let status = StatusCode::from_u16(out.answer.status).unwrap_or(StatusCode::OK);
    let mut res = (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out.answer.body.clone(),
    )
        .into_response();
    if out.replayed {
        res.headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    res
}

pub fn no_store<T: IntoResponse>(status: StatusCode, body: T) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// Runs a blocking account call off the runtime.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&crate::auth::Auth) -> crate::auth::AuthResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    let auth = state.auth().clone();
    Ok(crate::blocking::run(move || f(&auth)).await?)
}

/// Runs a blocking account call that hashes or verifies a password, within
/// one of the bounded argon2 slots ([`crate::auth::Auth::hash_slot`]):
/// after a short wait for a slot the answer is 503 `busy` with `Retry-After`.
pub async fn hashing<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&crate::auth::Auth) -> crate::auth::AuthResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    let slot = state.auth().hash_slot().await?;
    blocking(state, move |a| {
        let result = f(a);
        drop(slot);
        result
    })
    .await
}
