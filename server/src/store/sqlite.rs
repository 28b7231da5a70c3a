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
//!   is the number applied. Opening applies the missing ones in order, each
//!   in its own transaction; a database newer than this build is refused.
//! - The event log (`events`) is append-only; `seq` is its integer primary
//!   key and each write takes `max(seq) + 1`, so numbers continue across
//!   restarts. Old events are pruned by [`Store::prune_events_before`]
//!   (the server's retention task, `--retain-days`), oldest first and never
//!   the newest, so `max(seq)` — the head — survives.

use super::tx::{SeedHazard, SeedSensor, SensorRow, Tx};
use super::{CaseQuery, Counts, Store, StoreError, StoreResult, Work};
use pingan_model::cases::{CaseRecord, DeptSet};
use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus, SensorType};
use pingan_model::live::{
    Alert, Case, Event, HazardState, Level, SensorState, Seq, Snapshot, Topic, Transition,
};
use rusqlite::types::{Type, Value};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

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
];

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

fn migrate(conn: &mut Connection) -> StoreResult<usize> {
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
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok(MIGRATIONS.len() - current)
}

const CASE_COLS: &str = "id, category, lon, lat, grid, grid_index, community, subdistrict, description, reporter, status, departments, rule, reported_at, deadline, updated_at";

fn depts_text(d: &[Department]) -> String {
    d.iter().map(|d| d.code()).collect::<Vec<_>>().join(",")
}

fn bad_column(idx: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.into())
}

/// A code column decoded with `from`.
fn coded<T>(row: &Row, idx: usize, from: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    from(&s).ok_or_else(|| bad_column(idx, format!("unknown code {s:?}")))
}

fn coded_opt<T>(row: &Row, idx: usize, from: fn(&str) -> Option<T>) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(idx)?;
    match s {
        None => Ok(None),
        Some(s) => from(&s)
            .map(Some)
            .ok_or_else(|| bad_column(idx, format!("unknown code {s:?}"))),
    }
}

fn departments(row: &Row, idx: usize) -> rusqlite::Result<Vec<Department>> {
    let s: String = row.get(idx)?;
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            Department::from_code(p)
                .ok_or_else(|| bad_column(idx, format!("unknown department {p:?}")))
        })
        .collect()
}

/// A case from a row selected with [`CASE_COLS`].
fn case_row(row: &Row) -> rusqlite::Result<Case> {
    let grid_index: Option<i64> = row.get(5)?;
    Ok(Case {
        id: row.get(0)?,
        category: coded(row, 1, CaseCategory::from_code)?,
        lon: row.get(2)?,
        lat: row.get(3)?,
        grid: row.get(4)?,
        grid_index: grid_index.and_then(|g| u16::try_from(g).ok()),
        community: row.get(6)?,
        subdistrict: row.get(7)?,
        description: row.get(8)?,
        reporter: row.get(9)?,
        status: coded(row, 10, CaseStatus::from_code)?,
        departments: departments(row, 11)?,
        rule: row.get(12)?,
        reported_at: row.get(13)?,
        deadline: row.get(14)?,
        updated_at: row.get(15)?,
    })
}

fn insert_case(stmt: &mut rusqlite::Statement<'_>, c: &Case) -> rusqlite::Result<usize> {
    stmt.execute(params![
        c.id,
        c.category.code(),
        c.lon,
        c.lat,
        c.grid,
        c.grid_index,
        c.community,
        c.subdistrict,
        c.description,
        c.reporter,
        c.status.code(),
        depts_text(&c.departments),
        c.rule,
        c.reported_at,
        c.deadline,
        c.updated_at,
    ])
}

fn insert_transition(
    stmt: &mut rusqlite::Statement<'_>,
    case_id: u32,
    t: &Transition,
) -> rusqlite::Result<usize> {
    stmt.execute(params![
        case_id,
        t.from.map(|s| s.code()),
        t.to.code(),
        t.at,
        t.by,
        t.note
    ])
}

fn transition_row(row: &Row) -> rusqlite::Result<Transition> {
    Ok(Transition {
        from: coded_opt(row, 0, CaseStatus::from_code)?,
        to: coded(row, 1, CaseStatus::from_code)?,
        at: row.get(2)?,
        by: row.get(3)?,
        note: row.get(4)?,
    })
}

const SENSOR_COLS: &str = "id, type, value, at, level";

fn sensor_row(row: &Row) -> rusqlite::Result<SensorState> {
    Ok(SensorState {
        id: row.get(0)?,
        sensor_type: coded(row, 1, SensorType::from_code)?,
        value: row.get(2)?,
        at: row.get(3)?,
        level: coded(row, 4, Level::from_code)?,
    })
}

const ALERT_COLS: &str =
    "id, sensor, type, level, peak, lon, lat, raised_at, cleared_at, acked_at, acked_by";

fn alert_row(row: &Row) -> rusqlite::Result<Alert> {
    let id: i64 = row.get(0)?;
    Ok(Alert {
        id: id as u64,
        sensor: row.get(1)?,
        sensor_type: coded(row, 2, SensorType::from_code)?,
        level: coded(row, 3, Level::from_code)?,
        peak: row.get(4)?,
        lon: row.get(5)?,
        lat: row.get(6)?,
        raised_at: row.get(7)?,
        cleared_at: row.get(8)?,
        acked_at: row.get(9)?,
        acked_by: row.get(10)?,
    })
}

/// [`Tx`] over one open SQLite write transaction. Statements are cached per
/// connection (`prepare_cached`), so a command costs no re-parsing.
struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl Tx for SqliteTx<'_> {
    fn head(&mut self) -> StoreResult<Seq> {
        Ok(head_of(self.tx)?)
    }

    fn append(&mut self, event: &Event) -> StoreResult<()> {
        let json = serde_json::to_string(event)
            .map_err(|e| StoreError::Backend(format!("serialising event: {e}")))?;
        self.tx
            .prepare_cached("INSERT INTO events (seq, at_ms, topic, json) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![
                event.seq as i64,
                event.at_ms,
                event.change.topic().code(),
                json
            ])?;
        Ok(())
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute(params![key, value])?;
        Ok(())
    }

    fn max_case_id(&mut self) -> StoreResult<i64> {
        let max: Option<i64> = self
            .tx
            .prepare_cached("SELECT MAX(id) FROM cases")?
            .query_row([], |r| r.get(0))?;
        Ok(max.unwrap_or(0))
    }

    fn case(&mut self, id: u32) -> StoreResult<Option<Case>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {CASE_COLS} FROM cases WHERE id = ?1"))?
            .query_row([id], case_row)
            .optional()?)
    }

    fn insert_case(&mut self, case: &Case) -> StoreResult<bool> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "INSERT OR IGNORE INTO cases ({CASE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))?;
        Ok(insert_case(&mut stmt, case)? == 1)
    }

    fn set_case_status(&mut self, id: u32, status: CaseStatus, at: i64) -> StoreResult<()> {
        self.tx
            .prepare_cached("UPDATE cases SET status = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![id, status.code(), at])?;
        Ok(())
    }

    fn add_transition(&mut self, case_id: u32, t: &Transition) -> StoreResult<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO case_transitions (case_id, from_status, to_status, at, by, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        insert_transition(&mut stmt, case_id, t)?;
        Ok(())
    }

    fn sensor(&mut self, id: &str) -> StoreResult<Option<SensorRow>> {
        Ok(self
            .tx
            .prepare_cached("SELECT type, lon, lat, level FROM sensors WHERE id = ?1")?
            .query_row([id], |row| {
                Ok(SensorRow {
                    sensor_type: coded(row, 0, SensorType::from_code)?,
                    lon: row.get(1)?,
                    lat: row.get(2)?,
                    level: Level::from_code(&row.get::<_, String>(3)?).unwrap_or(Level::Normal),
                })
            })
            .optional()?)
    }

    fn insert_sensor(&mut self, s: &SeedSensor, at: i64) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO sensors (id, type, lon, lat, name, area, subdistrict, value, at, level)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                s.id,
                s.sensor_type.code(),
                s.lon,
                s.lat,
                s.name,
                s.area,
                s.subdistrict,
                s.value,
                at,
                s.level.code(),
            ])?;
        Ok(n == 1)
    }

    fn set_reading(&mut self, id: &str, value: f64, at: i64, level: Level) -> StoreResult<()> {
        self.tx
            .prepare_cached("UPDATE sensors SET value = ?2, at = ?3, level = ?4 WHERE id = ?1")?
            .execute(params![id, value, at, level.code()])?;
        Ok(())
    }

    fn max_alert_id(&mut self) -> StoreResult<u64> {
        let max: Option<i64> = self
            .tx
            .prepare_cached("SELECT MAX(id) FROM alerts")?
            .query_row([], |r| r.get(0))?;
        Ok(max.unwrap_or(0).max(0) as u64)
    }

    fn alert(&mut self, id: u64) -> StoreResult<Option<Alert>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"))?
            .query_row([id.min(i64::MAX as u64) as i64], alert_row)
            .optional()?)
    }

    fn active_alert(&mut self, sensor: &str) -> StoreResult<Option<Alert>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE sensor = ?1 AND cleared_at IS NULL"
            ))?
            .query_row([sensor], alert_row)
            .optional()?)
    }

    fn insert_alert(&mut self, a: &Alert) -> StoreResult<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO alerts ({ALERT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))?
            .execute(params![
                a.id as i64,
                a.sensor,
                a.sensor_type.code(),
                a.level.code(),
                a.peak,
                a.lon,
                a.lat,
                a.raised_at,
                a.cleared_at,
                a.acked_at,
                a.acked_by
            ])?;
        Ok(())
    }

    fn update_alert(&mut self, a: &Alert) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "UPDATE alerts SET level = ?2, peak = ?3, cleared_at = ?4, acked_at = ?5, acked_by = ?6
                 WHERE id = ?1",
            )?
            .execute(params![
                a.id as i64,
                a.level.code(),
                a.peak,
                a.cleared_at,
                a.acked_at,
                a.acked_by
            ])?;
        Ok(())
    }

    fn hazard_status(&mut self, id: &str) -> StoreResult<Option<HazardStatus>> {
        Ok(self
            .tx
            .prepare_cached("SELECT status FROM hazards WHERE id = ?1")?
            .query_row([id], |r| coded(r, 0, HazardStatus::from_code))
            .optional()?)
    }

    fn insert_hazard(&mut self, h: &SeedHazard) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO hazards (id, status, lon, lat, name, subdistrict)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                h.id,
                h.status.code(),
                h.lon,
                h.lat,
                h.name,
                h.subdistrict
            ])?;
        Ok(n == 1)
    }

    fn change_hazard(&mut self, h: &HazardState, from: HazardStatus) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "UPDATE hazards SET status = ?2, changed_at = ?3, changed_by = ?4, note = ?5 WHERE id = ?1",
            )?
            .execute(params![h.id, h.status.code(), h.at, h.by, h.note])?;
        self.tx
            .prepare_cached(
                "INSERT INTO hazard_changes (hazard, from_status, to_status, at, by, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                h.id,
                from.code(),
                h.status.code(),
                h.at,
                h.by,
                h.note
            ])?;
        Ok(())
    }
}

fn head_of(conn: &Connection) -> rusqlite::Result<Seq> {
    let h: Option<i64> = conn.query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))?;
    Ok(h.unwrap_or(0).max(0) as Seq)
}

impl Store for SqliteStore {
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
                "SELECT id, status, changed_at, changed_by, note FROM hazards
                 WHERE changed_at IS NOT NULL ORDER BY changed_at DESC, id",
            )?
            .query_map([], |row| {
                Ok(HazardState {
                    id: row.get(0)?,
                    status: coded(row, 1, HazardStatus::from_code)?,
                    at: row.get(2)?,
                    by: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    note: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(Snapshot {
            seq,
            sensors,
            alerts,
            hazards,
            reload: vec![Topic::Cases],
        })
    }

    fn case_records(&self, from: i64, to: i64) -> StoreResult<(Seq, Vec<CaseRecord>)> {
        let mut r = self.reader()?;
        let tx = r.conn()?.transaction()?;
        let seq = head_of(&tx)?;
        let records = tx
            .prepare_cached(
                "SELECT id, reported_at, lon, lat, grid_index, category, status, departments, deadline
                 FROM cases WHERE reported_at >= ?1 AND reported_at < ?2 AND grid_index IS NOT NULL
                 ORDER BY reported_at, id",
            )?
            .query_map([from, to], |row| {
                let time: i64 = row.get(1)?;
                let grid: i64 = row.get(4)?;
                let deadline: i64 = row.get(8)?;
                Ok(CaseRecord {
                    id: row.get(0)?,
                    time,
                    lon: row.get(2)?,
                    lat: row.get(3)?,
                    grid: u16::try_from(grid).map_err(|_| bad_column(4, format!("grid index {grid}")))?,
                    category: coded(row, 5, CaseCategory::from_code)?,
                    status: coded(row, 6, CaseStatus::from_code)?,
                    departments: DeptSet::of(&departments(row, 7)?),
                    deadline_hours: CaseRecord::deadline_hours(time, deadline),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok((seq, records))
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
