//! The live service: the store plus the broadcast hub, with the one rule that
//! keeps the stream in order: a command is executed and its events are
//! published while holding the write lock, so the hub sees events in exactly
//! the order of their sequence numbers. A write's answer and its
//! idempotency key are decided in the same transaction
//! ([`Live::execute_idempotent`]). Retention ([`retain`]) prunes the event
//! log and forgets idempotency keys past their 30 days.

use crate::hub::Hub;
use crate::mask::Directory;
use crate::store::{Account, Actor, Answer, Answered, Command, IdempotencyKey, Store, StoreResult};
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

use crate::clock::now_ms;

impl Live {
    pub fn new(store: Arc<dyn Store>) -> StoreResult<Live> {
        Live::with_directory(store, Arc::default())
    }

    /// The live service over `store`, placing events with `directory` (a
    /// scoped reader sees personal data of its own subdistrict only).
    pub fn with_directory(store: Arc<dyn Store>, directory: Arc<Directory>) -> StoreResult<Live> {
        let head = store.head()?;
        let epoch = store.epoch()?;
        Ok(Live {
            store,
            hub: Arc::new(Hub::for_store(head, epoch, directory)),
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
        self.run(cmd, None)
    }

    fn run(
        &self,
        cmd: Command,
        audit: Option<crate::store::AuditEntry>,
    ) -> StoreResult<Vec<Event>> {
        // A poisoned lock only means another writer panicked; the store's
        // transaction was rolled back, so carrying on is safe.
        let _guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let events = self.store.execute_audited(cmd, now_ms(), audit.as_ref())?;
        self.hub.publish(&events);
        Ok(events)
    }

    /// Runs a command asked for by `actor` from `from` (a client address)
    /// and publishes its events. The one place writes are audited: the
    /// entry is stored in the command's transaction, so there is no write
    /// without its entry. The server's own commands (the simulator, as
    /// [`Account::System`]) are not audited.
    pub async fn execute_audited(
        self: &Arc<Self>,
        cmd: Command,
        actor: &Actor,
        from: &str,
    ) -> StoreResult<Vec<Event>> {
        let audit =
            (actor.account != Account::System).then(|| crate::audit::of_command(actor, &cmd, from));
        let me = self.clone();
        crate::blocking::run(move || me.run(cmd, audit)).await
    }

    /// [`Live::execute_audited`] answered and, with a `key`, idempotent
    /// ([`Store::execute_idempotent`]): the answer is built by `answer` from
    /// the events in the command's transaction and remembered with it; a
    /// replay stores and publishes nothing.
    pub async fn execute_idempotent<F>(
        self: &Arc<Self>,
        cmd: Command,
        actor: &Actor,
        from: &str,
        key: Option<IdempotencyKey>,
        answer: F,
    ) -> StoreResult<Answered>
    where
        F: Fn(&[Event]) -> StoreResult<Answer> + Send + 'static,
    {
        let audit =
            (actor.account != Account::System).then(|| crate::audit::of_command(actor, &cmd, from));
        let me = self.clone();
        crate::blocking::run(move || {
            let _guard = me.write.lock().unwrap_or_else(|p| p.into_inner());
            let out = me.store.execute_idempotent(
                cmd,
                now_ms(),
                audit.as_ref(),
                key.as_ref(),
                &answer,
            )?;
            me.hub.publish(&out.events);
            Ok(out)
        })
        .await
    }

    /// Runs a command on a blocking thread and publishes its events.
    pub async fn execute(self: &Arc<Self>, cmd: Command) -> StoreResult<Vec<Event>> {
        let me = self.clone();
        crate::blocking::run(move || me.execute_blocking(cmd)).await
    }
}

/// Events deleted per transaction by the retention task: a few ms of the
/// write lock each, so writers are never held up long.
pub const PRUNE_BATCH: usize = 2_000;

/// Deletes events older than `days` days (0: keeps everything), never one
/// a replay within `max_replay` of the head could need and never the
/// newest. Returns how many were deleted.
pub fn prune_once(live: &Live, days: u32) -> StoreResult<u64> {
    if days == 0 {
        return Ok(0);
    }
    let cut = now_ms().saturating_sub(i64::from(days).saturating_mul(86_400_000));
    let keep_from = live.hub.head().saturating_sub(live.hub.config().max_replay);
    live.store.prune_events_before(cut, keep_from, PRUNE_BATCH)
}

/// Forgets the idempotency keys older than
/// [`crate::store::idempotency::KEEP_DAYS`]; returns how many.
pub fn prune_keys_once(live: &Live) -> StoreResult<u64> {
    let cut = now_ms().saturating_sub(crate::store::idempotency::KEEP_MS);
    live.store.prune_keys_before(cut)
}

/// The retention task: prunes the event log (`--retain-days`; 0 keeps it
/// whole) and the idempotency keys past their 30 days a minute after start
/// and then every `every`, until the task is dropped.
pub async fn retain(live: Arc<Live>, days: u32, every: std::time::Duration) {
    if days == 0 {
        tracing::info!("event log retention off: events are kept forever");
    }
    let mut first = true;
    loop {
        let wait = if first {
            std::time::Duration::from_secs(60).min(every)
        } else {
            every
        };
        first = false;
        tokio::time::sleep(wait).await;
        let l = live.clone();
        match crate::blocking::run(move || prune_keys_once(&l)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "idempotency keys past 30 days forgotten"),
            Err(e) => tracing::warn!(error = %e, "pruning idempotency keys failed"),
        }
        if days == 0 {
            continue;
        }
        let l = live.clone();
        let started = std::time::Instant::now();
        match crate::blocking::run(move || prune_once(&l, days)).await {
            Ok(0) => tracing::debug!(days, "event log retention: nothing to prune"),
            Ok(n) => tracing::info!(
                days,
                deleted = n,
                ms = started.elapsed().as_millis() as u64,
                "event log retention: pruned old events"
            ),
            Err(e) => tracing::warn!(error = %e, "event log retention failed"),
        }
    }
}
