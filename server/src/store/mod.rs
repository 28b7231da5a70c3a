//! Storage of the live state behind one interface, [`Store`].
//!
//! Handlers never see SQL: they validate a request, turn it into a
//! [`Command`] and hand it to [`crate::live::Live`], which runs it on the
//! store and publishes the resulting events. Running a command is one
//! transaction in which the backend-neutral rules (`rules.rs`) read what
//! they need through [`Tx`], write the new state and append one event per
//! change to the event log. A backend (`sqlite/`; PostgreSQL later)
//! implements only [`Store::transaction`] (its [`Tx`]) and the queries, and
//! must pass the contract suite in `tests/store_contract.rs`. Seeding
//! (`seed.rs`) goes through the same interface. Accounts (users, sessions,
//! keys, devices) are the [`AccountStore`] part of the same interface
//! (`accounts.rs`).
//!
//! The store is synchronous (SQLite is an in-process library); callers on the
//! async runtime go through `tokio::task::spawn_blocking`.

pub mod accounts;
pub mod audit;
pub mod command;
pub mod error;
pub mod idempotency;
pub mod photo;
pub mod rules;
pub mod seed;
pub mod sqlite;
pub mod tx;
pub mod wall;

pub use accounts::AccountStore;
pub use audit::{AuditEntry, AuditQuery, AuditRecord};
pub use command::{Account, Actor, Command, NewCase, SceneIn};
pub use error::{StoreError, StoreResult};
pub use idempotency::{Answer, AnswerFn, Answered, IdempotencyKey, Remembered};
pub use photo::{NewPhoto, PhotoMeta, StoredPhoto};
pub use tx::Tx;
pub use wall::WallState;

use pingan_model::cases::CaseRecord;
use pingan_model::domain::{CaseCategory, CaseStatus};
use pingan_model::live::{Case, Event, Scene, Seq, Snapshot, Topic, Transition};

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

/// The work run inside one write transaction.
pub type Work<'a> = dyn FnMut(&mut dyn Tx) -> StoreResult<()> + 'a;

/// The live state's storage. Implementations must be safe to share between
/// threads; writes ([`Store::execute`]) are serialised by the caller.
///
/// A backend implements [`Store::transaction`] (the [`Tx`] interface) and
/// the queries; the rules of every command are shared ([`rules::run`]).
pub trait Store: AccountStore + Send + Sync + 'static {
    /// Runs `work` in one write transaction: committed when it returns
    /// `Ok`, rolled back (nothing stored) when it returns an error.
    fn transaction(&self, work: &mut Work<'_>) -> StoreResult<()>;

    /// Runs a command in one transaction. On success returns the events it
    /// appended (sequence numbers strictly increasing, continuing the log);
    /// on error nothing was stored.
    fn execute(&self, cmd: Command, now_ms: i64) -> StoreResult<Vec<Event>> {
        self.execute_audited(cmd, now_ms, None)
    }

    /// [`Store::execute`], appending `audit` in the same transaction: a
    /// write and its audit entry are stored together or not at all. The
    /// entry is completed from the events first (a report's target names
    /// the new case: [`AuditEntry::completed`]).
    fn execute_audited(
        &self,
        cmd: Command,
        now_ms: i64,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Vec<Event>> {
        let mut cmd = Some(cmd);
        let mut events = Vec::new();
        self.transaction(&mut |tx| {
            let cmd = cmd
                .take()
                .ok_or_else(|| StoreError::Backend("a transaction ran its work twice".into()))?;
            events = rules::run(tx, cmd, now_ms)?;
            if let Some(entry) = audit {
                tx.audit(&entry.completed(&events))?;
            }
            Ok(())
        })?;
        Ok(events)
    }

    /// [`Store::execute_audited`] with an answer and, when the client sent
    /// one, an idempotency key (`idempotency.rs`), all in one transaction:
    /// a key remembered for the same request replays its answer and stores
    /// nothing (no command, no audit entry, no event); one remembered for
    /// another request is [`StoreError::KeyReused`]; else the command runs,
    /// `answer` is built from its events and, when keyed and successful,
    /// remembered with the write, so a write and its key commit or fail
    /// together.
    fn execute_idempotent(
        &self,
        cmd: Command,
        now_ms: i64,
        audit: Option<&AuditEntry>,
        key: Option<&IdempotencyKey>,
        answer: &AnswerFn<'_>,
    ) -> StoreResult<Answered> {
        let mut cmd = Some(cmd);
        let mut out = None;
        self.transaction(&mut |tx| {
            if let Some(key) = key {
                let found = tx.remembered(&key.account, &key.key)?;
                if let Some(answer) = idempotency::replay(key, found, now_ms)? {
                    out = Some(Answered {
                        events: Vec::new(),
                        answer,
                        replayed: true,
                    });
                    return Ok(());
                }
            }
            let cmd = cmd
                .take()
                .ok_or_else(|| StoreError::Backend("a transaction ran its work twice".into()))?;
            let events = rules::run(tx, cmd, now_ms)?;
            if let Some(entry) = audit {
                tx.audit(&entry.completed(&events))?;
            }
            let answer = answer(&events)?;
            if let Some(key) = key.filter(|_| answer.is_success()) {
                tx.remember(key, &answer, now_ms)?;
            }
            out = Some(Answered {
                events,
                answer,
                replayed: false,
            });
            Ok(())
        })?;
        out.ok_or_else(|| StoreError::Backend("the transaction gave no answer".into()))
    }

    /// What is remembered under `account`'s idempotency key `key` (read
    /// outside a write: a handler answers a repeat before its own checks,
    /// which may depend on the clock). The write's transaction decides again.
    fn remembered(&self, account: &str, key: &str) -> StoreResult<Option<Remembered>>;
    /// Forgets idempotency keys remembered before `at_ms` (Unix ms); returns
    /// how many.
    fn prune_keys_before(&self, at_ms: i64) -> StoreResult<u64>;

    /// Stores a photo unless it is there already (content-addressed: same
    /// id, same bytes), with `audit` in the same transaction. Returns whether
    /// it was new and the stored photo's description (the first upload's).
    fn put_photo(
        &self,
        new: &NewPhoto,
        by: &Actor,
        at_ms: i64,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<(bool, PhotoMeta)> {
        if !photo::valid_id(&new.id) {
            return Err(StoreError::Invalid {
                field: "id".into(),
                detail: format!("{:?} is not a photo id (64 lowercase hex digits)", new.id),
            });
        }
        let mut out = None;
        self.transaction(&mut |tx| {
            let created = tx.insert_photo(new, by, at_ms)?;
            let meta = tx
                .photo(&new.id)?
                .ok_or_else(|| StoreError::Backend("a stored photo is not there".into()))?;
            if let Some(entry) = audit {
                tx.audit(entry)?;
            }
            out = Some((created, meta));
            Ok(())
        })?;
        out.ok_or_else(|| StoreError::Backend("the transaction stored no photo".into()))
    }
    /// A stored photo and its bytes.
    fn photo(&self, id: &str) -> StoreResult<Option<StoredPhoto>>;
    /// The subdistricts of the cases and hazards a photo is shown with (a
    /// reader limited to a subdistrict may see it when one is theirs), each
    /// once, `None` for one of unknown place.
    fn photo_places(&self, id: &str) -> StoreResult<Vec<Option<String>>>;

    /// The store's identity: random, created with the store (a replaced or
    /// reset store has another). Streams and snapshots carry it.
    fn epoch(&self) -> StoreResult<String>;

    /// Appends one entry to the audit log (append-only: there is no update,
    /// and deletion only through [`Store::prune_audit_before`]).
    fn audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Audit entries matching `q`, newest first, at most `q.limit`.
    fn audit_query(&self, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
    /// Deletes audit entries from before `at` (Unix s); returns how many.
    /// A cut later than [`audit::latest_cut`] (younger than
    /// [`audit::MIN_RETAIN_DAYS`]) is refused with [`StoreError::Invalid`]
    /// and deletes nothing.
    fn prune_audit_before(&self, at: i64) -> StoreResult<u64>;

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

    /// The small live layers at one consistent sequence number, with the
    /// wall scenes current at the server's clock (one per group, by group).
    fn snapshot(&self) -> StoreResult<Snapshot>;
    /// What the wall's figures are computed from (`GET /api/kpi`), in one
    /// read transaction: cases open, reported or changed at or after `since` (Unix s),
    /// first closes at or after it, alerts active or cleared at or after it,
    /// every sensor and hazard ([`WallState`]).
    fn wall_state(&self, since: i64) -> StoreResult<WallState>;
    /// The cases accepted at or after `since_ms` (their `CaseReported`
    /// events' `at_ms`, the server's clock) whose dispatch rule is one of
    /// `rules`, newest first, at most `limit`: each as its event reported it,
    /// with the event's `at_ms`, and the sequence number they are consistent
    /// with (`GET /api/cases/urgent`: a wall that loads takes the focus on
    /// what the walls already showing have seen on the stream).
    fn reported_since(
        &self,
        since_ms: i64,
        rules: &[String],
        limit: usize,
    ) -> StoreResult<(Seq, Vec<(i64, Case)>)>;
    /// The scene stored for a wall group (current or expired: see
    /// `Scene::is_current`) and the sequence number it is consistent with.
    fn scene(&self, group: &str) -> StoreResult<Option<(Seq, Scene)>>;
    /// Cases reported in `[from, to)` in the compact form, with the sequence
    /// number they are consistent with.
    fn case_records(&self, from: i64, to: i64) -> StoreResult<(Seq, Vec<CaseRecord>)>;

    fn case(&self, id: u32) -> StoreResult<Option<(Case, Vec<Transition>)>>;
    fn cases(&self, q: &CaseQuery) -> StoreResult<Vec<Case>>;
    fn counts(&self) -> StoreResult<Counts>;
}
