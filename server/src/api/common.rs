//! What the API handlers share: running a read, a command or an account
//! call off the async runtime (a password-hashing one within the bounded
//! argon2 slots, [`hashing`]), the `no-store` answer and the mapping of
//! intake errors.

use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::intake::IntakeError;
use crate::store::{Actor, Command, Store, StoreResult};
use crate::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use pingan_model::live::Event;

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
