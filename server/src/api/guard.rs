//! The check layer: built from each endpoint's `permission` column in
//! `routes.rs`, it resolves the request's credential once (cookie
//! `pingan_session` or `Authorization: Bearer`, see `extract.rs`), answers
//! 401 (no valid credential) or 403 (naming the missing permission) before
//! the handler runs, and hands the resolved [`Resolved`] to the handler's
//! `Actor` extractor through the request's extensions.

use super::extract::credential;
use super::routes::Access;
use crate::auth::{Credential, Resolved};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

/// Who the credential is (anonymous without a valid one).
pub async fn resolve(state: &AppState, cred: Option<Credential>) -> Result<Resolved, ApiError> {
    let Some(cred) = cred else {
        return Ok(Resolved::anonymous());
    };
    let auth = state.auth().clone();
    tokio::task::spawn_blocking(move || auth.resolve(&cred))
        .await
        .map_err(ApiError::from_join)?
        .map_err(ApiError::from)
}

/// The answer to an actor lacking what `access` asks, if any.
pub fn refusal(who: &Resolved, access: Access) -> Option<ApiError> {
    let Access::Need(p) = access else {
        return None;
    };
    if who.is_anonymous() {
        return Some(ApiError::Unauthenticated(
            "sign in first: this needs a valid session (POST /api/session) or API key \
             (Authorization: Bearer …)"
                .into(),
        ));
    }
    if who.actor.allows(p) {
        return None;
    }
    let (_, en) = p.label();
    Some(ApiError::Forbidden {
        permission: p,
        detail: format!("this needs the permission {p} ({en}), which this account does not have"),
    })
}

async fn check(state: AppState, access: Access, mut req: Request, next: Next) -> Response {
    let cred = credential(req.headers());
    let who = match resolve(&state, cred).await {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    if let Some(no) = refusal(&who, access) {
        return no.into_response();
    }
    req.extensions_mut().insert(who);
    next.run(req).await
}

/// `methods` behind the check of `access`.
pub fn guarded(
    state: &AppState,
    access: Access,
    methods: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    methods.route_layer(middleware::from_fn_with_state(
        state.clone(),
        move |State(s): State<AppState>, req: Request, next: Next| check(s, access, req, next),
    ))
}
