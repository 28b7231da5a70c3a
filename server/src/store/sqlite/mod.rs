//! [`SqliteStore`]: the embedded store (SQLite compiled in, one file in the
//! data directory, `live.sqlite` by default).
//!
//! - WAL mode, `synchronous=NORMAL` (a commit survives a process crash; a
//!   power cut may lose the last few), a busy timeout, foreign keys on.
//! - One write connection behind a mutex and a small pool of read
//!   connections: in WAL mode readers never wait for the writer. A read that
//!   must be consistent with a sequence number (`snapshot`, `case_records`)
//!   runs in one read transaction, so it sees exactly the commits up to the
//!   head it reports.
//! - Schema migrations are numbered ([`MIGRATIONS`]); `PRAGMA user_version`
//!   is the number applied (`schema.rs`). Opening applies the missing ones in order, each
//!   in its own transaction; a database newer than this build is refused.
//! - The event log (`events`) is append-only; `seq` is its integer primary
//!   key and each write takes `max(seq) + 1`, so numbers continue across
//!   restarts. Old events are pruned by [`Store::prune_events_before`]
//!   (the server's retention task, `--retain-days`), oldest first and never
//!   the newest, so `max(seq)` — the head — survives.
//!
//! Files: `schema.rs` (migrations), `rows.rs` (entity ↔ row), `tx.rs` (the
//! transaction interface), `accounts.rs` (users, sessions, keys, devices), `audit.rs` (the audit log and the
//! epoch); this file opens the database and answers the queries.

mod accounts;
mod audit;
mod rows;
mod schema;
mod tx;
mod wall;

pub use schema::MIGRATIONS;

use super::{
    AuditEntry, AuditQuery, AuditRecord, CaseQuery, Counts, Store, StoreError, StoreResult, Work,
};
use pingan_model::cases::CaseRecord;
use pingan_model::domain::HazardStatus;
use pingan_model::live::{Case, Event, HazardState, Scene, Seq, Snapshot, Topic, Transition};
use rows::*;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use schema::migrate;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tx::SqliteTx;

/// Read connections kept open for reuse.
const POOL: usize = 4;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Backend(e.to_string())
    }
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    write: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Migrations applied by [`SqliteStore::open`] (0 when the file was current).
    applied: usize,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    c.busy_timeout(Duration::from_secs(5))?;
    let _mode: String = c.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    Ok(c)
}

/// A pooled read connection, returned to the pool on drop.
struct Reader<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl Reader<'_> {
    fn conn(&mut self) -> StoreResult<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Backend("read connection gone".into()))
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            let mut pool = self.store.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < POOL {
                pool.push(c);
            }
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies the
    /// missing migrations.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
        }
        let mut conn =
            connect(path).map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        let applied = migrate(&mut conn)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            write: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            applied,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many migrations this open applied.
    pub fn migrations_applied(&self) -> usize {
        self.applied
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> StoreResult<usize> {
        let mut r = self.reader()?;
        let v: i64 = r
            .conn()?
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(v as usize)
    }

    fn reader(&self) -> StoreResult<Reader<'_>> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => connect(&self.path)?,
        };
        Ok(Reader {
            store: self,
            conn: Some(conn),
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A poisoned lock means a writer panicked mid-call; its transaction
        // was rolled back when dropped, so the connection is usable.
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn epoch(&self) -> StoreResult<String> {
        let mut r = self.reader()?;
        audit::epoch(r.conn()?)
    }

    fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        audit::append(&self.writer(), entry)
    }

    fn audit_query(&self, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let mut r = self.reader()?;
        audit::query(r.conn()?, q)
    }

    fn prune_audit_before(&self, at: i64) -> StoreResult<u64> {
        let latest = crate::store::audit::latest_cut(crate::clock::now_s());
        if at > latest {
            return Err(StoreError::Invalid {
                field: "cut".into(),
                detail: format!(
                    "the audit log keeps {} days: a cut after {latest} is refused (asked {at})",
                    crate::store::audit::MIN_RETAIN_DAYS
                ),
            });
        }
        audit::prune_before(&mut self.writer(), at)
    }

    fn remembered(
        &self,
        account: &str,
        key: &str,
    ) -> StoreResult<Option<crate::store::Remembered>> {
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let found = conn
            .prepare_cached(REMEMBERED_SQL)?
            .query_row(params![account, key], remembered_row)
            .optional()?;
        Ok(found)
    }

    fn photo(&self, id: &str) -> StoreResult<Option<crate::store::StoredPhoto>> {
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let found = conn
            .prepare_cached(&format!(
                "SELECT {PHOTO_COLS}, bytes FROM photos WHERE id = ?1"
            ))?
            .query_row([id], |row| {
                Ok(crate::store::StoredPhoto {
                    meta: photo_row(row)?,
                    data: row.get(9)?,
                })
            })
            .optional()?;
        Ok(found)
    }

    fn photo_places(&self, id: &str) -> StoreResult<Vec<Option<String>>> {
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let places = conn
            .prepare_cached(
                "SELECT subdistrict FROM cases WHERE photo = ?1
                 UNION
                 SELECT h.subdistrict FROM hazard_changes c JOIN hazards h ON h.id = c.hazard
                 WHERE c.photo = ?1",
            )?
            .query_map([id], |row| row.get::<_, Option<String>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(places)
    }

    fn prune_keys_before(&self, at_ms: i64) -> StoreResult<u64> {
        let n = self
            .writer()
            .prepare_cached("DELETE FROM idempotency_keys WHERE at_ms < ?1")?
            .execute([at_ms])?;
        Ok(n as u64)
    }

    fn transaction(&self, work: &mut Work<'_>) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        work(&mut SqliteTx { tx: &tx })?;
        tx.commit()?;
        Ok(())
    }

    fn head(&self) -> StoreResult<Seq> {
        let mut r = self.reader()?;
        Ok(head_of(r.conn()?)?)
    }

    fn oldest(&self) -> StoreResult<Seq> {
        let mut r = self.reader()?;
        let o: Option<i64> = r
            .conn()?
            .query_row("SELECT MIN(seq) FROM events", [], |r| r.get(0))?;
        Ok(o.map(|o| o.max(1) as Seq).unwrap_or(1))
    }

    fn events_since(&self, since: Seq, limit: usize) -> StoreResult<Vec<Event>> {
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT json FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(
            params![
                since.min(i64::MAX as u64) as i64,
                limit.min(i64::MAX as usize) as i64
            ],
            |r| r.get::<_, String>(0),
        )?;
        let mut out = Vec::new();
        for json in rows {
            let json = json?;
            let e: Event = serde_json::from_str(&json).map_err(|e| {
                StoreError::Backend(format!("event log entry is not an event: {e}"))
            })?;
            out.push(e);
        }
        Ok(out)
    }

    fn count_events(&self, after: Seq, upto: Seq) -> StoreResult<Vec<(Topic, u64)>> {
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT topic, COUNT(*) FROM events WHERE seq > ?1 AND seq <= ?2 GROUP BY topic",
        )?;
        let rows = stmt.query_map(
            params![
                after.min(i64::MAX as u64) as i64,
                upto.min(i64::MAX as u64) as i64
            ],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (code, n) = row?;
            let topic = Topic::from_code(&code)
                .ok_or_else(|| StoreError::Backend(format!("event log: unknown topic {code:?}")))?;
            out.push((topic, n.max(0) as u64));
        }
        Ok(out)
    }

    fn prune_events_before(&self, at_ms: i64, keep_from: Seq, batch: usize) -> StoreResult<u64> {
        let batch = batch.clamp(1, 1 << 20) as i64;
        let keep_from = keep_from.min(i64::MAX as u64) as i64;
        let mut total = 0u64;
        loop {
            // One short write transaction per batch: the `batch` oldest
            // events, of which those before `at_ms` go. `at_ms` grows with
            // `seq` (both are taken under the write lock), so a batch that
            // deletes fewer than it looked at has reached the cut.
            let deleted = {
                let conn = self.writer();
                let n = conn
                    .prepare_cached(
                        "DELETE FROM events WHERE seq IN (
                         SELECT seq FROM events
                         WHERE seq < ?2 AND seq < (SELECT MAX(seq) FROM events)
                         ORDER BY seq LIMIT ?3)
                     AND at_ms < ?1",
                    )?
                    .execute(params![at_ms, keep_from, batch])?;
                n
            };
            total += deleted as u64;
            if (deleted as i64) < batch {
                return Ok(total);
            }
            // Let waiting writers in between batches.
            std::thread::yield_now();
        }
    }

    fn snapshot(&self) -> StoreResult<Snapshot> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let seq = head_of(&tx)?;
        let sensors = tx
            .prepare_cached(&format!("SELECT {SENSOR_COLS} FROM sensors ORDER BY id"))?
            .query_map([], sensor_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let alerts = tx
            .prepare_cached(&format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE cleared_at IS NULL OR cleared_at >= ?1
                 ORDER BY raised_at DESC, id DESC"
            ))?
            .query_map([crate::clock::now_s() - 86_400], alert_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let hazards = tx
            .prepare_cached(
                "SELECT id, status, changed_at, changed_by, note, photo FROM hazards
                 WHERE changed_at IS NOT NULL ORDER BY changed_at DESC, id",
            )?
            .query_map([], |row| {
                Ok(HazardState {
                    id: row.get(0)?,
                    status: coded(row, 1, HazardStatus::from_code)?,
                    at: row.get(2)?,
                    by: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    note: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    photo: row.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let now_ms = crate::clock::now_ms();
        let scenes = tx
            .prepare_cached(&format!(
                "SELECT {SCENE_COLS} FROM scenes ORDER BY wall_group"
            ))?
            .query_map([], scene_row)?
            .filter(|s| s.as_ref().map_or(true, |s| s.is_current(now_ms)))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let epoch = audit::epoch(&tx)?;
        tx.commit()?;
        Ok(Snapshot {
            epoch,
            seq,
            sensors,
            alerts,
            hazards,
            reload: vec![Topic::Cases],
            scenes,
        })
    }

    fn case_records(&self, from: i64, to: i64) -> StoreResult<(Seq, Vec<CaseRecord>)> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let seq = head_of(&tx)?;
        let records = tx
            .prepare_cached(&format!(
                "SELECT {RECORD_COLS}
                 FROM cases WHERE reported_at >= ?1 AND reported_at < ?2 AND grid_index IS NOT NULL
                 ORDER BY reported_at, id"
            ))?
            .query_map([from, to], record_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok((seq, records))
    }

    fn wall_state(&self, since: i64) -> StoreResult<super::WallState> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let state = wall::read(&tx, since)?;
        tx.commit()?;
        Ok(state)
    }

    fn reported_since(
        &self,
        since_ms: i64,
        rules: &[String],
        limit: usize,
    ) -> StoreResult<(Seq, Vec<(i64, Case)>)> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let out = wall::reported_since(&tx, since_ms, rules, limit)?;
        tx.commit()?;
        Ok(out)
    }

    fn scene(&self, group: &str) -> StoreResult<Option<(Seq, Scene)>> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let seq = head_of(&tx)?;
        let scene = tx
            .prepare_cached(&format!(
                "SELECT {SCENE_COLS} FROM scenes WHERE wall_group = ?1"
            ))?
            .query_row([group], scene_row)
            .optional()?;
        tx.commit()?;
        Ok(scene.map(|s| (seq, s)))
    }

    fn case(&self, id: u32) -> StoreResult<Option<(Case, Vec<Transition>)>> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let case = tx
            .prepare_cached(&format!("SELECT {CASE_COLS} FROM cases WHERE id = ?1"))?
            .query_row([id], case_row)
            .optional()?;
        let Some(case) = case else {
            return Ok(None);
        };
        let history = tx
            .prepare_cached(
                "SELECT from_status, to_status, at, by, note FROM case_transitions
                 WHERE case_id = ?1 ORDER BY id",
            )?
            .query_map([id], transition_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(Some((case, history)))
    }

    fn cases(&self, q: &CaseQuery) -> StoreResult<Vec<Case>> {
        let mut sql = format!("SELECT {CASE_COLS} FROM cases WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        if let Some([x0, y0, x1, y1]) = q.bbox {
            sql += " AND lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?";
            args.extend([x0, x1, y0, y1].map(Value::Real));
        }
        if !q.status.is_empty() {
            sql += &format!(" AND status IN ({})", vec!["?"; q.status.len()].join(","));
            args.extend(q.status.iter().map(|s| Value::Text(s.code().into())));
        }
        if !q.category.is_empty() {
            sql += &format!(
                " AND category IN ({})",
                vec!["?"; q.category.len()].join(",")
            );
            args.extend(q.category.iter().map(|s| Value::Text(s.code().into())));
        }
        if let Some(s) = &q.subdistrict {
            sql += " AND subdistrict = ?";
            args.push(Value::Text(s.clone()));
        }
        if let Some(since) = q.since {
            sql += " AND reported_at >= ?";
            args.push(Value::Integer(since));
        }
        sql += " ORDER BY reported_at DESC, id DESC LIMIT ?";
        args.push(Value::Integer(q.limit.min(i64::MAX as usize) as i64));
        let mut r = self.reader()?;
        let conn = r.conn()?;
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), case_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn counts(&self) -> StoreResult<Counts> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let c = tx.query_row(
            "SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM case_transitions),
                    (SELECT COUNT(*) FROM sensors), (SELECT COUNT(*) FROM alerts),
                    (SELECT COUNT(*) FROM hazard_changes), (SELECT COUNT(*) FROM events),
                    (SELECT COALESCE(MAX(seq), 0) FROM events)",
            [],
            |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                Ok(Counts {
                    cases: n(0)?,
                    transitions: n(1)?,
                    sensors: n(2)?,
                    alerts: n(3)?,
                    hazard_changes: n(4)?,
                    events: n(5)?,
                    head: n(6)?,
                })
            },
        )?;
        tx.commit()?;
        Ok(c)
    }
}
