//! [`AccountStore`] for SQLite: users, sessions, API keys, devices (tables
//! of migration 2, `schema.rs`) and the recorded actors of histories and
//! events. Writes take the write connection (short statements); reads a
//! pooled reader.

use super::SqliteStore;
use crate::store::accounts::{
    AccountStore, DeviceRecord, KeyRecord, NewUser, Recorded, SessionRecord, Sessions, Subject,
    UserChange, UserRecord,
};
use crate::store::{StoreError, StoreResult};
use pingan_model::access::{Permission, Role};
use rusqlite::{params, OptionalExtension, Row};

/// `SELECT <the columns the row readers take> FROM <table> <rest>`: each
/// table's column list written once, every query of it built from it.
macro_rules! select {
    (users, $rest:literal) => {
        concat!(
            "SELECT id, username, display_name, role, scope, password_hash, disabled, \
             created_at, updated_at FROM users ",
            $rest
        )
    };
    (sessions, $rest:literal) => {
        concat!(
            "SELECT id, user_id, device_id, created_at, expires_at, revoked_at FROM sessions ",
            $rest
        )
    };
    (api_keys, $rest:literal) => {
        concat!(
            "SELECT id, name, scopes, created_at, expires_at, revoked_at FROM api_keys ",
            $rest
        )
    };
    (devices, $rest:literal) => {
        concat!(
            "SELECT id, name, created_at, pairing_expires_at, paired_at, revoked_at FROM devices ",
            $rest
        )
    };
}

const USER_BY_ID: &str = select!(users, "WHERE id = ?1");
const SESSION_BY_ID: &str = select!(sessions, "WHERE id = ?1");
const KEY_BY_ID: &str = select!(api_keys, "WHERE id = ?1");
const DEVICE_BY_ID: &str = select!(devices, "WHERE id = ?1");

fn bad(idx: usize, what: String) -> rusqlite::Error {
    super::rows::bad_column(idx, what)
}

fn user_row(row: &Row) -> rusqlite::Result<UserRecord> {
    let role: String = row.get(3)?;
    Ok(UserRecord {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        role: Role::parse(&role).ok_or_else(|| bad(3, format!("role {role:?}")))?,
        scope: row.get(4)?,
        password_hash: row.get(5)?,
        disabled: row.get::<_, i64>(6)? != 0,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

fn session_row(row: &Row) -> rusqlite::Result<SessionRecord> {
    let user: Option<i64> = row.get(1)?;
    let device: Option<i64> = row.get(2)?;
    let subject = match (user, device) {
        (Some(u), None) => Subject::User(u),
        (None, Some(d)) => Subject::Device(d),
        _ => {
            return Err(bad(
                1,
                "a session of neither one user nor one device".into(),
            ))
        }
    };
    Ok(SessionRecord {
        id: row.get(0)?,
        subject,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

fn scopes_text(scopes: &[Permission]) -> String {
    scopes
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn key_row(row: &Row) -> rusqlite::Result<KeyRecord> {
    let text: String = row.get(2)?;
    let scopes = text
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Permission::parse(s).ok_or_else(|| bad(2, format!("scope {s:?}"))))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(KeyRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        scopes,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

fn device_row(row: &Row) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        created_at: row.get(2)?,
        pairing_expires_at: row.get(3)?,
        paired_at: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

fn recorded_row(row: &Row) -> rusqlite::Result<Recorded> {
    Ok(Recorded {
        // Rows written before migration 2 recorded only a display name:
        // who it was is unknown, not anonymous.
        kind: row
            .get::<_, Option<String>>(0)?
            .unwrap_or_else(|| LEGACY.into()),
        account: row.get(1)?,
    })
}

/// The recorded kind of a history row or event from before accounts.
pub const LEGACY: &str = "legacy";

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

impl SqliteStore {
    fn one<T>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
        f: fn(&Row) -> rusqlite::Result<T>,
    ) -> StoreResult<Option<T>> {
        let mut r = self.reader()?;
        let found = r
            .conn()?
            .prepare_cached(sql)?
            .query_row(args, f)
            .optional()?;
        Ok(found)
    }

    fn all<T>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
        f: fn(&Row) -> rusqlite::Result<T>,
    ) -> StoreResult<Vec<T>> {
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(args, f)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Runs one write statement and reads back a row by id.
    fn written<T>(
        &self,
        id: i64,
        sql: &str,
        f: fn(&Row) -> rusqlite::Result<T>,
        what: &'static str,
    ) -> StoreResult<T> {
        self.one(sql, [id], f)?
            .ok_or_else(|| StoreError::Backend(format!("the new {what} {id} cannot be read back")))
    }
}

impl AccountStore for SqliteStore {
    fn bootstrap_pending(&self) -> StoreResult<bool> {
        fn exists(r: &Row) -> rusqlite::Result<i64> {
            r.get(0)
        }
        Ok(self
            .one(
                "SELECT 1 FROM meta WHERE key = 'accounts_bootstrap' AND value = 'pending'",
                [],
                exists,
            )?
            .is_some())
    }

    fn bootstrap_done(&self) -> StoreResult<()> {
        self.writer()
            .prepare_cached("DELETE FROM meta WHERE key = 'accounts_bootstrap'")?
            .execute([])?;
        Ok(())
    }

    fn create_user(&self, u: &NewUser, now: i64) -> StoreResult<UserRecord> {
        let id = {
            let conn = self.writer();
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO users (username, display_name, role, scope, password_hash, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                )?
                .execute(params![u.username, u.display_name, u.role.name(), u.scope, u.password_hash, now]);
            match inserted {
                Ok(_) => conn.last_insert_rowid(),
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!(
                        "the username {:?} is taken",
                        u.username
                    )))
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.written(id, USER_BY_ID, user_row, "user")
    }

    fn user(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        self.one(USER_BY_ID, [id], user_row)
    }

    fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.one(select!(users, "WHERE username = ?1"), [username], user_row)
    }

    fn users(&self) -> StoreResult<Vec<UserRecord>> {
        self.all(select!(users, "ORDER BY username"), [], user_row)
    }

    fn update_user(&self, id: i64, c: &UserChange, now: i64) -> StoreResult<UserRecord> {
        let n = {
            let conn = self.writer();
            // One statement: the last enabled admin is never disabled or
            // demoted, however many changes race (no check-then-act).
            let n = conn
                .prepare_cached(
                    "UPDATE users SET
                       display_name = COALESCE(?2, display_name),
                       role = COALESCE(?3, role),
                       scope = CASE WHEN ?4 THEN ?5 ELSE scope END,
                       password_hash = COALESCE(?6, password_hash),
                       disabled = COALESCE(?7, disabled),
                       updated_at = ?8
                     WHERE id = ?1
                       AND NOT (role = 'admin' AND disabled = 0
                                AND (COALESCE(?7, 0) = 1 OR COALESCE(?3, 'admin') <> 'admin')
                                AND NOT EXISTS (SELECT 1 FROM users o
                                                WHERE o.id <> ?1 AND o.role = 'admin'
                                                  AND o.disabled = 0))",
                )?
                .execute(params![
                    id,
                    c.display_name,
                    c.role.map(|r| r.name()),
                    c.scope.is_some(),
                    c.scope.clone().flatten(),
                    c.password_hash,
                    c.disabled.map(i64::from),
                    now
                ])?;
            n
        };
        if n == 0 {
            return Err(match self.user(id)? {
                Some(u) => StoreError::Conflict(format!(
                    "{} is the last enabled admin: it cannot be disabled or given another role \
                     (make another admin first)",
                    u.username
                )),
                None => StoreError::NotFound {
                    what: "user",
                    id: id.to_string(),
                },
            });
        }
        self.written(id, USER_BY_ID, user_row, "user")
    }

    fn create_session(
        &self,
        token_hash: &[u8],
        subject: Subject,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<SessionRecord> {
        let (user, device) = match subject {
            Subject::User(u) => (Some(u), None),
            Subject::Device(d) => (None, Some(d)),
        };
        let id = {
            let conn = self.writer();
            conn.prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, device_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![token_hash, user, device, now, expires_at])?;
            conn.last_insert_rowid()
        };
        self.written(id, SESSION_BY_ID, session_row, "session")
    }

    fn session_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        self.one(
            select!(sessions, "WHERE token_hash = ?1"),
            [token_hash],
            session_row,
        )
    }

    fn session(&self, id: i64) -> StoreResult<Option<SessionRecord>> {
        self.one(SESSION_BY_ID, [id], session_row)
    }

    fn revoked_since(&self, since: i64) -> StoreResult<(Vec<i64>, Vec<i64>)> {
        fn id(r: &Row) -> rusqlite::Result<i64> {
            r.get(0)
        }
        let sessions = self.all(
            "SELECT id FROM sessions WHERE revoked_at >= ?1 ORDER BY id",
            [since],
            id,
        )?;
        let keys = self.all(
            "SELECT id FROM api_keys WHERE revoked_at >= ?1 ORDER BY id",
            [since],
            id,
        )?;
        Ok((sessions, keys))
    }

    fn live_sessions(&self, now: i64) -> StoreResult<Vec<SessionRecord>> {
        self.all(
            select!(
                sessions,
                "WHERE revoked_at IS NULL AND expires_at > ?1 ORDER BY id DESC"
            ),
            [now],
            session_row,
        )
    }

    fn prune_ended(&self, before: i64) -> StoreResult<(u64, u64)> {
        let conn = self.writer();
        let sessions = conn
            .prepare_cached("DELETE FROM sessions WHERE revoked_at < ?1 OR expires_at < ?1")?
            .execute([before])?;
        let keys = conn
            .prepare_cached("DELETE FROM api_keys WHERE revoked_at < ?1 OR expires_at < ?1")?
            .execute([before])?;
        Ok((sessions as u64, keys as u64))
    }

    fn revoke_sessions(&self, which: Sessions, now: i64) -> StoreResult<Vec<i64>> {
        let (cond, arg) = match which {
            Sessions::One(id) => ("id = ?2", id),
            Sessions::OfUser(id) => ("user_id = ?2", id),
            Sessions::OfDevice(id) => ("device_id = ?2", id),
            Sessions::ExpiredBy(t) => ("expires_at <= ?2", t),
        };
        let conn = self.writer();
        let mut stmt = conn.prepare_cached(&format!(
            "UPDATE sessions SET revoked_at = ?1 WHERE revoked_at IS NULL AND {cond} RETURNING id"
        ))?;
        let ids = stmt
            .query_map(params![now, arg], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    fn create_key(
        &self,
        name: &str,
        token_hash: &[u8],
        scopes: &[Permission],
        now: i64,
        expires_at: Option<i64>,
    ) -> StoreResult<KeyRecord> {
        let id = {
            let conn = self.writer();
            conn.prepare_cached(
                "INSERT INTO api_keys (name, token_hash, scopes, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                name,
                token_hash,
                scopes_text(scopes),
                now,
                expires_at
            ])?;
            conn.last_insert_rowid()
        };
        self.written(id, KEY_BY_ID, key_row, "key")
    }

    fn key_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<KeyRecord>> {
        self.one(
            select!(api_keys, "WHERE token_hash = ?1"),
            [token_hash],
            key_row,
        )
    }

    fn key(&self, id: i64) -> StoreResult<Option<KeyRecord>> {
        self.one(KEY_BY_ID, [id], key_row)
    }

    fn keys(&self) -> StoreResult<Vec<KeyRecord>> {
        self.all(select!(api_keys, "ORDER BY id DESC"), [], key_row)
    }

    fn revoke_key(&self, id: i64, now: i64) -> StoreResult<bool> {
        let conn = self.writer();
        let n = conn
            .prepare_cached(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![id, now])?;
        Ok(n == 1)
    }

    fn create_device(
        &self,
        name: &str,
        code_hash: &[u8],
        code_expires_at: i64,
        now: i64,
    ) -> StoreResult<DeviceRecord> {
        let id = {
            let conn = self.writer();
            // Expired codes free their hash for new ones.
            conn.prepare_cached(
                "UPDATE devices SET pairing_hash = NULL WHERE pairing_expires_at <= ?1",
            )?
            .execute([now])?;
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO devices (name, pairing_hash, pairing_expires_at, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![name, code_hash, code_expires_at, now]);
            match inserted {
                Ok(_) => conn.last_insert_rowid(),
                // Two live devices drew the same 8-digit code: the caller draws again.
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict("pairing code in use".into()))
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.written(id, DEVICE_BY_ID, device_row, "device")
    }

    fn device(&self, id: i64) -> StoreResult<Option<DeviceRecord>> {
        self.one(DEVICE_BY_ID, [id], device_row)
    }

    fn devices(&self) -> StoreResult<Vec<DeviceRecord>> {
        self.all(select!(devices, "ORDER BY id DESC"), [], device_row)
    }

    fn pair_device(&self, code_hash: &[u8], now: i64) -> StoreResult<Option<DeviceRecord>> {
        let id: Option<i64> = {
            let conn = self.writer();
            let id = conn
                .prepare_cached(
                    "UPDATE devices SET pairing_hash = NULL, pairing_expires_at = NULL, paired_at = ?2
                     WHERE pairing_hash = ?1 AND pairing_expires_at > ?2 AND revoked_at IS NULL
                     RETURNING id",
                )?
                .query_row(params![code_hash, now], |r| r.get(0))
                .optional()?;
            id
        };
        match id {
            Some(id) => self.device(id),
            None => Ok(None),
        }
    }

    fn void_pairing_codes(&self, now: i64) -> StoreResult<u64> {
        let n = self
            .writer()
            .prepare_cached(
                "UPDATE devices SET pairing_hash = NULL, pairing_expires_at = NULL
                 WHERE pairing_hash IS NOT NULL AND pairing_expires_at > ?1",
            )?
            .execute([now])?;
        Ok(n as u64)
    }

    fn revoke_device(&self, id: i64, now: i64) -> StoreResult<bool> {
        let conn = self.writer();
        let n = conn
            .prepare_cached(
                "UPDATE devices SET revoked_at = ?2, pairing_hash = NULL, pairing_expires_at = NULL
                 WHERE id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![id, now])?;
        Ok(n == 1)
    }

    fn event_actor(&self, seq: u64) -> StoreResult<Option<Recorded>> {
        self.one(
            "SELECT actor_kind, actor_account FROM events WHERE seq = ?1",
            [seq.min(i64::MAX as u64) as i64],
            recorded_row,
        )
    }

    fn case_actors(&self, case_id: u32) -> StoreResult<Vec<Recorded>> {
        self.all(
            "SELECT by_kind, by_account FROM case_transitions WHERE case_id = ?1 ORDER BY id",
            [case_id],
            recorded_row,
        )
    }
}
