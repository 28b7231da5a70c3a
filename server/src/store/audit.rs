//! The audit log's rows: who did or read what, when and from where
//! ([`AuditEntry`]), as stored ([`AuditRecord`]) and as asked for
//! ([`AuditQuery`]). Plain data; the store appends, queries and prunes
//! them (`Store::audit`, `Store::audit_query`, `Store::prune_audit_before`),
//! and `crate::audit` builds them from actors and commands.

use serde::{Deserialize, Serialize};

/// One thing done or read, as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Username, device or key name; `system` for the server itself, empty
    /// for an anonymous request.
    pub actor: String,
    /// `user`, `device`, `key`, `system` or `anonymous`.
    pub kind: String,
    /// The actor's role, when it has one.
    pub role: Option<String>,
    /// `login`, `contacts.read`, `case.transition`, `user.add`, …
    pub action: String,
    /// What was acted on (`cases/123`, `hazards/YH000001`, a username).
    pub target: String,
    /// The client address (`ip:port`), `internal` for the server itself.
    pub from: String,
    /// A short description (`reported → accepted`); never a secret.
    pub detail: String,
}

/// An entry as stored, with its id (ascending in the order appended).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Filters of `GET /api/audit`; every one optional, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// At or after, Unix seconds.
    pub since: Option<i64>,
    /// Before, Unix seconds.
    pub until: Option<i64>,
    /// Exactly this actor name.
    pub actor: Option<String>,
    /// Exactly this action, or every action under a prefix: `user.*`.
    pub action: Option<String>,
    pub limit: usize,
}

/// The audit log keeps at least this many days: no backend prunes an entry
/// younger (the Cybersecurity Law's six months for network logs).
pub const MIN_RETAIN_DAYS: i64 = 180;

/// The latest cut [`crate::store::Store::prune_audit_before`] accepts at
/// `now` (Unix s).
pub fn latest_cut(now: i64) -> i64 {
    now.saturating_sub(MIN_RETAIN_DAYS * 86_400)
}
