//! [`Tx`]: the small transaction interface a storage backend implements, and
//! the rows it reads and writes. The business rules (`rules.rs`) and seeding
//! (`seed.rs`) run against it; nothing here decides anything: a backend reads
//! what it is asked for, writes what it is told and appends the events it is
//! given, all inside one transaction that [`super::Store::transaction`]
//! commits when the work succeeds and rolls back when it fails.

use super::audit::AuditEntry;
use super::command::Actor;
use super::error::StoreResult;
use super::idempotency::{Answer, IdempotencyKey, Remembered};
use super::photo::{NewPhoto, PhotoMeta};
use pingan_model::domain::{CaseStatus, HazardStatus, SensorType};
use pingan_model::live::{Alert, Case, Event, HazardState, Level, Scene, Seq, Transition};

/// A sensor of the registry with its first reading (seeding).
#[derive(Clone, Debug, PartialEq)]
pub struct SeedSensor {
    pub id: String,
    pub sensor_type: SensorType,
    pub lon: f64,
    pub lat: f64,
    pub name: String,
    pub area: Option<String>,
    pub subdistrict: Option<String>,
    pub value: f64,
    pub level: Level,
}

/// A hazard of the registry (seeding).
#[derive(Clone, Debug, PartialEq)]
pub struct SeedHazard {
    pub id: String,
    pub status: HazardStatus,
    pub lon: f64,
    pub lat: f64,
    pub name: String,
    pub subdistrict: Option<String>,
}

/// What the rules need of a stored sensor to judge a reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensorRow {
    pub sensor_type: SensorType,
    pub lon: f64,
    pub lat: f64,
    /// The level of its latest reading.
    pub level: Level,
}

/// One open transaction of a backend. Reads see the transaction's own writes.
pub trait Tx {
    /// The newest sequence number of the event log (0 when empty).
    fn head(&mut self) -> StoreResult<Seq>;
    /// Appends one event (its `seq` chosen by the rules: head + 1, + 2, …),
    /// recording the account that caused it (`by`'s kind and account name).
    fn append(&mut self, event: &Event, by: &Actor) -> StoreResult<()>;

    /// A value of the store's own key/value table (`seeded_at`).
    fn meta(&mut self, key: &str) -> StoreResult<Option<String>>;
    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()>;

    /// The highest case id stored (0 when there are none).
    fn max_case_id(&mut self) -> StoreResult<i64>;
    fn case(&mut self, id: u32) -> StoreResult<Option<Case>>;
    /// Stores a new case; `false` (and nothing written) when its id is taken.
    fn insert_case(&mut self, case: &Case) -> StoreResult<bool>;
    /// Sets a case's status and `updated_at`.
    fn set_case_status(&mut self, id: u32, status: CaseStatus, at: i64) -> StoreResult<()>;
    /// Appends one entry to a case's history, made by `by` (its display
    /// name is `t.by`; the account's kind and name are recorded beside it).
    fn add_transition(&mut self, case_id: u32, t: &Transition, by: &Actor) -> StoreResult<()>;

    fn sensor(&mut self, id: &str) -> StoreResult<Option<SensorRow>>;
    /// Registers a sensor with its first reading (at `at`); `false` (and
    /// nothing written) when its id is taken.
    fn insert_sensor(&mut self, s: &SeedSensor, at: i64) -> StoreResult<bool>;
    /// Stores a sensor's latest reading and level.
    fn set_reading(&mut self, id: &str, value: f64, at: i64, level: Level) -> StoreResult<()>;

    /// The highest alert id stored (0 when there are none).
    fn max_alert_id(&mut self) -> StoreResult<u64>;
    fn alert(&mut self, id: u64) -> StoreResult<Option<Alert>>;
    /// The sensor's alert that is not cleared, if any (at most one).
    fn active_alert(&mut self, sensor: &str) -> StoreResult<Option<Alert>>;
    /// Stores a new alert under its id.
    fn insert_alert(&mut self, alert: &Alert) -> StoreResult<()>;
    /// Stores the changeable fields of an alert: level, peak, cleared, acked;
    /// `acked` is the account that acknowledged it, when this is the ack.
    fn update_alert(&mut self, alert: &Alert, acked: Option<&Actor>) -> StoreResult<()>;

    fn hazard_status(&mut self, id: &str) -> StoreResult<Option<HazardStatus>>;
    /// Registers a hazard; `false` (and nothing written) when its id is taken.
    fn insert_hazard(&mut self, h: &SeedHazard) -> StoreResult<bool>;
    /// Stores a hazard's new status and appends it to its history, made by `by`.
    fn change_hazard(
        &mut self,
        change: &HazardState,
        from: HazardStatus,
        by: &Actor,
    ) -> StoreResult<()>;

    /// The scene stored for a wall group (current or expired), if any.
    fn scene(&mut self, group: &str) -> StoreResult<Option<Scene>>;
    /// Stores a group's scene, replacing the one before; `by` is the account
    /// that pushed it (its kind and name are recorded beside `scene.by`).
    fn put_scene(&mut self, scene: &Scene, by: &Actor) -> StoreResult<()>;
    /// Deletes a group's scene; `false` when it had none.
    fn delete_scene(&mut self, group: &str) -> StoreResult<bool>;

    /// Appends an entry to the audit log, inside this transaction.
    fn audit(&mut self, entry: &AuditEntry) -> StoreResult<()>;

    /// A stored photo's description, if the store holds it.
    fn photo(&mut self, id: &str) -> StoreResult<Option<PhotoMeta>>;
    /// Stores a photo uploaded by `by` at `at_ms`; `false` (and nothing
    /// written) when its id is there already.
    fn insert_photo(&mut self, photo: &NewPhoto, by: &Actor, at_ms: i64) -> StoreResult<bool>;

    /// What is remembered under `account`'s idempotency key `key`, if
    /// anything (however old: [`super::idempotency::replay`] decides).
    fn remembered(&mut self, account: &str, key: &str) -> StoreResult<Option<Remembered>>;
    /// Remembers `answer` under `key` (its account, key, fingerprint and
    /// request) at `at_ms`, replacing what an expired use of the key left.
    fn remember(&mut self, key: &IdempotencyKey, answer: &Answer, at_ms: i64) -> StoreResult<()>;
}
