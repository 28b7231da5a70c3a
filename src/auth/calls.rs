//! The session calls of the auth API: check (`GET /api/session`), sign in
//! (`POST`), sign out (`DELETE`) and pair a wall (`POST /api/devices/pair`),
//! each answering a typed [`AuthError`]. The cookie is HttpOnly: the app
//! never sees it, the browser sends it.

use super::{AuthError, Me};
use crate::web::fetch::{send_json, FetchError, Method};

const SESSION: &str = "api/session";
const PAIR: &str = "api/devices/pair";

fn auth_error(e: FetchError) -> AuthError {
    match e {
        FetchError::Unauthenticated { .. } => AuthError::BadCredentials,
        FetchError::TooMany { retry_after_s, .. } => AuthError::TooMany(retry_after_s),
        FetchError::Network { reason, .. } => AuthError::Network(reason),
        other => AuthError::Server(other.to_string()),
    }
}

/// What `GET /api/session` said.
pub enum Check {
    SignedIn(Me),
    /// 401: no session (or it expired or was revoked).
    None,
    /// 404: no auth API here (static hosting).
    NoApi,
}

/// The current session.
pub async fn check() -> Result<Check, AuthError> {
    match send_json(Method::Get, SESSION, None).await {
        Ok(text) => Me::parse(&text).map(Check::SignedIn),
        Err(e) if e.is_unauthenticated() => Ok(Check::None),
        Err(FetchError::Http { status: 404, .. }) => Ok(Check::NoApi),
        Err(e) => Err(auth_error(e)),
    }
}

/// Signs in with a username and password.
pub async fn sign_in(username: &str, password: &str) -> Result<Me, AuthError> {
    let body = serde_json::json!({ "username": username, "password": password });
    let text = send_json(Method::Post, SESSION, Some(&body))
        .await
        .map_err(auth_error)?;
    Me::parse(&text)
}

/// Ends the session (the server revokes it and clears the cookie).
pub async fn sign_out() -> Result<(), AuthError> {
    match send_json(Method::Delete, SESSION, None).await {
        // Already gone is signed out too.
        Ok(_) => Ok(()),
        Err(e) if e.is_unauthenticated() => Ok(()),
        Err(e) => Err(auth_error(e)),
    }
}

/// Pairs this screen as a wall device with a one-use code.
pub async fn pair(code: &str) -> Result<Me, AuthError> {
    let body = serde_json::json!({ "code": code });
    match send_json(Method::Post, PAIR, Some(&body)).await {
        Ok(text) => Me::parse(&text),
        Err(FetchError::TooMany { retry_after_s, .. }) => Err(AuthError::TooMany(retry_after_s)),
        Err(FetchError::Network { reason, .. }) => Err(AuthError::Network(reason)),
        Err(e) => Err(AuthError::BadCode(e.to_string())),
    }
}
