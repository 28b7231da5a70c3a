//! The live service: the store plus the broadcast hub, with the one rule that
//! keeps the stream in order: a command is executed and its events are
//! published while holding the write lock, so the hub sees events in exactly
//! the order of their sequence numbers.

use crate::hub::Hub;
use crate::store::{Command, Store, StoreError, StoreResult};
use pingan_model::live::Event;
use std::sync::{Arc, Mutex};

pub struct Live {
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    write: Mutex<()>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("head", &self.hub.head())
            .finish()
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Live {
    pub fn new(store: Arc<dyn Store>) -> StoreResult<Live> {
        let head = store.head()?;
        Ok(Live {
            store,
            hub: Arc::new(Hub::new(head)),
            write: Mutex::new(()),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Runs a command and publishes its events (blocking; see [`Live::execute`]).
    pub fn execute_blocking(&self, cmd: Command) -> StoreResult<Vec<Event>> {
        // A poisoned lock only means another writer panicked; the store's
        // transaction was rolled back, so carrying on is safe.
        let _guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let events = self.store.execute(cmd, now_ms())?;
        self.hub.publish(&events);
        Ok(events)
    }

    /// Runs a command on a blocking thread and publishes its events.
    pub async fn execute(self: &Arc<Self>, cmd: Command) -> StoreResult<Vec<Event>> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.execute_blocking(cmd))
            .await
            .map_err(|e| StoreError::Backend(format!("write task failed: {e}")))?
    }
}
