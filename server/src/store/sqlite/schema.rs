//! The SQLite schema as numbered migrations, and applying them.

use crate::store::error::{StoreError, StoreResult};
use rusqlite::{Connection, TransactionBehavior};

/// The schema, one migration per entry; entry `i` takes `user_version` from
/// `i` to `i + 1`. Never edit an applied migration: append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        category TEXT NOT NULL,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        grid TEXT,
        grid_index INTEGER,
        community TEXT,
        subdistrict TEXT,
        description TEXT NOT NULL,
        reporter TEXT NOT NULL,
        status TEXT NOT NULL,
        departments TEXT NOT NULL,      -- comma-separated department codes
        rule TEXT,
        reported_at INTEGER NOT NULL,   -- Unix seconds
        deadline INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX cases_reported_at ON cases (reported_at);
    CREATE TABLE case_transitions (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases (id),
        from_status TEXT,
        to_status TEXT NOT NULL,
        at INTEGER NOT NULL,
        by TEXT NOT NULL,
        note TEXT NOT NULL
    );
    CREATE INDEX case_transitions_case ON case_transitions (case_id, id);
    CREATE TABLE sensors (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        name TEXT NOT NULL,
        area TEXT,
        subdistrict TEXT,
        value REAL NOT NULL,            -- latest reading
        at INTEGER NOT NULL,
        level TEXT NOT NULL
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        sensor TEXT NOT NULL REFERENCES sensors (id),
        type TEXT NOT NULL,
        level TEXT NOT NULL,
        peak REAL NOT NULL,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        raised_at INTEGER NOT NULL,
        cleared_at INTEGER,
        acked_at INTEGER,
        acked_by TEXT
    );
    -- At most one active alert per sensor.
    CREATE UNIQUE INDEX alerts_active ON alerts (sensor) WHERE cleared_at IS NULL;
    CREATE INDEX alerts_cleared ON alerts (cleared_at);
    CREATE TABLE hazards (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        name TEXT NOT NULL,
        subdistrict TEXT,
        changed_at INTEGER,             -- NULL until changed after seeding
        changed_by TEXT,
        note TEXT
    );
    CREATE INDEX hazards_changed ON hazards (changed_at) WHERE changed_at IS NOT NULL;
    CREATE TABLE hazard_changes (
        id INTEGER PRIMARY KEY,
        hazard TEXT NOT NULL REFERENCES hazards (id),
        from_status TEXT NOT NULL,
        to_status TEXT NOT NULL,
        at INTEGER NOT NULL,
        by TEXT NOT NULL,
        note TEXT NOT NULL
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        topic TEXT NOT NULL,
        json TEXT NOT NULL              -- pingan_model::live::Event
    );
    "#,
    // 2: accounts (users, wall devices, sessions, API keys) and who did what:
    // the account beside each recorded display name.
    r#"
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        scope TEXT,                     -- a subdistrict's name, or NULL
        password_hash TEXT NOT NULL,    -- argon2id, PHC string
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        pairing_hash BLOB UNIQUE,       -- SHA-256 of the pairing code; NULL once used
        pairing_expires_at INTEGER,
        paired_at INTEGER,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        token_hash BLOB NOT NULL UNIQUE, -- SHA-256 of the cookie's token
        user_id INTEGER REFERENCES users (id),
        device_id INTEGER REFERENCES devices (id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        CHECK ((user_id IS NULL) <> (device_id IS NULL))
    );
    CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
    CREATE INDEX sessions_device ON sessions (device_id) WHERE device_id IS NOT NULL;
    CREATE INDEX sessions_live ON sessions (expires_at) WHERE revoked_at IS NULL;
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE, -- SHA-256 of the key
        scopes TEXT NOT NULL,           -- comma-separated permission names
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
    );
    ALTER TABLE case_transitions ADD COLUMN by_kind TEXT;
    ALTER TABLE case_transitions ADD COLUMN by_account TEXT;
    ALTER TABLE hazard_changes ADD COLUMN by_kind TEXT;
    ALTER TABLE hazard_changes ADD COLUMN by_account TEXT;
    ALTER TABLE alerts ADD COLUMN acked_by_kind TEXT;
    ALTER TABLE alerts ADD COLUMN acked_by_account TEXT;
    ALTER TABLE events ADD COLUMN actor_kind TEXT;
    ALTER TABLE events ADD COLUMN actor_account TEXT;
    "#,
    // 3: the audit log (append-only: triggers refuse updates, and deletes
    // of entries at or after the prune cut `meta.audit_cut`) and the
    // store's identity, `meta.epoch`.
    r#"
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,            -- Unix seconds
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        role TEXT,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        origin TEXT NOT NULL,           -- client address
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE INDEX audit_actor ON audit (actor, at);
    CREATE INDEX audit_action ON audit (action, at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    WHEN OLD.at >= CAST(COALESCE((SELECT value FROM meta WHERE key = 'audit_cut'), 0) AS INTEGER)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only; only entries past retention are pruned'); END;
    INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));
    "#,
    // 4: revocations are looked up by time (the running server announces
    // what the CLI revoked) and old sessions and keys are pruned.
    r#"
    CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
    CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
    "#,
    // 5: the prune cut cannot be moved within the 180 days the audit log
    // keeps (so no statement through this database unlocks deleting them).
    r#"
    CREATE TRIGGER audit_cut_insert BEFORE INSERT ON meta
    WHEN NEW.key = 'audit_cut'
     AND CAST(NEW.value AS INTEGER) > CAST(strftime('%s', 'now') AS INTEGER) - 180 * 86400
    BEGIN SELECT RAISE(ABORT, 'the audit log keeps 180 days; the cut cannot be moved later'); END;
    CREATE TRIGGER audit_cut_update BEFORE UPDATE ON meta
    WHEN NEW.key = 'audit_cut'
     AND CAST(NEW.value AS INTEGER) > CAST(strftime('%s', 'now') AS INTEGER) - 180 * 86400
    BEGIN SELECT RAISE(ABORT, 'the audit log keeps 180 days; the cut cannot be moved later'); END;
    "#,
    // 6: wall scenes (issue 9): one current scene per wall group, replaced
    // by the next push, deleted when cleared; an expired one (past
    // started_ms + duration_s) stays until then and is not current. No
    // personal data beyond who pushed it (a highlighted feature is a layer
    // and an id). And an index of case closes for the wall's figures.
    r#"
    CREATE TABLE scenes (
        wall_group TEXT PRIMARY KEY,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        zoom REAL NOT NULL,
        layers TEXT NOT NULL,           -- comma-separated LayerId codes
        highlight_layer TEXT,
        highlight_id TEXT,
        duration_s INTEGER,             -- NULL: until replaced or cleared
        started_ms INTEGER NOT NULL,    -- Unix ms, server clock
        by TEXT NOT NULL,               -- display name
        by_kind TEXT NOT NULL,
        by_account TEXT,
        CHECK ((highlight_layer IS NULL) = (highlight_id IS NULL))
    );
    -- The first close of each case (the wall's closed-today and the safety
    -- index's open-at-a-time), without reading every history entry.
    CREATE INDEX case_closes ON case_transitions (case_id, at)
        WHERE to_status IN ('resolved', 'archived');
    "#,
    // 7: when an alert first reached the alarm level (Unix ms, the event's
    // server time): every wall times and orders its focus by it. Alarms
    // from before get their raise time (the best known; left NULL, the next
    // reading of an active one would stamp it anew and every wall would take
    // the focus on an old alarm again); other rows stay NULL.
    r#"
    ALTER TABLE alerts ADD COLUMN alarm_at_ms INTEGER;
    UPDATE alerts SET alarm_at_ms = raised_at * 1000 WHERE level = 'alarm';
    "#,
    // 8: one topic's events newest first (`GET /api/cases/urgent` reads the
    // last day's case events; without it, every sensor reading of the day
    // was read too).
    r#"
    CREATE INDEX events_topic_seq ON events (topic, seq);
    "#,
    // 9: idempotency keys of writes (`Idempotency-Key`; store/idempotency.rs):
    // per calling account, the first successful answer (status and JSON
    // body, which may name people: kept 30 days, then pruned by the
    // retention task) and the fingerprint of its request, written in the
    // write's own transaction.
    r#"
    CREATE TABLE idempotency_keys (
        account TEXT NOT NULL,          -- user:<id>, device:<id>, key:<id>
        key TEXT NOT NULL,              -- the header's value
        fingerprint BLOB NOT NULL,      -- SHA-256 of method, path and body
        request TEXT NOT NULL,          -- 'POST /api/cases'
        status INTEGER NOT NULL,        -- the answer's (2xx)
        body TEXT NOT NULL,             -- the answer's JSON
        at_ms INTEGER NOT NULL,         -- Unix ms, server clock
        PRIMARY KEY (account, key)
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_keys_at ON idempotency_keys (at_ms);
    "#,
    // 10: photos (issue 10), content-addressed by the SHA-256 of their
    // bytes, with the type and size read from their header and who uploaded
    // them; personal data (faces, number plates). A case and a hazard status
    // change (and the hazard's current status) may name one.
    r#"
    CREATE TABLE photos (
        id TEXT PRIMARY KEY,            -- SHA-256 of bytes, lowercase hex
        mime TEXT NOT NULL,             -- image/jpeg, image/png, image/webp
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        size INTEGER NOT NULL,          -- length of bytes
        bytes BLOB NOT NULL,
        by TEXT NOT NULL,               -- display name of the first upload's account
        by_kind TEXT NOT NULL,
        by_account TEXT,
        at_ms INTEGER NOT NULL          -- Unix ms, server clock
    );
    ALTER TABLE cases ADD COLUMN photo TEXT REFERENCES photos (id);
    ALTER TABLE hazards ADD COLUMN photo TEXT REFERENCES photos (id);
    ALTER TABLE hazard_changes ADD COLUMN photo TEXT REFERENCES photos (id);
    CREATE INDEX cases_photo ON cases (photo) WHERE photo IS NOT NULL;
    CREATE INDEX hazard_changes_photo ON hazard_changes (photo) WHERE photo IS NOT NULL;
    "#,
];

pub fn migrate(conn: &mut Connection) -> StoreResult<usize> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let current = current.max(0) as usize;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "the database has schema version {current}, newer than this build's {}; \
             refusing to open it (use a newer server or another --db)",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Backend(format!("migration {}: {e}", i + 1)))?;
        if i == 0 {
            // A store created now: its start accounts are still to be made
            // (`AccountStore::bootstrap_pending`). An old store never gets them.
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('accounts_bootstrap', 'pending')",
                [],
            )?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok(MIGRATIONS.len() - current)
}
