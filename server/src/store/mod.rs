//! Storage of the live state behind one interface, [`Store`].
//!
//! Handlers never see SQL: they validate a request, turn it into a
//! [`Command`] and hand it to [`crate::live::Live`], which runs it on the
//! store (one transaction: read, check the pure rules of
//! `pingan_model::live`, write the new state and append one event per change
//! to the event log) and publishes the resulting events. A PostgreSQL backend
//! is another `impl Store`; nothing above this module changes.
//!
//! The store is synchronous (SQLite is an in-process library); callers on the
//! async runtime go through `tokio::task::spawn_blocking`.

pub mod seed;
pub mod sqlite;

use pingan_model::cases::CaseRecord;
use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus};
use pingan_model::live::{Case, Event, ReadingIn, Seq, Snapshot, Topic, Transition};

/// A change the live system is asked to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// A new case, already located and routed by the caller.
    ReportCase(NewCase),
    Transition {
        case_id: u32,
        to: CaseStatus,
        by: String,
        note: String,
        /// Unix seconds.
        at: i64,
    },
    /// All-or-nothing: one unknown sensor rejects the whole batch.
    Readings {
        readings: Vec<ReadingIn>,
        at: i64,
    },
    AckAlert {
        id: u64,
        by: String,
        at: i64,
    },
    HazardStatus {
        id: String,
        status: HazardStatus,
        by: String,
        note: String,
        at: i64,
    },
}

/// A case to store: everything but the id, which the store assigns.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCase {
    pub category: CaseCategory,
    pub lon: f64,
    pub lat: f64,
    pub grid: Option<String>,
    pub grid_index: Option<u16>,
    pub community: Option<String>,
    pub subdistrict: Option<String>,
    pub description: String,
    pub reporter: String,
    pub departments: Vec<Department>,
    pub rule: Option<String>,
    /// Unix seconds.
    pub reported_at: i64,
    pub deadline: i64,
}

/// Filters of `GET /api/cases`. Every filter is optional; `limit` is capped
/// by the handler.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseQuery {
    /// WGS84 `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    pub status: Vec<CaseStatus>,
    pub category: Vec<CaseCategory>,
    pub subdistrict: Option<String>,
    /// Reported at or after, Unix seconds.
    pub since: Option<i64>,
    pub limit: usize,
}

/// How many rows of each kind the store holds (health, tests).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub cases: u64,
    pub transitions: u64,
    pub sensors: u64,
    pub alerts: u64,
    pub hazard_changes: u64,
    pub events: u64,
    pub head: Seq,
}

/// Why a command or query failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such case/alert/sensor/hazard (404).
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    /// The change is not allowed in the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// A field of the command is invalid (400/422); `field` names it.
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    /// The backend failed (500).
    #[error("storage: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The live state's storage. Implementations must be safe to share between
/// threads; writes ([`Store::execute`]) are serialised by the caller.
pub trait Store: Send + Sync + 'static {
    /// Runs a command in one transaction. On success returns the events it
    /// appended (sequence numbers strictly increasing, continuing the log);
    /// on error nothing was stored.
    fn execute(&self, cmd: Command, now_ms: i64) -> StoreResult<Vec<Event>>;

    /// The newest sequence number (0 when the log is empty).
    fn head(&self) -> StoreResult<Seq>;
    /// The oldest sequence number still in the log (1 when nothing was pruned).
    fn oldest(&self) -> StoreResult<Seq>;
    /// Events with `seq > since`, in order, at most `limit` of them.
    fn events_since(&self, since: Seq, limit: usize) -> StoreResult<Vec<Event>>;
    /// How many events with `after < seq ≤ upto` the log holds, per topic
    /// (topics without any are left out). Their sum is `upto − after` when
    /// the log holds all of that range.
    fn count_events(&self, after: Seq, upto: Seq) -> StoreResult<Vec<(Topic, u64)>>;
    /// Deletes events recorded before `at_ms` (Unix ms) whose `seq` is below
    /// `keep_from`, oldest first, in short transactions of at most `batch`
    /// events each (so writers wait at most one batch). The newest event is
    /// never deleted (the head must survive a restart). Returns how many
    /// were deleted.
    fn prune_events_before(&self, at_ms: i64, keep_from: Seq, batch: usize) -> StoreResult<u64>;

    /// The small live layers at one consistent sequence number.
    fn snapshot(&self) -> StoreResult<Snapshot>;
    /// Cases reported in `[from, to)` in the compact form, with the sequence
    /// number they are consistent with.
    fn case_records(&self, from: i64, to: i64) -> StoreResult<(Seq, Vec<CaseRecord>)>;

    fn case(&self, id: u32) -> StoreResult<Option<(Case, Vec<Transition>)>>;
    fn cases(&self, q: &CaseQuery) -> StoreResult<Vec<Case>>;
    fn counts(&self) -> StoreResult<Counts>;
}
