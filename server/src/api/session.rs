//! Signing in and out: `POST /api/session` (username and password → the
//! `pingan_session` cookie: HttpOnly, SameSite=Strict, Path=/, Max-Age, and
//! Secure over HTTPS), `GET /api/session` (who am I), `DELETE /api/session`
//! (revoke and clear), and `POST /api/devices/pair` (a wall's one-use code →
//! a long-lived device session). Every failed credential gets the same
//! answer; passwords are never logged. Each is journaled
//! (`auth/journal.rs`): a failed login's username only masked in the log.

use super::common::{blocking, hashing, no_store};
use super::extract::JsonBody;
use crate::auth::journal::masked;
use crate::auth::{AuthError, Me, NewSession, Resolved, COOKIE};
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};

/// `POST /api/session`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginIn")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `POST /api/devices/pair`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PairIn {
    pub code: String,
}

/// Answer of a login or a pairing.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct SessionOut {
    pub user: Me,
}

/// Whether the client sees this server over HTTPS: a TLS connection or a
/// trusted proxy's word (`crate::http::Client::https`), the one rule for
/// `X-Forwarded-Proto` everywhere.
fn over_https(extensions: &axum::http::Extensions) -> bool {
    crate::http::Client::of(extensions).https
}

/// The `Set-Cookie` value of a session (`max_age` 0 clears it).
pub fn cookie(token: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

fn with_cookie(mut res: Response, value: &str) -> Result<Response, ApiError> {
    let v = HeaderValue::from_str(value)
        .map_err(|e| ApiError::Internal(format!("the session cookie is not a header: {e}")))?;
    res.headers_mut().insert(header::SET_COOKIE, v);
    Ok(res)
}

fn started(s: NewSession, secure: bool) -> Result<Response, ApiError> {
    let me = Me::of(&s.resolved).ok_or_else(|| ApiError::Internal("a session of no one".into()))?;
    let res = no_store(StatusCode::OK, Json(SessionOut { user: me }));
    with_cookie(res, &cookie(&s.token, s.max_age, secure))
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    req: Request,
) -> Result<Response, ApiError> {
    let secure = over_https(req.extensions());
    let (parts, body) = req.into_parts();
    let input: LoginIn = super::extract::json_body(&parts.headers, body, 4096).await?;
    // Counted before waiting for a hashing slot: attempts over the limit
    // never queue. They are not journaled one by one (a flood would fill
    // the audit log); the limit itself is the record.
    if let Err(e) = state.auth().count_login(input.username.trim(), from) {
        tracing::debug!(user = %masked(input.username.trim()), from = %from, "login over the rate limit");
        return Err(e.into());
    }
    let s = hashing(&state, move |a| {
        let name = input.username.trim();
        let at = from.to_string();
        match a.login_counted(name, &input.password) {
            Ok(s) => {
                a.journal(&s.resolved.actor, "login", format!("users/{name}"), &at, "");
                Ok(s)
            }
            Err(e) => {
                a.journal_login_failed(name, &at, e.code());
                Err(e)
            }
        }
    })
    .await?;
    started(s, secure)
}

pub async fn me(who: Resolved) -> Result<Response, ApiError> {
    let me = Me::of(&who)
        .ok_or_else(|| ApiError::Unauthenticated("not signed in (or the session ended)".into()))?;
    Ok(no_store(StatusCode::OK, Json(me)))
}

pub async fn logout(
    State(state): State<AppState>,
    who: Resolved,
    req: Request,
) -> Result<Response, ApiError> {
    let secure = over_https(req.extensions());
    if let Some(id) = who.actor.session() {
        let at = ClientAddr::of(req.extensions()).to_string();
        blocking(&state, move |a| {
            a.revoke(crate::store::accounts::Sessions::One(id))?;
            a.journal(&who.actor, "logout", format!("sessions/{id}"), &at, "");
            Ok(())
        })
        .await?;
    }
    let res = no_store(StatusCode::NO_CONTENT, ());
    with_cookie(res, &cookie("", 0, secure))
}

pub async fn pair(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    req: Request,
) -> Result<Response, ApiError> {
    let secure = over_https(req.extensions());
    let (parts, body) = req.into_parts();
    let JsonBody(input): JsonBody<PairIn> = JsonBody(
        super::extract::json_body(&parts.headers, body, super::extract::SINGLE_LIMIT).await?,
    );
    let s = blocking(&state, move |a| {
        let at = from.to_string();
        match a.pair(&input.code, from) {
            Ok(s) => {
                let target = match s.resolved.actor.account {
                    crate::store::Account::Device { id, .. } => format!("devices/{id}"),
                    _ => "devices".to_string(),
                };
                a.journal(&s.resolved.actor, "device.pair", target, &at, "");
                Ok(s)
            }
            Err(e @ AuthError::RateLimited(_)) => Err(e),
            Err(e) => {
                a.journal(
                    &crate::store::Actor::anonymous(""),
                    "device.pair_failed",
                    "devices",
                    &at,
                    e.code(),
                );
                Err(e)
            }
        }
    })
    .await?;
    started(s, secure)
}
