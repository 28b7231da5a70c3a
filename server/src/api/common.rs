//! What the API handlers share: running a read or a command on the live
//! service off the async runtime, the `no-store` answer and the mapping of
//! intake errors.

use crate::audit::ClientAddr;
use crate::error::ApiError;
use crate::intake::IntakeError;
use crate::store::{Account, Actor, Command, Store, StoreResult};
use crate::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use pingan_model::access::Permission;
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
    tokio::task::spawn_blocking(move || f(live.store().as_ref()))
        .await
        .map_err(ApiError::from_join)?
        .map_err(ApiError::from)
}

/// Runs a write command for `actor` from `from`, audited (see
/// [`crate::live::Live::execute_audited`]).
pub async fn execute(
    state: &AppState,
    actor: &Actor,
    from: &ClientAddr,
    cmd: Command,
) -> Result<Vec<Event>, ApiError> {
    Ok(state.live().execute_audited(cmd, actor, &from.0).await?)
}

/// `Ok` when `actor` holds `permission`; else 401 for anonymous requests,
/// 403 naming the permission for the others.
pub fn require(actor: &Actor, permission: Permission) -> Result<(), ApiError> {
    if actor.allows(permission) {
        Ok(())
    } else if actor.account == Account::Anonymous {
        Err(ApiError::Unauthenticated)
    } else {
        Err(ApiError::Forbidden { permission })
    }
}

pub fn no_store<T: IntoResponse>(status: StatusCode, body: T) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}
