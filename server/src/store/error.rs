//! [`StoreError`]: why a command or query failed, whatever the backend.

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
    /// An idempotency key the account already used for another request
    /// (422 `idempotency_key_reused`; `idempotency.rs`).
    #[error("{0}")]
    KeyReused(String),
    /// A command names a photo the store does not hold (422 `unknown_photo`).
    #[error("{0}")]
    UnknownPhoto(String),
    /// The backend failed (500).
    #[error("storage: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<crate::blocking::TaskFailed> for StoreError {
    fn from(e: crate::blocking::TaskFailed) -> Self {
        StoreError::Backend(e.to_string())
    }
}
