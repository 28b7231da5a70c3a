//! Who is signed in: [`Me`] (the server's description of the session: a
//! person, a wall device or a key, its role, scope and permissions), the
//! [`Session`] the app is in (checking, signed out, signed in, or lost — a
//! 401 after having been signed in, which brings the sign-in back over the
//! map), and the typed [`AuthError`] of the sign-in calls (`calls`). Parsing
//! and the small URL rule of wall pairing are pure and tested natively; the
//! calls are in `calls.rs`, the session at page load in `start.rs`.

pub mod calls;
pub mod start;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use pingan_model::access::{Permission, Role};
use pingan_model::domain::Lang;
use serde_json::Value;

/// What kind of identity a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    /// A paired wall screen (long-lived session, viewer).
    Device,
    Key,
}

/// The signed-in identity, as `GET /api/session` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Me {
    pub kind: Kind,
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    /// The subdistrict a scoped officer is limited to.
    pub scope: Option<String>,
    /// Permissions the app knows (unknown names are left out).
    pub permissions: Vec<Permission>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

impl Me {
    /// Reads `Me` from the answer of `GET /api/session` (the object itself)
    /// or of the sign-in and pairing (`{"user": Me}`).
    pub fn parse(text: &str) -> Result<Me, AuthError> {
        let v: Value = serde_json::from_str(text).map_err(|e| AuthError::Decode(e.to_string()))?;
        let o = v.get("user").unwrap_or(&v);
        let s = |k: &str| o.get(k).and_then(Value::as_str);
        let kind = match s("kind") {
            Some("user") => Kind::User,
            Some("device") => Kind::Device,
            Some("key") => Kind::Key,
            other => return Err(AuthError::Decode(format!("kind: {other:?}"))),
        };
        let username = s("username")
            .ok_or_else(|| AuthError::Decode("no username".into()))?
            .to_string();
        let display_name = s("display_name")
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(&username)
            .to_string();
        let permissions = o
            .get("permissions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().and_then(Permission::parse))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Me {
            kind,
            username,
            display_name,
            role: s("role").and_then(Role::parse),
            scope: s("scope").map(str::to_string),
            permissions,
            expires_at: o.get("expires_at").and_then(Value::as_i64),
        })
    }

    pub fn allows(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// What the status bar shows after the name: the role (and scope), or
    /// that this is a wall device.
    pub fn role_text(&self, lang: Lang) -> String {
        let base = match (self.kind, self.role) {
            (Kind::Device, _) => lang.pick("大屏设备", "Wall device").to_string(),
            (_, Some(r)) => {
                let (zh, en) = r.label();
                lang.pick(zh, en).to_string()
            }
            (_, None) => lang.pick("接口密钥", "API key").to_string(),
        };
        match &self.scope {
            Some(s) => format!("{base} · {s}"),
            None => base,
        }
    }
}

/// Where the app stands with the server.
#[derive(Clone, Debug, PartialEq)]
pub enum Session {
    /// `GET /api/session` (or a pairing) in flight: nothing shown yet.
    Checking,
    /// Never signed in on this page (or the session check failed): the
    /// sign-in screen alone, the map not mounted. `problem`: a message to
    /// show (a failed pairing, an unreachable server).
    SignedOut {
        problem: Option<AuthError>,
    },
    SignedIn(Me),
    /// No auth API at all (`GET /api/session` is 404: the app and data on a
    /// static file server): the map as before, nobody signed in, nothing
    /// offered. The data files are whatever that server publishes.
    Static,
    /// A call answered 401 after signing in (expired, revoked): the sign-in
    /// over the map, which stays mounted with its view and selection.
    Lost(Me),
}

impl Session {
    pub fn me(&self) -> Option<&Me> {
        match self {
            Session::SignedIn(me) => Some(me),
            _ => None,
        }
    }

    /// Whether the map has ever been shown on this page (it then stays).
    pub fn has_map(&self) -> bool {
        matches!(
            self,
            Session::SignedIn(_) | Session::Lost(_) | Session::Static
        )
    }
}

/// Why a sign-in call failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// Wrong username or password (or unknown or disabled user: the server
    /// does not say which).
    #[error("bad credentials")]
    BadCredentials,
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts (retry after {0:?} s)")]
    TooMany(Option<u32>),
    /// The wall's pairing code was wrong, used or expired.
    #[error("pairing refused: {0}")]
    BadCode(String),
    #[error("network: {0}")]
    Network(String),
    #[error("server: {0}")]
    Server(String),
    #[error("unreadable answer: {0}")]
    Decode(String),
}

impl AuthError {
    /// The message the sign-in screen shows.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (AuthError::BadCredentials, Lang::Zh) => "用户名或密码错误".into(),
            (AuthError::BadCredentials, Lang::En) => "Wrong username or password".into(),
            (AuthError::TooMany(Some(s)), Lang::Zh) => format!("尝试次数过多，请 {s} 秒后再试"),
            (AuthError::TooMany(Some(s)), Lang::En) => {
                format!("Too many attempts: try again in {s} s")
            }
            (AuthError::TooMany(None), Lang::Zh) => "尝试次数过多，请稍后再试".into(),
            (AuthError::TooMany(None), Lang::En) => "Too many attempts: try again later".into(),
            (AuthError::BadCode(_), Lang::Zh) => {
                "配对码无效或已过期，请向管理员索取新的配对码".into()
            }
            (AuthError::BadCode(_), Lang::En) => {
                "The pairing code is invalid or has expired: ask an admin for a new one".into()
            }
            (AuthError::Network(_), Lang::Zh) => "无法连接服务器".into(),
            (AuthError::Network(_), Lang::En) => "Cannot reach the server".into(),
            (AuthError::Server(d) | AuthError::Decode(d), Lang::Zh) => format!("服务器错误：{d}"),
            (AuthError::Server(d) | AuthError::Decode(d), Lang::En) => format!("Server error: {d}"),
        }
    }
}

/// A call answered 401 after signing in: the sign-in comes back over the
/// map (nothing else changes). Safe to call from any callback, as often as
/// 401s arrive: only the change from signed in notifies (every reconnect
/// attempt while lost reports it again, and a notification each time would
/// reset the sign-in form under the user's fingers).
pub fn lost(session: RwSignal<Session>) {
    session.maybe_update(|s| match s {
        Session::SignedIn(me) => {
            *s = Session::Lost(me.clone());
            true
        }
        _ => false,
    });
}

/// Whether the session permits `p` (tracked: components re-render when the
/// session changes).
pub fn permits(session: RwSignal<Session>, p: Permission) -> bool {
    session.with(|s| s.me().is_some_and(|m| m.allows(p)))
}

/// The subdistrict the signed-in account is limited to, if any (tracked).
pub fn scope(session: RwSignal<Session>) -> Option<String> {
    session.with(|s| s.me().and_then(|m| m.scope.clone()))
}

/// Waits until the session is signed in again (polling the signal; ends
/// early, returning false, when the app is unmounted).
pub async fn signed_in(session: RwSignal<Session>) -> bool {
    loop {
        match session.try_with_untracked(|s| matches!(s, Session::SignedIn(_))) {
            Some(true) => return true,
            None => return false,
            Some(false) => TimeoutFuture::new(300).await,
        }
    }
}

/// The wall's pairing code in a query string (`?mode=wall&pair=12345678`)
/// and the query without it (what the address keeps). `None` without one.
pub fn pairing_code(search: &str) -> Option<(String, String)> {
    let q = search.strip_prefix('?').unwrap_or(search);
    let mut code = None;
    let mut kept: Vec<&str> = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        match part.strip_prefix("pair=") {
            Some(c) => code = Some(c.trim().to_string()),
            None => kept.push(part),
        }
    }
    let code = code?;
    let rest = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    Some((code, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_is_read_bare_or_wrapped_and_unknown_permissions_are_dropped() {
        let bare = r#"{"kind":"user","username":"officer-xixiang","display_name":"西乡网格员",
            "role":"officer","scope":"西乡街道",
            "permissions":["read","personal:read","moon:land"],"expires_at":1795670493}"#;
        let me = Me::parse(bare).unwrap();
        assert_eq!(me.kind, Kind::User);
        assert_eq!(me.role, Some(Role::Officer));
        assert_eq!(me.scope.as_deref(), Some("西乡街道"));
        assert_eq!(
            me.permissions,
            vec![Permission::Read, Permission::PersonalRead]
        );
        assert!(me.allows(Permission::PersonalRead));
        assert!(!me.allows(Permission::CasesTransition));
        assert_eq!(me.role_text(Lang::Zh), "网格员 · 西乡街道");
        assert_eq!(me.expires_at, Some(1795670493));
        let wrapped = format!(r#"{{"user":{bare}}}"#);
        assert_eq!(Me::parse(&wrapped).unwrap(), me);
    }

    #[test]
    fn a_device_reads_as_a_wall_and_a_missing_display_name_uses_the_username() {
        let me = Me::parse(
            r#"{"user":{"kind":"device","username":"wall-1","display_name":"","role":"viewer",
                "scope":null,"permissions":["read"],"expires_at":null}}"#,
        )
        .unwrap();
        assert_eq!(me.kind, Kind::Device);
        assert_eq!(me.display_name, "wall-1");
        assert_eq!(me.role_text(Lang::En), "Wall device");
        assert_eq!(me.expires_at, None);
    }

    #[test]
    fn bad_answers_are_typed_errors() {
        assert!(matches!(Me::parse("<html>"), Err(AuthError::Decode(_))));
        assert!(matches!(
            Me::parse(r#"{"kind":"robot","username":"x"}"#),
            Err(AuthError::Decode(_))
        ));
        assert!(matches!(
            Me::parse(r#"{"kind":"user"}"#),
            Err(AuthError::Decode(_))
        ));
    }

    #[test]
    fn errors_say_what_to_do_in_both_languages() {
        assert_eq!(
            AuthError::TooMany(Some(30)).message(Lang::Zh),
            "尝试次数过多，请 30 秒后再试"
        );
        assert_eq!(
            AuthError::BadCredentials.message(Lang::En),
            "Wrong username or password"
        );
        assert!(AuthError::BadCode("x".into())
            .message(Lang::Zh)
            .contains("配对码"));
    }

    #[test]
    fn the_pairing_code_is_taken_out_of_the_address() {
        assert_eq!(
            pairing_code("?mode=wall&pair=12345678"),
            Some(("12345678".into(), "?mode=wall".into()))
        );
        assert_eq!(
            pairing_code("?pair=87654321&mode=wall&z=12"),
            Some(("87654321".into(), "?mode=wall&z=12".into()))
        );
        assert_eq!(pairing_code("?pair=1"), Some(("1".into(), String::new())));
        assert_eq!(pairing_code("?mode=wall"), None);
        assert_eq!(pairing_code(""), None);
        // Not a prefix match on another parameter.
        assert_eq!(pairing_code("?repair=1"), None);
    }

    #[test]
    fn only_a_signed_in_session_has_an_identity_and_the_map_stays() {
        let me = Me::parse(r#"{"kind":"user","username":"v","permissions":["read"]}"#).unwrap();
        assert!(Session::SignedIn(me.clone()).me().is_some());
        assert!(Session::Lost(me.clone()).me().is_none());
        assert!(Session::Lost(me).has_map());
        assert!(Session::Static.has_map() && Session::Static.me().is_none());
        assert!(!Session::Checking.has_map());
        assert!(!Session::SignedOut { problem: None }.has_map());
    }
}
