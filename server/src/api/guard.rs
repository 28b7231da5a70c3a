//! The check layer: built from each endpoint's `permission` column in
//! `routes.rs` ([`Access`]), it resolves the request's credential once
//! ([`credential`]: `Authorization: Bearer`, else the cookie `pingan_session`;
//! a malformed `Authorization` is no credential), answers
//! 401 (no valid credential) or 403 (naming the missing permission) before
//! the handler runs, and hands the resolved [`Resolved`] to the handler's
//! `Actor` extractor through the request's extensions.

use crate::auth::{Credential, Presented, Resolved};
use crate::error::ApiError;
use crate::store::{Account, Actor};
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use pingan_model::access::Permission;

/// What an endpoint requires of the caller (the `permission` column of
/// `routes.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (signing in, pairing, health).
    Public,
    /// A session or key holding the permission: else 401 (no valid
    /// credential) or 403 (naming the permission).
    Need(Permission),
}

/// The credential of a request ([`crate::auth::presented`]): `None` for
/// no credential and for a malformed `Authorization` header (which never
/// falls back to the cookie).
pub fn credential(headers: &HeaderMap) -> Option<Credential> {
    match crate::auth::presented(headers) {
        Presented::Credential(c) => Some(c),
        Presented::Nothing | Presented::Malformed => None,
    }
}

/// Who the credential is (anonymous without a valid one).
pub async fn resolve(state: &AppState, cred: Option<Credential>) -> Result<Resolved, ApiError> {
    let Some(cred) = cred else {
        return Ok(Resolved::anonymous());
    };
    let auth = state.auth().clone();
    Ok(crate::blocking::run(move || auth.resolve(&cred)).await?)
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
        scope: None,
        detail: format!("this needs the permission {p} ({en}), which this account does not have"),
    })
}

/// Refuses a write by an account limited to a subdistrict (an officer's
/// scope) on something that lies in another subdistrict, or whose
/// subdistrict is unknown: 403 naming `p`. Unscoped accounts pass.
pub fn within_scope(actor: &Actor, p: Permission, place: Option<&str>) -> Result<(), ApiError> {
    let Account::User {
        scope: Some(scope), ..
    } = &actor.account
    else {
        return Ok(());
    };
    if place == Some(scope.as_str()) {
        return Ok(());
    }
    Err(ApiError::Forbidden {
        permission: p,
        scope: Some(scope.clone()),
        detail: format!(
            "this needs the permission {p} in {}, which lies outside the account's \
             subdistrict {scope}",
            place.unwrap_or("an unknown subdistrict")
        ),
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
