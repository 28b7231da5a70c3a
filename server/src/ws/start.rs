//! How a live connection starts: the client's hello (within the hello
//! timeout), then the plan to catch it up ([`plan`]: from the ring, from the
//! store a page at a time, or a snapshot masked for its audience, also when
//! its `since` belongs to another epoch), and the store replay itself
//! ([`catch_up`]) until the ring can serve it.

use super::socket::{send_frames, End};
use crate::hub::{Frame, Hub, StreamConfig};
use crate::live::Live;
use crate::store::StoreError;
use axum::extract::ws::{Message, WebSocket};
use pingan_model::access::Audience;
use pingan_model::live::{ClientMsg, Seq, Snapshot, SnapshotReason, Topic, TopicSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::time::Instant;

/// What the client asked for.
#[derive(Debug)]
pub(super) struct Hello {
    pub(super) topics: TopicSet,
    pub(super) layers: Vec<Topic>,
    pub(super) since: Option<Seq>,
    pub(super) epoch: Option<String>,
    /// The reader's audience (from its actor and the hello's `public`).
    pub(super) audience: Audience,
    /// Asked for the public audience (`public: true`).
    pub(super) public: bool,
    /// The app build the server serves (not from the message: the welcome's).
    pub(super) build: Option<String>,
}

pub(super) async fn read_hello(socket: &mut WebSocket, cfg: &StreamConfig) -> Result<Hello, End> {
    let wait = cfg.hello_timeout;
    let deadline = Instant::now() + wait;
    loop {
        let msg = match tokio::time::timeout_at(deadline, socket.recv()).await {
            Err(_) => return Err(End::HelloTimeout(wait)),
            Ok(None) => return Err(End::PeerClosed),
            Ok(Some(Err(e))) => return Err(End::Socket(e)),
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(_) => {
                return Err(End::BadHello(
                    "the hello must be a JSON text message, not binary".into(),
                ))
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => return Err(End::PeerClosed),
        };
        return match serde_json::from_str::<ClientMsg>(text.as_str()) {
            Ok(ClientMsg::Hello {
                layers,
                since,
                epoch,
                public,
            }) => Ok(Hello {
                topics: if layers.is_empty() {
                    TopicSet::all()
                } else {
                    TopicSet::of(&layers)
                },
                layers,
                since,
                epoch,
                audience: Audience::Public,
                public,
                build: None,
            }),
            Err(e) => Err(End::BadHello(format!(
                "expected {{\"type\":\"hello\",\"layers\":[\"cases\",\"sensors\",\"alerts\",\"hazards\"],\"since\":N}}: {e}"
            ))),
        };
    }
}

/// How the client catches up before live events.
pub(super) enum Start {
    /// Frames after `since` are in the ring, within the client's queue.
    Ring { since: Seq, count: u64 },
    /// `(since, head]` is read from the store, a page at a time; `count`
    /// events of the client's topics.
    Store { since: Seq, count: u64 },
    Snapshot {
        reason: SnapshotReason,
        snapshot: Snapshot,
    },
}

/// Most events read from the store per page of a replay: with reading
/// batches of ~22 kB (every sensor) a page is ~1.4 MB of JSON, written
/// before the next is read, so a replay's memory does not grow with its length.
const REPLAY_PAGE: usize = 64;

pub(super) async fn blocking<T: Send + 'static>(
    live: &Arc<Live>,
    f: impl FnOnce(&Live) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let live = live.clone();
    crate::blocking::run(move || f(&live)).await
}

pub(super) async fn plan(
    live: &Arc<Live>,
    hub: &Hub,
    cfg: &StreamConfig,
    hello: &Hello,
    head: Seq,
) -> Result<Start, End> {
    let other_epoch = hello.epoch.as_deref().is_some_and(|e| e != hub.epoch());
    let reason = match hello.since {
        None => Some(SnapshotReason::NoSince),
        Some(_) if other_epoch => Some(SnapshotReason::OtherEpoch),
        Some(s) if s > head => Some(SnapshotReason::Ahead),
        Some(s) if head - s > cfg.max_replay => Some(SnapshotReason::TooFarBehind),
        Some(_) => None,
    };
    if let (None, Some(since)) = (reason, hello.since) {
        // The ring only when the client starts within its queue: further
        // behind, `Hub::collect` would call it slow at once, and it would
        // come back with the same `since` forever.
        if hub.in_ring(since) && head - since <= cfg.client_queue {
            let count = hub.count(since, head, hello.topics);
            return Ok(Start::Ring { since, count });
        }
        let counts = blocking(live, move |l| {
            let oldest = l.store().oldest()?;
            if since + 1 < oldest {
                return Ok(None);
            }
            l.store().count_events(since, head).map(Some)
        })
        .await?;
        if let Some(counts) = counts {
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            if total == head - since {
                let count = counts
                    .iter()
                    .filter(|(t, _)| hello.topics.contains(*t))
                    .map(|(_, n)| n)
                    .sum();
                return Ok(Start::Store { since, count });
            }
            tracing::warn!(
                since,
                head,
                got = total,
                "ws: the store's replay has a gap; sending a snapshot"
            );
        }
    }
    let mut snapshot = blocking(live, |l| l.store().snapshot()).await?;
    crate::mask::mask_snapshot(&mut snapshot, &hello.audience, hub.directory());
    let t = hello.topics;
    if !t.contains(Topic::Sensors) {
        snapshot.sensors.clear();
    }
    if !t.contains(Topic::Alerts) {
        snapshot.alerts.clear();
    }
    if !t.contains(Topic::Hazards) {
        snapshot.hazards.clear();
    }
    if !t.contains(Topic::Scenes) {
        snapshot.scenes.clear();
    }
    snapshot.reload = if t.contains(Topic::Cases) {
        vec![Topic::Cases]
    } else {
        vec![]
    };
    Ok(Start::Snapshot {
        reason: reason.unwrap_or(SnapshotReason::TooFarBehind),
        snapshot,
    })
}

/// Whether the ring can take the client on from `cursor`: every frame after
/// it still there, and at most `client_queue` of them.
pub(super) fn ring_serves(hub: &Hub, cfg: &StreamConfig, cursor: Seq) -> bool {
    hub.in_ring(cursor) && hub.head().saturating_sub(cursor) <= cfg.client_queue
}

/// Sends the events after `cursor` from the store, a page at a time, until
/// the ring can serve the client (see [`ring_serves`]); `cursor` ends at the
/// last event sent (or skipped: other topics). The store commits before the
/// hub publishes, so every `seq` up to [`Hub::head`] is in the store; a
/// page that does not continue the cursor (pruned meanwhile) ends the
/// connection with a storage error, and the client comes back with its
/// last `seq` (then to a snapshot, if the log no longer holds it). More
/// than `max_replay + client_queue` events from the store at once is a
/// slow client.
pub(super) async fn catch_up(
    live: &Arc<Live>,
    hub: &Hub,
    cfg: &StreamConfig,
    socket: &mut WebSocket,
    hello: &Hello,
    cursor: &mut Seq,
    sent: &mut u64,
) -> Result<(), End> {
    let start = *cursor;
    let page = REPLAY_PAGE.min(cfg.max_batch.max(1));
    while !ring_serves(hub, cfg, *cursor) {
        let upto = hub.head();
        if upto.saturating_sub(start) > cfg.max_replay.saturating_add(cfg.client_queue) {
            return Err(End::Slow);
        }
        while *cursor < upto {
            let after = *cursor;
            let want = page.min((upto - after) as usize);
            let events = blocking(live, move |l| l.store().events_since(after, want)).await?;
            let mut next = after;
            let mut frames = Vec::with_capacity(events.len());
            for e in events.iter().take_while(|e| e.seq <= upto) {
                if e.seq != next + 1 {
                    return Err(End::Store(StoreError::Backend(format!(
                        "the event log has no event {} (pruned during the replay?)",
                        next + 1
                    ))));
                }
                next = e.seq;
                if hello.topics.contains(e.change.topic()) {
                    let place = hub.directory().place(&e.change);
                    frames.push(Frame::for_audience(e, hub.epoch(), place, &hello.audience));
                }
            }
            drop(events);
            if next == after {
                return Err(End::Store(StoreError::Backend(format!(
                    "the event log ends before {upto} (at {after})"
                ))));
            }
            if !frames.is_empty() {
                send_frames(socket, cfg, &frames, &hello.audience).await?;
                *sent += frames.len() as u64;
                hub.counters
                    .frames_sent
                    .fetch_add(frames.len() as u64, Ordering::Relaxed);
            }
            *cursor = next;
        }
    }
    Ok(())
}
