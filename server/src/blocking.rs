//! Blocking work (SQLite, argon2, file reads) off the async runtime: one
//! helper, [`run`], and one mapping of a task that failed (panicked or was
//! cancelled) into the caller's error type ([`TaskFailed`]).

/// A blocking task that did not return.
#[derive(Debug, thiserror::Error)]
#[error("a background task failed: {0}")]
pub struct TaskFailed(pub String);

/// Runs `f` on a blocking thread; a failed task is `E::from(TaskFailed)`.
pub async fn run<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<TaskFailed> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(E::from(TaskFailed(e.to_string()))))
}
