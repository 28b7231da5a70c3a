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
