//! The accounts part of the store interface, [`AccountStore`]: users (argon2id
//! password hashes, never the password), sessions and API keys (only the
//! SHA-256 of their tokens), wall devices (the hash of a one-use pairing
//! code), and who did what (the account recorded beside each display name).
//! Plain storage: deciding who may log in, what a token means and when it
//! expires is the `auth` service's. Every backend passes the accounts cases
//! of `tests/store_contract.rs`.

use super::error::StoreResult;
use pingan_model::access::{Permission, Role};

/// A stored user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    /// Unique, compared without regard to ASCII case.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The subdistrict (its name) the user is limited to, if any.
    pub scope: Option<String>,
    /// The argon2id hash in PHC string form.
    pub password_hash: String,
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Option<String>,
    pub password_hash: String,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the scope.
    pub scope: Option<Option<String>>,
    pub password_hash: Option<String>,
    pub disabled: Option<bool>,
}

/// Whose session it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    User(i64),
    Device(i64),
}

/// A stored session (the token itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub subject: Subject,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// Which sessions to revoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sessions {
    One(i64),
    OfUser(i64),
    OfDevice(i64),
    /// Every live session whose `expires_at` is at or before this time (the sweep).
    ExpiredBy(i64),
}

/// A stored API key (the key itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Permission>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A stored wall device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    /// Until when its pairing code is valid; `None` once paired (or used).
    pub pairing_expires_at: Option<i64>,
    pub paired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Who did something, as recorded beside the display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// `user`, `device`, `key`, `system` or `anonymous`
    /// (`crate::store::Actor::kind`); `legacy` for rows written before
    /// accounts existed (only a display name was kept: who is unknown).
    pub kind: String,
    /// The username, device or key name; `None` for the system.
    pub account: Option<String>,
}

/// Accounts storage. Times are Unix seconds; hashes are SHA-256 digests.
pub trait AccountStore {
    /// Whether the start accounts (demo accounts or the first admin) are
    /// still to be created: true only for a store created new, until
    /// [`AccountStore::bootstrap_done`]. An old store, or one whose
    /// accounts an admin deleted or disabled, never asks again.
    fn bootstrap_pending(&self) -> StoreResult<bool>;
    /// Records that the start accounts were created.
    fn bootstrap_done(&self) -> StoreResult<()>;

    /// Creates a user; `StoreError::Conflict` when the username is taken.
    fn create_user(&self, user: &NewUser, now: i64) -> StoreResult<UserRecord>;
    fn user(&self, id: i64) -> StoreResult<Option<UserRecord>>;
    fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    /// Every user, by username.
    fn users(&self) -> StoreResult<Vec<UserRecord>>;
    /// Applies `change`; `StoreError::NotFound` for an unknown id.
    fn update_user(&self, id: i64, change: &UserChange, now: i64) -> StoreResult<UserRecord>;

    fn create_session(
        &self,
        token_hash: &[u8],
        subject: Subject,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<SessionRecord>;
    /// The session of a token hash, whatever its state (the caller checks).
    fn session_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;
    /// A session by id, whatever its state.
    fn session(&self, id: i64) -> StoreResult<Option<SessionRecord>>;
    /// The ids of the sessions and of the keys revoked at or after `since`.
    fn revoked_since(&self, since: i64) -> StoreResult<(Vec<i64>, Vec<i64>)>;
    /// Sessions neither revoked nor expired at `now`, newest first.
    fn live_sessions(&self, now: i64) -> StoreResult<Vec<SessionRecord>>;
    /// Deletes the sessions and keys that ended (revoked or expired) before
    /// `before`; returns how many of each. The audit log keeps the long record.
    fn prune_ended(&self, before: i64) -> StoreResult<(u64, u64)>;
    /// Marks the chosen live sessions revoked at `now`; returns their ids.
    fn revoke_sessions(&self, which: Sessions, now: i64) -> StoreResult<Vec<i64>>;

    fn create_key(
        &self,
        name: &str,
        token_hash: &[u8],
        scopes: &[Permission],
        now: i64,
        expires_at: Option<i64>,
    ) -> StoreResult<KeyRecord>;
    fn key_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<KeyRecord>>;
    /// A key by id, whatever its state.
    fn key(&self, id: i64) -> StoreResult<Option<KeyRecord>>;
    /// Every key, newest first.
    fn keys(&self) -> StoreResult<Vec<KeyRecord>>;
    /// `false` when there is no such key or it was revoked already.
    fn revoke_key(&self, id: i64, now: i64) -> StoreResult<bool>;

    /// Creates a device with a pairing code (its hash) valid until `code_expires_at`.
    fn create_device(
        &self,
        name: &str,
        code_hash: &[u8],
        code_expires_at: i64,
        now: i64,
    ) -> StoreResult<DeviceRecord>;
    fn device(&self, id: i64) -> StoreResult<Option<DeviceRecord>>;
    /// Every device, newest first.
    fn devices(&self) -> StoreResult<Vec<DeviceRecord>>;
    /// Uses a pairing code: the unrevoked device whose code it is, if still
    /// valid at `now`, now paired and its code spent (one use).
    fn pair_device(&self, code_hash: &[u8], now: i64) -> StoreResult<Option<DeviceRecord>>;
    /// Voids every pairing code not used yet (too many failed guesses);
    /// returns how many.
    fn void_pairing_codes(&self, now: i64) -> StoreResult<u64>;
    /// `false` when there is no such device or it was revoked already.
    fn revoke_device(&self, id: i64, now: i64) -> StoreResult<bool>;

    /// Who appended the event `seq`, if it is in the log.
    fn event_actor(&self, seq: u64) -> StoreResult<Option<Recorded>>;
    /// Who made each entry of a case's history, oldest first.
    fn case_actors(&self, case_id: u32) -> StoreResult<Vec<Recorded>>;
}
