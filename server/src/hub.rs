//! The broadcast hub: every event is serialised **once per audience class**
//! and shared by every WebSocket client.
//!
//! ## Audiences
//!
//! A [`Frame`] holds the event's JSON as those who may see its personal data
//! receive it (`text`) and, when it carries any (a reporter, who acted), a
//! masked twin (`masked`, `pingan_model::privacy`), with the subdistrict it
//! belongs to (`place`). A client picks one by its audience
//! ([`Frame::text_for`]): two serialisations per personal event whatever
//! the number of clients and scopes, one for readings. Every frame carries
//! the store's `epoch`.
//!
//! ## Design
//!
//! The hub holds one shared **ring** of the most recent frames (by default
//! 8,192, and at most 64 MiB of JSON): a [`Frame`] is an event's sequence
//! number, its [`Topic`] and the JSON text of `ServerMsg::Event` as a
//! reference-counted [`Utf8Bytes`], so handing a frame to a thousand clients
//! copies no bytes until each socket's write buffer.
//!
//! A client's **queue** is not a channel of its own but a *cursor* into that
//! ring: the last sequence number it has been sent. This is the per-receiver
//! lag semantics of `tokio::sync::broadcast`, with the ring also serving
//! replays (`since` within reach) so that reconnecting clients do not touch
//! the store. We chose it over one bounded `mpsc` per client because
//!
//! - publishing is O(1) per event whatever the number of clients (an
//!   `mpsc` per client costs a `try_send` per client per event, under the
//!   write lock), plus one [`watch`] notification that wakes the idle ones;
//! - memory is bounded by the ring, not by clients × queue length;
//! - replay and live delivery are the same code path (read the ring after the
//!   cursor), which is what makes "no gap, no duplicate" easy to get right;
//! - a busy client naturally batches: when it wakes it takes every frame
//!   after its cursor (up to [`StreamConfig::max_batch`]) and writes them with
//!   one flush.
//!
//! The bound: a client more than [`StreamConfig::client_queue`] frames behind
//! the head (or whose next frame has already left the ring) is **slow**: it
//! is sent [`ResyncReason::Slow`] and dropped (see `crate::ws`). Nothing a
//! client does can make [`Hub::publish`] wait: the publisher takes the ring's
//! write lock, which readers hold only to clone a few `Arc`s, never across
//! I/O.
//!
//! ## Ordering and the no-gap/no-duplicate rule
//!
//! [`crate::live::Live`] calls [`Hub::publish`] while holding its write lock,
//! right after the store committed, so frames enter the ring in sequence
//! order. A subscriber decides where its cursor starts:
//!
//! - replay from the ring: cursor = `since`, when the ring still holds every
//!   frame after it and `H − since` ≤ [`StreamConfig::client_queue`] (`H` =
//!   [`Hub::head`] read after subscribing);
//! - replay from the store: cursor = `since`, and `crate::ws` sends the
//!   events after the cursor from the store, a page at a time, until the
//!   ring can serve it (every `seq` up to the head is committed before it
//!   is published, so the store holds them);
//! - snapshot: cursor = the snapshot's own `seq`. The store commits before
//!   the hub publishes, so that `seq` is at or after the head the client saw
//!   when it subscribed; frames at or below it are skipped, later ones follow.
//!
//! From then on it only ever receives frames with `seq > cursor`, in order.

use crate::mask::Directory;
use axum::extract::ws::Utf8Bytes;
use pingan_model::access::Audience;
use pingan_model::live::{Event, Seq, Topic, TopicSet};
use pingan_model::privacy::{is_personal, mask_change};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// Tunables of the stream. [`StreamConfig::default`] is what the server runs
/// with; tests shrink the timings through [`Hub::configure`].
#[derive(Clone, Debug, PartialEq)]
pub struct StreamConfig {
    /// Most frames the ring keeps (replays within this reach never touch the store).
    pub ring_frames: usize,
    /// Most bytes of JSON the ring keeps (large batches of readings).
    pub ring_bytes: usize,
    /// How far (in frames) a client may fall behind the head before it is resynced.
    pub client_queue: u64,
    /// Most missed events replayed on reconnect; beyond that, a snapshot.
    pub max_replay: u64,
    /// Most frames written per flush.
    pub max_batch: usize,
    /// Interval of `heartbeat` messages and WebSocket pings; a peer silent
    /// for [`StreamConfig::DEAD_AFTER_BEATS`] of them is closed.
    pub heartbeat: Duration,
    /// Time allowed for the client's hello.
    pub hello_timeout: Duration,
    /// Time allowed for one write (a batch of frames, a snapshot) to complete.
    pub write_timeout: Duration,
    /// Clients are woken at most once per this interval (0: on every
    /// publish). An event published after a quiet spell wakes them at once;
    /// under load, the events of one interval go out in one write per
    /// client, which is what keeps a thousand clients at hundreds of events
    /// per second within two cores (one syscall per client per interval, not
    /// per event).
    pub coalesce: Duration,
}

impl StreamConfig {
    /// Heartbeats without a word from the peer (pong or message) before it is
    /// considered dead.
    pub const DEAD_AFTER_BEATS: u32 = 3;
}

impl Default for StreamConfig {
    fn default() -> StreamConfig {
        StreamConfig {
            ring_frames: 8192,
            ring_bytes: 64 << 20,
            client_queue: 1024,
            max_replay: 10_000,
            max_batch: 256,
            heartbeat: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            coalesce: Duration::from_millis(10),
        }
    }
}

/// One event as sent: the JSON text of `ServerMsg::Event` plus the store's
/// `epoch`, serialised once per audience class (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub seq: Seq,
    pub topic: Topic,
    /// As seen by those who may see its personal data.
    pub text: Utf8Bytes,
    /// As seen by everyone else; `None` when the event carries no personal data.
    pub masked: Option<Utf8Bytes>,
    /// The subdistrict the event belongs to, when known.
    pub place: Option<Arc<str>>,
}

/// `{"type":"event","epoch":…,` then the event's own fields.
fn event_text(event: &Event, epoch: &str) -> Utf8Bytes {
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        epoch: &'a str,
        #[serde(flatten)]
        event: &'a Event,
    }
    let out = Out {
        kind: "event",
        epoch,
        event,
    };
    // Serialising an event cannot fail (no non-string map keys, no fallible
    // impls); an error frame keeps the stream's shape anyway.
    Utf8Bytes::from(
        serde_json::to_string(&out).unwrap_or_else(|e| {
            format!(r#"{{"type":"error","error":"serialize","detail":"{e}"}}"#)
        }),
    )
}

impl Frame {
    /// Serialises an event for every audience: in full, and masked when it
    /// carries personal data.
    pub fn of(event: &Event, epoch: &str, place: Option<Arc<str>>) -> Frame {
        let masked = is_personal(&event.change).then(|| {
            let mut m = event.clone();
            mask_change(&mut m.change);
            event_text(&m, epoch)
        });
        Frame {
            seq: event.seq,
            topic: event.change.topic(),
            text: event_text(event, epoch),
            masked,
            place,
        }
    }

    /// Serialises an event for one audience only (replays from the store).
    pub fn for_audience(
        event: &Event,
        epoch: &str,
        place: Option<Arc<str>>,
        audience: &Audience,
    ) -> Frame {
        let text = if is_personal(&event.change) && !audience.sees_personal(place.as_deref()) {
            let mut m = event.clone();
            mask_change(&mut m.change);
            event_text(&m, epoch)
        } else {
            event_text(event, epoch)
        };
        Frame {
            seq: event.seq,
            topic: event.change.topic(),
            text,
            masked: None,
            place,
        }
    }

    /// The text `audience` receives.
    pub fn text_for(&self, audience: &Audience) -> &Utf8Bytes {
        match &self.masked {
            Some(m) if !audience.sees_personal(self.place.as_deref()) => m,
            _ => &self.text,
        }
    }

    /// Bytes this frame keeps in the ring.
    fn len(&self) -> usize {
        self.text.len() + self.masked.as_ref().map_or(0, |m| m.len())
    }
}

/// A client's cursor fell out of reach: frames it still needed have left the
/// ring, or it is more than [`StreamConfig::client_queue`] behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("client at seq {at} is too far behind head {head}")]
pub struct Lagged {
    pub at: Seq,
    pub head: Seq,
}

#[derive(Debug)]
struct Ring {
    frames: VecDeque<Frame>,
    bytes: usize,
    /// Highest sequence number no longer in the ring (the head at start).
    evicted: Seq,
}

/// Counters of the stream (for `/api/health` and the benchmark).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HubStats {
    pub head: Seq,
    /// Clients connected now (past the hello).
    pub clients: u64,
    pub connects: u64,
    pub disconnects: u64,
    /// Clients resynced because they were too slow.
    pub resyncs_slow: u64,
    pub snapshots: u64,
    pub replays: u64,
    /// Event frames written to sockets (replayed and live).
    pub frames_sent: u64,
    /// Frames currently in the ring, and the oldest of them.
    pub ring_frames: u64,
    pub ring_oldest: Seq,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub clients: AtomicU64,
    pub connects: AtomicU64,
    pub disconnects: AtomicU64,
    pub resyncs_slow: AtomicU64,
    pub snapshots: AtomicU64,
    pub replays: AtomicU64,
    pub frames_sent: AtomicU64,
}

/// The hub. See the module documentation.
#[derive(Debug)]
pub struct Hub {
    ring: RwLock<Ring>,
    head: AtomicU64,
    /// The head, for waking clients; every publish sends.
    notify: watch::Sender<Seq>,
    /// When clients were last woken (ms since `epoch`), and whether a
    /// publish since then still has to wake them (the pacer does).
    woken_ms: AtomicU64,
    pending: AtomicBool,
    pacer: std::sync::Once,
    epoch: std::time::Instant,
    shutdown: watch::Sender<bool>,
    config: RwLock<StreamConfig>,
    /// The store's identity, in every frame.
    store_epoch: String,
    /// Where sites lie (a frame's `place`).
    directory: Arc<Directory>,
    pub(crate) counters: Counters,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(0)
    }
}

impl Hub {
    /// A hub whose log already holds events up to `head` (none of them in
    /// the ring), of no store in particular (empty epoch, no sites).
    pub fn new(head: Seq) -> Hub {
        Hub::for_store(head, String::new(), Arc::default())
    }

    /// The hub of the store with `epoch`, placing events with `directory`.
    pub fn for_store(head: Seq, epoch: String, directory: Arc<Directory>) -> Hub {
        Hub {
            ring: RwLock::new(Ring {
                frames: VecDeque::new(),
                bytes: 0,
                evicted: head,
            }),
            head: AtomicU64::new(head),
            notify: watch::Sender::new(head),
            woken_ms: AtomicU64::new(0),
            pending: AtomicBool::new(false),
            pacer: std::sync::Once::new(),
            epoch: std::time::Instant::now(),
            shutdown: watch::Sender::new(false),
            config: RwLock::new(StreamConfig::default()),
            store_epoch: epoch,
            directory,
            counters: Counters::default(),
        }
    }

    /// The store's identity.
    pub fn epoch(&self) -> &str {
        &self.store_epoch
    }

    /// Where sites lie.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// Replaces the tunables; connections opened afterwards use them (the
    /// ring's limits apply from the next publish).
    pub fn configure(&self, config: StreamConfig) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
    }

    pub fn config(&self) -> StreamConfig {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Publishes committed events. Callers hold the write lock, so events
    /// arrive here in sequence order. Serialises each event once; never waits
    /// for a client.
    pub fn publish(&self, events: &[Event]) {
        let Some(last) = events.last() else { return };
        let frames: Vec<Frame> = events
            .iter()
            .map(|e| Frame::of(e, &self.store_epoch, self.directory.place(&e.change)))
            .collect();
        let (max_frames, max_bytes, coalesce) = {
            let c = self.config.read().unwrap_or_else(|p| p.into_inner());
            (c.ring_frames.max(1), c.ring_bytes, c.coalesce)
        };
        {
            let mut ring = self.ring.write().unwrap_or_else(|p| p.into_inner());
            for f in frames {
                if let Some(prev) = ring.frames.back() {
                    if f.seq <= prev.seq {
                        tracing::error!(
                            seq = f.seq,
                            prev = prev.seq,
                            "event published out of order; dropped"
                        );
                        continue;
                    }
                }
                ring.bytes += f.len();
                ring.frames.push_back(f);
            }
            while ring.frames.len() > max_frames
                || (ring.bytes > max_bytes && ring.frames.len() > 1)
            {
                match ring.frames.pop_front() {
                    Some(old) => {
                        ring.bytes -= old.len();
                        ring.evicted = old.seq;
                    }
                    None => break,
                }
            }
            self.head.store(last.seq, Ordering::SeqCst);
        }
        // Wake the clients now, unless they were woken less than `coalesce`
        // ago and the pacer is running: then it wakes them at the end of
        // the interval.
        let now = self.epoch.elapsed().as_millis() as u64;
        let since = now.saturating_sub(self.woken_ms.load(Ordering::Relaxed));
        if coalesce.is_zero() || !self.pacer.is_completed() || since >= coalesce.as_millis() as u64
        {
            self.wake(now);
        } else {
            self.pending.store(true, Ordering::Release);
        }
    }

    fn wake(&self, now_ms: u64) {
        self.pending.store(false, Ordering::Release);
        self.woken_ms.store(now_ms, Ordering::Relaxed);
        self.notify.send_replace(self.head());
    }

    /// Starts (once) the task that wakes clients for events published
    /// within a coalescing interval. Called by the first connection; until
    /// then every publish wakes at once.
    pub fn start_pacer(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let every = self.config().coalesce.max(Duration::from_millis(1));
        self.pacer.call_once(|| {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let Some(hub) = weak.upgrade() else { break };
                    if hub.pending.load(Ordering::Acquire) {
                        hub.wake(hub.epoch.elapsed().as_millis() as u64);
                    }
                }
            });
        });
    }

    /// The newest published sequence number.
    pub fn head(&self) -> Seq {
        self.head.load(Ordering::SeqCst)
    }

    /// Whether the frames after `since` are all still in the ring.
    pub fn in_ring(&self, since: Seq) -> bool {
        since >= self.ring.read().unwrap_or_else(|p| p.into_inner()).evicted
    }

    /// How many frames of `topics` with `since < seq ≤ upto` the ring holds.
    pub fn count(&self, since: Seq, upto: Seq, topics: TopicSet) -> u64 {
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        let from = ring.frames.partition_point(|f| f.seq <= since);
        ring.frames
            .range(from..)
            .take_while(|f| f.seq <= upto)
            .filter(|f| topics.contains(f.topic))
            .count() as u64
    }

    /// Appends to `out` the frames of `topics` after `after` (at most
    /// `max` frames looked at) and returns the new cursor: the last frame
    /// looked at, whether or not it matched the topics.
    pub fn collect(
        &self,
        after: Seq,
        topics: TopicSet,
        max: usize,
        out: &mut Vec<Frame>,
    ) -> Result<Seq, Lagged> {
        let queue = self
            .config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .client_queue;
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        let head = self.head.load(Ordering::SeqCst);
        if after < ring.evicted || head.saturating_sub(after) > queue {
            return Err(Lagged { at: after, head });
        }
        let from = ring.frames.partition_point(|f| f.seq <= after);
        let mut cursor = after;
        for f in ring.frames.range(from..).take(max.max(1)) {
            cursor = f.seq;
            if topics.contains(f.topic) {
                out.push(f.clone());
            }
        }
        Ok(cursor)
    }

    /// A receiver that changes on every publish (its value is the head).
    pub fn watch(&self) -> watch::Receiver<Seq> {
        self.notify.subscribe()
    }

    /// A receiver that becomes `true` when the server shuts down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every client `resync{reason: shutdown}` and waits (at most
    /// `grace`) until they are gone. Call it when the server begins its
    /// graceful shutdown.
    pub async fn shutdown(&self, grace: Duration) {
        self.shutdown.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        while self.counters.clients.load(Ordering::Relaxed) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub fn stats(&self) -> HubStats {
        let c = &self.counters;
        let (ring_frames, ring_oldest) = {
            let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
            (
                ring.frames.len() as u64,
                ring.frames.front().map_or(0, |f| f.seq),
            )
        };
        HubStats {
            head: self.head(),
            clients: c.clients.load(Ordering::Relaxed),
            connects: c.connects.load(Ordering::Relaxed),
            disconnects: c.disconnects.load(Ordering::Relaxed),
            resyncs_slow: c.resyncs_slow.load(Ordering::Relaxed),
            snapshots: c.snapshots.load(Ordering::Relaxed),
            replays: c.replays.load(Ordering::Relaxed),
            frames_sent: c.frames_sent.load(Ordering::Relaxed),
            ring_frames,
            ring_oldest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::domain::HazardStatus;
    use pingan_model::live::{Change, HazardState, SensorState};

    fn hazard(seq: Seq) -> Event {
        Event {
            seq,
            at_ms: 1_700_000_000_000 + seq as i64,
            change: Change::HazardStatus {
                hazard: HazardState {
                    id: format!("YH{seq:06}"),
                    status: HazardStatus::Rectifying,
                    at: 1_700_000_000,
                    by: "test".into(),
                    note: "整改中 \"quoted\"".into(),
                    photo: None,
                },
            },
        }
    }

    fn readings(seq: Seq) -> Event {
        Event {
            seq,
            at_ms: 0,
            change: Change::Readings {
                sensors: vec![SensorState {
                    id: "S1".into(),
                    sensor_type: pingan_model::domain::SensorType::Gas,
                    value: 1.5,
                    at: 1,
                    level: pingan_model::live::Level::Normal,
                }],
            },
        }
    }

    #[test]
    fn frame_is_the_server_msg_json_with_the_epoch() {
        use pingan_model::live::ServerMsg;
        for ev in [hazard(7), readings(8)] {
            let f = Frame::of(&ev, "e1", None);
            let full = ServerMsg::Event(ev.clone()).to_json();
            let spliced =
                full.replacen(r#"{"type":"event","#, r#"{"type":"event","epoch":"e1","#, 1);
            assert_eq!(f.text.as_str(), spliced);
            let back: ServerMsg = serde_json::from_str(f.text.as_str()).unwrap();
            assert_eq!(back, ServerMsg::Event(ev));
        }
    }

    #[test]
    fn personal_frames_have_a_masked_twin_picked_by_audience() {
        let ev = hazard(7);
        let f = Frame::of(&ev, "e1", Some(Arc::from("西乡街道")));
        let masked = f.masked.clone().expect("a hazard change names who made it");
        assert!(f.text.as_str().contains(r#""by":"test""#));
        assert!(
            masked.as_str().contains(r#""by":"t***""#),
            "{}",
            masked.as_str()
        );
        let scoped = |s: &str| Audience::Personal {
            scope: Some(s.into()),
        };
        assert_eq!(f.text_for(&Audience::Public), &masked);
        assert_eq!(f.text_for(&scoped("福海街道")), &masked);
        assert_eq!(f.text_for(&scoped("西乡街道")), &f.text);
        assert_eq!(f.text_for(&Audience::Personal { scope: None }), &f.text);
        let one = Frame::for_audience(&ev, "e1", f.place.clone(), &Audience::Public);
        assert_eq!(one.text, masked);
        assert_eq!(Frame::of(&readings(8), "e1", None).masked, None);
    }

    #[test]
    fn collect_after_cursor_filters_topics_and_batches() {
        let hub = Hub::new(10);
        hub.publish(&[hazard(11), readings(12), hazard(13)]);
        hub.publish(&[readings(14)]);
        assert_eq!(hub.head(), 14);
        let mut out = vec![];
        let c = hub.collect(10, TopicSet::all(), 100, &mut out).unwrap();
        assert_eq!(
            (c, out.iter().map(|f| f.seq).collect::<Vec<_>>()),
            (14, vec![11, 12, 13, 14])
        );
        out.clear();
        let c = hub
            .collect(11, TopicSet::of(&[Topic::Hazards]), 100, &mut out)
            .unwrap();
        assert_eq!(
            (c, out.iter().map(|f| f.seq).collect::<Vec<_>>()),
            (14, vec![13])
        );
        out.clear();
        let c = hub.collect(10, TopicSet::all(), 2, &mut out).unwrap();
        assert_eq!((c, out.len()), (12, 2));
        out.clear();
        assert_eq!(hub.collect(14, TopicSet::all(), 10, &mut out), Ok(14));
        assert!(out.is_empty());
        assert_eq!(hub.count(10, 13, TopicSet::of(&[Topic::Sensors])), 1);
        // Before the hub's first event: not in the ring.
        assert!(hub.collect(9, TopicSet::all(), 10, &mut out).is_err());
        assert!(!hub.in_ring(9));
        assert!(hub.in_ring(10));
    }

    #[test]
    fn ring_evicts_and_slow_cursors_lag() {
        let hub = Hub::new(0);
        hub.configure(StreamConfig {
            ring_frames: 4,
            client_queue: 3,
            ..StreamConfig::default()
        });
        for s in 1..=6 {
            hub.publish(&[hazard(s)]);
        }
        let st = hub.stats();
        assert_eq!((st.ring_frames, st.ring_oldest, st.head), (4, 3, 6));
        let mut out = vec![];
        assert_eq!(
            hub.collect(1, TopicSet::all(), 10, &mut out),
            Err(Lagged { at: 1, head: 6 })
        );
        // In the ring but more than client_queue behind.
        assert!(hub.collect(2, TopicSet::all(), 10, &mut out).is_err());
        assert_eq!(hub.collect(3, TopicSet::all(), 10, &mut out), Ok(6));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn ring_is_bounded_in_bytes() {
        let hub = Hub::new(0);
        let one = Frame::of(&hazard(1), "", None).len();
        hub.configure(StreamConfig {
            ring_bytes: one * 2 + 1,
            ..StreamConfig::default()
        });
        for s in 1..=5 {
            hub.publish(&[hazard(s)]);
        }
        assert_eq!(hub.stats().ring_frames, 2);
    }

    #[tokio::test]
    async fn publish_wakes_watchers_and_out_of_order_is_dropped() {
        let hub = Hub::new(0);
        let mut rx = hub.watch();
        rx.borrow_and_update();
        hub.publish(&[hazard(1)]);
        tokio::time::timeout(Duration::from_secs(1), rx.changed())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*rx.borrow(), 1);
        hub.publish(&[hazard(1)]);
        assert_eq!(hub.stats().ring_frames, 1);
    }
}
