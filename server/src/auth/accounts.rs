//! Managing accounts, as the admin API (`api/admin.rs`) and the CLI
//! (`pingan-server user …`, `key …`) do it: users (validated, password
//! hashed; disabling or a role or scope change revokes the user's
//! sessions), API keys (the key shown once), wall devices (a pairing code
//! shown once) and the live sessions. Blocking (argon2, the store).

use super::{password, token, Auth, AuthError, AuthResult, PAIRING_CODE};
use crate::clock::now_s;
use crate::intake::{check_text, MAX_NAME};
use crate::store::accounts::{
    DeviceRecord, KeyRecord, NewUser, SessionRecord, Sessions, Subject, UserChange, UserRecord,
};
use crate::store::StoreError;
use pingan_model::access::{Permission, Role};
use serde::{Deserialize, Serialize};

/// A user to create (`POST /api/users`, `user add`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub username: String,
    /// The username when absent.
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    #[serde(default)]
    pub scope: Option<String>,
    /// A random one (returned once) when absent.
    #[serde(default)]
    pub password: Option<String>,
}

/// Changes to a user (`POST /api/users/{username}`, `user set`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// `""` removes the scope.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

impl UserPatch {
    /// What the patch changes, for the journal (never the password itself).
    pub fn summary(&self) -> String {
        let mut parts = vec![];
        if let Some(r) = self.role {
            parts.push(format!("role {r}"));
        }
        match self.scope.as_deref().map(str::trim) {
            Some("") => parts.push("scope removed".to_string()),
            Some(s) => parts.push(format!("scope {s}")),
            None => {}
        }
        if self.display_name.is_some() {
            parts.push("display name".to_string());
        }
        if self.password.is_some() {
            parts.push("password".to_string());
        }
        match self.disabled {
            Some(true) => parts.push("disabled".to_string()),
            Some(false) => parts.push("enabled".to_string()),
            None => {}
        }
        parts.join(", ")
    }
}

/// A user as the admin sees it (never the hash).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The password drawn for this user, shown once (creation without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl From<UserRecord> for UserOut {
    fn from(u: UserRecord) -> UserOut {
        UserOut {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            scope: u.scope,
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
            password: None,
        }
    }
}

/// A new API key: the key itself is in `key`, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct KeyCreated {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Permission>,
    pub expires_at: Option<i64>,
    pub key: String,
}

/// A key as listed (never the key).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct KeyOut {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Permission>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<KeyRecord> for KeyOut {
    fn from(k: KeyRecord) -> KeyOut {
        KeyOut {
            id: k.id,
            name: k.name,
            scopes: k.scopes,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new device and its pairing code (shown once, one use, 10 minutes).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct DeviceCreated {
    pub id: i64,
    pub name: String,
    pub pairing_code: String,
    pub expires_at: i64,
}

/// A live session as listed: whose, since and until when.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct SessionOut {
    pub id: i64,
    /// `user` or `device`.
    pub kind: String,
    /// The username or device name.
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What an API key may hold: machine scopes only. A sensor gateway posts
/// readings; a dashboard or wall client reads the public (masked) layers
/// and stream. Personal data, case work and administration are for people.
pub const KEY_SCOPES: &[Permission] = &[Permission::Read, Permission::ReadingsWrite];
/// A key's lifetime when none is given, in days.
pub const KEY_DEFAULT_DAYS: i64 = 365;
/// The longest lifetime of a key, in days.
pub const KEY_MAX_DAYS: i64 = 730;

fn invalid(field: &str, detail: impl Into<String>) -> AuthError {
    AuthError::Invalid {
        field: field.into(),
        detail: detail.into(),
    }
}

fn text(field: &str, s: &str) -> AuthResult<()> {
    check_text(field, s, MAX_NAME, false).map_err(|e| invalid(field, e.to_string()))
}

/// A user's display name (the username when none is given): text, and
/// never one the masking reads as an organisation or a role
/// (`pingan_model::privacy::is_organisation`: a department, a role word,
/// `…中心…`, `…（模拟）`), which public screens show unmasked: a person is
/// always masked there (docs/security.md).
fn display_name(s: &str) -> AuthResult<()> {
    text("display_name", s)?;
    if pingan_model::privacy::is_organisation(s) {
        return Err(invalid(
            "display_name",
            format!(
                "{:?} reads as an organisation or a role (a department, a role word, \
                 a name with 中心 or ending in （模拟）), which public screens show unmasked; \
                 a person's display name is masked there: choose another (the username is the \
                 display name when none is given)",
                s.trim()
            ),
        ));
    }
    Ok(())
}

/// A username: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn check_username(name: &str) -> AuthResult<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "username",
            format!(
                "{name:?}: 1–{MAX_NAME} characters of a–z, 0–9, '.', '_' and '-', \
                 starting with a letter or digit"
            ),
        ))
    }
}

impl Auth {
    /// A scope as given (trimmed): one of the district's subdistricts
    /// ([`super::AuthConfig::subdistricts`]), or any non-empty text when no
    /// data is loaded.
    fn check_scope(&self, scope: &str) -> AuthResult<String> {
        text("scope", scope)?;
        let scope = scope.trim();
        let known = &self.config().subdistricts;
        if known.is_empty() || known.iter().any(|s| s == scope) {
            return Ok(scope.to_string());
        }
        Err(AuthError::BadField {
            field: "scope".into(),
            detail: format!(
                "{scope:?} is not a subdistrict of the district; one of {}",
                known.join(", ")
            ),
        })
    }
}

fn hash_new(pw: &str) -> AuthResult<String> {
    password::check(pw).map_err(|d| invalid("password", d))?;
    Ok(password::hash(pw)?)
}

impl Auth {
    /// Creates a user; with no password given, draws one and returns it once.
    pub fn create_user(&self, u: &UserIn) -> AuthResult<UserOut> {
        check_username(&u.username)?;
        let display = u.display_name.clone().unwrap_or_else(|| u.username.clone());
        display_name(&display)?;
        let scope = match u.scope.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(self.check_scope(s)?),
        };
        let (pw, drawn) = match &u.password {
            Some(p) => (p.clone(), None),
            None => {
                let p = token::password()?;
                (p.clone(), Some(p))
            }
        };
        let record = self.store().create_user(
            &NewUser {
                username: u.username.clone(),
                display_name: display.trim().to_string(),
                role: u.role,
                scope,
                password_hash: hash_new(&pw)?,
            },
            now_s(),
        )?;
        Ok(UserOut {
            password: drawn,
            ..record.into()
        })
    }

    /// Changes a user; disabling it or changing its role or scope revokes
    /// its sessions (announced).
    pub fn update_user(&self, username: &str, p: &UserPatch) -> AuthResult<UserOut> {
        let user = self
            .store()
            .user_by_name(username)?
            .ok_or_else(|| AuthError::NotFound(format!("there is no user {username:?}")))?;
        if let Some(d) = &p.display_name {
            display_name(d)?;
        }
        let scope = match &p.scope {
            None => None,
            Some(s) if s.trim().is_empty() => Some(None),
            Some(s) => Some(Some(self.check_scope(s)?)),
        };
        let password_hash = match &p.password {
            Some(pw) => Some(hash_new(pw)?),
            None => None,
        };
        let change = UserChange {
            display_name: p.display_name.as_ref().map(|d| d.trim().to_string()),
            role: p.role,
            scope: scope.clone(),
            password_hash,
            disabled: p.disabled,
        };
        let updated = self.store().update_user(user.id, &change, now_s())?;
        let demoted = p.disabled == Some(true)
            || p.role.is_some_and(|r| r != user.role)
            || scope.is_some_and(|s| s != user.scope)
            || p.password.is_some();
        if demoted {
            self.revoke(Sessions::OfUser(user.id))?;
        }
        Ok(updated.into())
    }

    pub fn users(&self) -> AuthResult<Vec<UserOut>> {
        Ok(self
            .store()
            .users()?
            .into_iter()
            .map(UserOut::from)
            .collect())
    }

    /// A new API key with exactly `scopes`, each one of [`KEY_SCOPES`],
    /// expiring at `expires_at` (at most [`KEY_MAX_DAYS`] from now;
    /// [`KEY_DEFAULT_DAYS`] when `None`).
    pub fn create_key(
        &self,
        name: &str,
        scopes: &[Permission],
        expires_at: Option<i64>,
    ) -> AuthResult<KeyCreated> {
        text("name", name)?;
        if scopes.is_empty() {
            return Err(invalid("scopes", "name at least one permission"));
        }
        if let Some(p) = scopes.iter().find(|p| !KEY_SCOPES.contains(p)) {
            let names: Vec<_> = KEY_SCOPES.iter().map(|p| p.name()).collect();
            return Err(AuthError::BadField {
                field: "scopes".into(),
                detail: format!(
                    "{p} is not for API keys (machine clients); a key may hold {}",
                    names.join(", ")
                ),
            });
        }
        let now = now_s();
        let expires_at = expires_at.unwrap_or(now + KEY_DEFAULT_DAYS * 86_400);
        if expires_at <= now {
            return Err(invalid(
                "expires_at",
                format!("{expires_at} is in the past"),
            ));
        }
        if expires_at > now + KEY_MAX_DAYS * 86_400 {
            return Err(invalid(
                "expires_at",
                format!("{expires_at} is more than {KEY_MAX_DAYS} days from now"),
            ));
        }
        let expires_at = Some(expires_at);
        let key = token::api_key()?;
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let k = self.store().create_key(
            name.trim(),
            &token::digest(&key),
            &scopes,
            now_s(),
            expires_at,
        )?;
        Ok(KeyCreated {
            id: k.id,
            name: k.name,
            scopes: k.scopes,
            expires_at: k.expires_at,
            key,
        })
    }

    pub fn keys(&self) -> AuthResult<Vec<KeyOut>> {
        Ok(self.store().keys()?.into_iter().map(KeyOut::from).collect())
    }

    /// Revokes a key (announced as [`super::Revoked::Key`]).
    pub fn revoke_key(&self, id: i64) -> AuthResult<()> {
        if self.store().revoke_key(id, now_s())? {
            self.announce([super::Revoked::Key(id)]);
            Ok(())
        } else {
            Err(AuthError::NotFound(format!("there is no live key {id}")))
        }
    }

    /// A new wall device and its one-use pairing code.
    pub fn create_device(&self, name: &str) -> AuthResult<DeviceCreated> {
        text("name", name)?;
        let now = now_s();
        let expires_at = now + PAIRING_CODE.as_secs() as i64;
        // A clash with another device's live code is rare (10^8 codes); draw again.
        for _ in 0..8 {
            let code = token::pairing_code()?;
            match self
                .store()
                .create_device(name.trim(), &token::digest(&code), expires_at, now)
            {
                Ok(d) => {
                    return Ok(DeviceCreated {
                        id: d.id,
                        name: d.name,
                        pairing_code: code,
                        expires_at,
                    })
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AuthError::Conflict(
            "no free pairing code was found; try again".into(),
        ))
    }

    pub fn devices(&self) -> AuthResult<Vec<DeviceRecord>> {
        Ok(self.store().devices()?)
    }

    /// Revokes a device and ends its sessions.
    pub fn revoke_device(&self, id: i64) -> AuthResult<()> {
        if !self.store().revoke_device(id, now_s())? {
            return Err(AuthError::NotFound(format!("there is no live device {id}")));
        }
        self.revoke(Sessions::OfDevice(id))?;
        Ok(())
    }

    /// The live sessions with whose they are.
    pub fn sessions(&self) -> AuthResult<Vec<SessionOut>> {
        let now = now_s();
        let mut out = Vec::new();
        for s in self.store().live_sessions(now)? {
            out.push(self.session_out(s)?);
        }
        Ok(out)
    }

    fn session_out(&self, s: SessionRecord) -> AuthResult<SessionOut> {
        let (kind, name) = match s.subject {
            Subject::User(id) => (
                "user",
                self.store()
                    .user(id)?
                    .map(|u| u.username)
                    .unwrap_or_default(),
            ),
            Subject::Device(id) => (
                "device",
                self.store().device(id)?.map(|d| d.name).unwrap_or_default(),
            ),
        };
        Ok(SessionOut {
            id: s.id,
            kind: kind.into(),
            name,
            created_at: s.created_at,
            expires_at: s.expires_at,
        })
    }

    /// Ends one session (admin, logout).
    pub fn revoke_session(&self, id: i64) -> AuthResult<()> {
        if self.revoke(Sessions::One(id))?.is_empty() {
            Err(AuthError::NotFound(format!(
                "there is no live session {id}"
            )))
        } else {
            Ok(())
        }
    }
}
