//! `GET /ws`: the live stream (protocol in `pingan_model::live` and
//! docs/api.md, delivery rules in [`crate::hub`]).
//!
//! One task per connection:
//! 1. wait (at most [`StreamConfig::hello_timeout`]) for `hello`; anything
//!    else is answered with `error` and the connection is closed;
//! 2. note the hub's head `H`, decide replay (ring or store) or snapshot,
//!    send `welcome`, then the snapshot, or the replay from the store a
//!    page at a time while the ring cannot serve the cursor ([`catch_up`]);
//! 3. loop: write every frame after the cursor (one flush per batch, each
//!    write bounded by [`StreamConfig::write_timeout`]); heartbeat + ping
//!    every [`StreamConfig::heartbeat`]; close a peer silent for three
//!    heartbeats; `resync{slow}` and close when the cursor lags; `resync{shutdown}`
//!    when the hub shuts down.
//!
//! A connection's audience comes from its [`Actor`]: it is sent each
//! frame's text for that audience ([`Frame::text_for`]) and a snapshot
//! masked for it; opening a stream that shows personal data is audited
//! (`ws.open_personal`). Every message carries the store's epoch; a hello
//! whose `since` belongs to another epoch gets a snapshot.
//!
//! A connection remembers the session or API key it was opened with
//! ([`Watch`]) and is closed with code 4401, reason `session revoked`, when
//! [`crate::auth::Auth::subscribe_revocations`] announces it (logout, an
//! admin, a disabled user, a revoked key, the CLI) or its session expires.

use crate::api::extract::ClientAddr;
use crate::auth::{Auth, Resolved, Revoked};
use crate::clock::now_ms;
use crate::hub::{Frame, Hub, StreamConfig};
use crate::live::Live;
use crate::store::{Actor, StoreError};
use crate::AppState;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::response::Response;
use futures_util::SinkExt;
use pingan_model::access::Audience;
use pingan_model::live::{
    ClientMsg, ResyncReason, Seq, ServerMsg, Snapshot, SnapshotReason, Topic, TopicSet,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, Instant, MissedTickBehavior};

/// Close codes (RFC 6455).
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TRY_AGAIN: u16 = 1013;
const CLOSE_INTERNAL: u16 = 1011;
/// The credential the connection was opened with ended (private range).
pub const CLOSE_REVOKED: u16 = 4401;

/// Read buffer of a connection (see [`upgrade`]).
const READ_BUFFER: usize = 4 * 1024;

/// Largest client message accepted (a hello is a few dozen bytes).
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;

/// `GET /ws`: upgrades to the stream; plain HTTP gets the API's JSON error.
pub async fn endpoint(
    State(state): State<AppState>,
    permit: Option<axum::Extension<crate::http::limits::WsPermit>>,
    who: Resolved,
    from: ClientAddr,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match ws {
        Ok(ws) => {
            let watch = Watch::of(state.auth(), &who);
            upgrade(
                state.live().clone(),
                ws,
                Reader {
                    actor: who.actor,
                    from,
                    watch,
                },
                permit.map(|p| p.0),
            )
        }
        Err(e) => not_an_upgrade(e),
    }
}

/// Who reads a stream, from where.
#[derive(Debug)]
pub struct Reader {
    pub actor: Actor,
    pub from: ClientAddr,
    /// The credential it was opened with, watched for its end.
    pub watch: Option<Watch>,
}

/// The session or key a connection was opened with: the connection ends
/// when it is announced revoked or the session's time is up.
#[derive(Debug)]
pub struct Watch {
    pub id: Revoked,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub revoked: tokio::sync::broadcast::Receiver<Revoked>,
    pub auth: Arc<Auth>,
}

impl Watch {
    /// The watch of `who`'s credential (subscribed now, so nothing
    /// announced from here on is missed); `None` for the system or anonymous.
    pub fn of(auth: &Arc<Auth>, who: &Resolved) -> Option<Watch> {
        Some(Watch {
            id: who.credential_id()?,
            expires_at: who.expires_at,
            revoked: auth.subscribe_revocations(),
            auth: auth.clone(),
        })
    }

    /// Waits until the credential ends: announced, expired, or (after
    /// missing announcements) no longer live in the store.
    async fn ended(&mut self) {
        use tokio::sync::broadcast::error::RecvError;
        let expiry = async {
            match self.expires_at {
                Some(t) => {
                    let left = (t - crate::clock::now_s()).max(0) as u64;
                    tokio::time::sleep(Duration::from_secs(left)).await
                }
                None => std::future::pending().await,
            }
        };
        let announced = async {
            loop {
                match self.revoked.recv().await {
                    Ok(r) if r == self.id => return,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        let (auth, id) = (self.auth.clone(), self.id);
                        let live = crate::blocking::run(move || auth.still_live(id)).await;
                        if !matches!(live, Ok(true)) {
                            return;
                        }
                    }
                    // The service is gone (shutdown): the hub ends the stream.
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        tokio::select! {
            _ = expiry => {}
            _ = announced => {}
        }
    }
}

/// A plain HTTP request to `/ws` (no upgrade, or HEAD): the API's JSON error.
fn not_an_upgrade(e: WebSocketUpgradeRejection) -> Response {
    crate::error::ApiError::BadField {
        field: "upgrade".into(),
        detail: format!(
            "/ws is the WebSocket stream; open it with a WebSocket client (GET with \
             `Connection: Upgrade`, `Upgrade: websocket`): {e}"
        ),
    }
    .into_response()
}

/// `permit` (the connection's place under the caps, `http::limits`) is held
/// until the connection ends.
fn upgrade(
    live: Arc<Live>,
    ws: WebSocketUpgrade,
    reader: Reader,
    permit: Option<crate::http::limits::WsPermit>,
) -> Response {
    // A small read buffer: tungstenite zero-fills the whole read buffer on
    // every read attempt (128 KiB by default), which at a thousand clients
    // woken hundreds of times a second was a quarter of the server's CPU.
    // Clients only send a hello and pongs.
    ws.read_buffer_size(READ_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            serve(live, socket, reader).await;
            drop(permit);
        })
}

/// Why a connection ended (for the log).
#[derive(Debug, thiserror::Error)]
enum End {
    #[error("peer closed")]
    PeerClosed,
    #[error("socket error: {0}")]
    Socket(#[from] axum::Error),
    #[error("write timed out")]
    WriteTimeout,
    #[error("no hello within {0:?}")]
    HelloTimeout(Duration),
    #[error("bad hello: {0}")]
    BadHello(String),
    #[error("silent for {0:?}")]
    Dead(Duration),
    #[error("too slow")]
    Slow,
    #[error("server shutting down")]
    Shutdown,
    #[error("its session or key ended")]
    Revoked,
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Serves one upgraded connection of `reader` to its end.
pub async fn serve(live: Arc<Live>, mut socket: WebSocket, reader: Reader) {
    let hub = live.hub().clone();
    hub.start_pacer();
    let cfg = hub.config();
    let Reader {
        actor,
        from,
        mut watch,
    } = reader;
    if let Some(w) = &watch {
        // Revoked between the check layer's lookup and the subscription?
        let (auth, id) = (w.auth.clone(), w.id);
        let live_now = crate::blocking::run(move || auth.still_live(id)).await;
        if !matches!(live_now, Ok(true)) {
            close_with(&mut socket, &cfg, None, CLOSE_REVOKED, "session revoked").await;
            return;
        }
    }
    let hello = match read_hello(&mut socket, &cfg).await {
        Ok(h) => h,
        Err(end) => {
            let reply = match &end {
                End::HelloTimeout(d) => Some((
                    "hello_timeout",
                    format!(
                        "send {{\"type\":\"hello\",\"layers\":[...],\"since\":N}} within {} s",
                        d.as_secs_f64()
                    ),
                )),
                End::BadHello(detail) => Some(("bad_hello", detail.clone())),
                _ => None,
            };
            if let Some((error, detail)) = reply {
                let msg = ServerMsg::Error {
                    error: error.into(),
                    detail,
                };
                close_with(&mut socket, &cfg, Some(msg), CLOSE_POLICY, error).await;
            }
            tracing::debug!(reason = %end, "ws: connection ended before hello");
            return;
        }
    };
    let audience = actor.audience();
    if audience != Audience::Public {
        let entry = crate::audit::entry(
            &actor,
            "ws.open_personal",
            "ws",
            &from.to_string(),
            match &audience {
                Audience::Personal { scope: Some(s) } => format!("scope {s}"),
                _ => String::new(),
            },
        );
        if let Err(e) = blocking(&live, move |l| l.store().audit(&entry)).await {
            // No stream of personal data without its audit entry.
            tracing::warn!(error = %e, "ws: cannot audit the opening; closing");
            let msg = ServerMsg::Error {
                error: "storage".into(),
                detail: e.to_string(),
            };
            close_with(
                &mut socket,
                &cfg,
                Some(msg),
                CLOSE_INTERNAL,
                "storage error",
            )
            .await;
            return;
        }
    }
    let hello = Hello { audience, ..hello };
    let c = &hub.counters;
    let clients = c.clients.fetch_add(1, Ordering::Relaxed) + 1;
    c.connects.fetch_add(1, Ordering::Relaxed);
    tracing::info!(
        clients,
        since = ?hello.since,
        layers = ?hello.layers,
        "ws: client connected"
    );
    let started = Instant::now();
    let mut sent = 0u64;
    let end = stream(
        &live,
        &hub,
        &cfg,
        &mut socket,
        &hello,
        watch.as_mut(),
        &mut sent,
    )
    .await;
    let clients = c.clients.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
    c.disconnects.fetch_add(1, Ordering::Relaxed);
    tracing::info!(
        clients,
        frames = sent,
        secs = format_args!("{:.1}", started.elapsed().as_secs_f64()),
        reason = %end,
        "ws: client disconnected"
    );
}

/// What the client asked for.
#[derive(Debug)]
struct Hello {
    topics: TopicSet,
    layers: Vec<Topic>,
    since: Option<Seq>,
    epoch: Option<String>,
    /// The reader's audience (from its actor, not the message).
    audience: Audience,
}

async fn read_hello(socket: &mut WebSocket, cfg: &StreamConfig) -> Result<Hello, End> {
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
            }),
            Err(e) => Err(End::BadHello(format!(
                "expected {{\"type\":\"hello\",\"layers\":[\"cases\",\"sensors\",\"alerts\",\"hazards\"],\"since\":N}}: {e}"
            ))),
        };
    }
}

/// How the client catches up before live events.
enum Start {
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

async fn blocking<T: Send + 'static>(
    live: &Arc<Live>,
    f: impl FnOnce(&Live) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let live = live.clone();
    crate::blocking::run(move || f(&live)).await
}

async fn plan(
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

async fn stream(
    live: &Arc<Live>,
    hub: &Hub,
    cfg: &StreamConfig,
    socket: &mut WebSocket,
    hello: &Hello,
    watch: Option<&mut Watch>,
    sent: &mut u64,
) -> End {
    let streamed = stream_inner(live, hub, cfg, socket, hello, sent);
    let result = match watch {
        Some(w) => tokio::select! {
            r = streamed => r,
            _ = w.ended() => Err(End::Revoked),
        },
        None => streamed.await,
    };
    match result {
        Err(End::Revoked) => {
            close_with(socket, cfg, None, CLOSE_REVOKED, "session revoked").await;
            End::Revoked
        }
        Ok(()) => End::PeerClosed,
        // A client whose socket takes no write for the write timeout is as
        // slow as one whose cursor left the ring: both are told to resync
        // (best effort: a full socket may not take even that) and dropped.
        Err(End::Slow | End::WriteTimeout) => {
            hub.counters.resyncs_slow.fetch_add(1, Ordering::Relaxed);
            let msg = ServerMsg::Resync {
                epoch: hub.epoch().to_string(),
                reason: ResyncReason::Slow,
                head: hub.head(),
            };
            close_with(socket, cfg, Some(msg), CLOSE_TRY_AGAIN, "too slow: resync").await;
            End::Slow
        }
        Err(End::Shutdown) => {
            let msg = ServerMsg::Resync {
                epoch: hub.epoch().to_string(),
                reason: ResyncReason::Shutdown,
                head: hub.head(),
            };
            close_with(
                socket,
                cfg,
                Some(msg),
                CLOSE_GOING_AWAY,
                "server shutting down",
            )
            .await;
            End::Shutdown
        }
        Err(e @ End::Dead(_)) => {
            close_with(socket, cfg, None, CLOSE_POLICY, "no heartbeat reply").await;
            e
        }
        Err(End::Store(e)) => {
            let msg = ServerMsg::Error {
                error: "storage".into(),
                detail: e.to_string(),
            };
            close_with(socket, cfg, Some(msg), CLOSE_INTERNAL, "storage error").await;
            End::Store(e)
        }
        Err(e) => e,
    }
}

/// Sends one message and flushes, within the write timeout.
async fn send(socket: &mut WebSocket, cfg: &StreamConfig, msg: Message) -> Result<(), End> {
    match timeout(cfg.write_timeout, socket.send(msg)).await {
        Err(_) => Err(End::WriteTimeout),
        Ok(r) => r.map_err(End::Socket),
    }
}

/// Writes frames (as `audience` sees them) with one flush, within the
/// write timeout.
async fn send_frames(
    socket: &mut WebSocket,
    cfg: &StreamConfig,
    frames: &[Frame],
    audience: &Audience,
) -> Result<(), End> {
    let write = async {
        for f in frames {
            socket
                .feed(Message::Text(f.text_for(audience).clone()))
                .await?;
        }
        socket.flush().await
    };
    match timeout(cfg.write_timeout, write).await {
        Err(_) => Err(End::WriteTimeout),
        Ok(r) => r.map_err(End::Socket),
    }
}

/// Best effort: a last message, a close frame, and (unless the peer is
/// known dead) a short wait for the peer's close, draining what it sent so
/// that closing does not reset the connection before it read our message.
async fn close_with(
    socket: &mut WebSocket,
    cfg: &StreamConfig,
    msg: Option<ServerMsg>,
    code: u16,
    reason: &'static str,
) {
    let linger = code != CLOSE_POLICY || msg.is_some();
    let short = cfg.write_timeout.min(Duration::from_secs(2));
    let _ = timeout(short, async {
        if let Some(m) = msg {
            socket.feed(Message::Text(m.to_json().into())).await?;
        }
        socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            })))
            .await
    })
    .await;
    if !linger {
        return;
    }
    let _ = timeout(short, async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Whether the ring can take the client on from `cursor`: every frame after
/// it still there, and at most `client_queue` of them.
fn ring_serves(hub: &Hub, cfg: &StreamConfig, cursor: Seq) -> bool {
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
async fn catch_up(
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

fn text(msg: &ServerMsg) -> Message {
    Message::Text(msg.to_json().into())
}

async fn stream_inner(
    live: &Arc<Live>,
    hub: &Hub,
    cfg: &StreamConfig,
    socket: &mut WebSocket,
    hello: &Hello,
    sent: &mut u64,
) -> Result<(), End> {
    let mut wake = hub.watch();
    let mut shutdown = hub.shutdown_signal();
    // Subscribe (the watch above) before reading the head: nothing published
    // from here on can be missed, since the cursor reads the ring.
    let head = hub.head();
    let start = plan(live, hub, cfg, hello, head).await?;
    let c = &hub.counters;
    let (replay, mut cursor) = match &start {
        Start::Ring { since, count } | Start::Store { since, count } => (*count, *since),
        Start::Snapshot { snapshot, .. } => (0, snapshot.seq),
    };
    let welcome = ServerMsg::Welcome {
        epoch: hub.epoch().to_string(),
        head,
        replay,
        heartbeat_ms: cfg.heartbeat.as_millis() as u64,
        server_time_ms: now_ms(),
    };
    send(socket, cfg, text(&welcome)).await?;
    match start {
        Start::Ring { .. } | Start::Store { .. } => {
            c.replays.fetch_add(1, Ordering::Relaxed);
        }
        Start::Snapshot { reason, snapshot } => {
            c.snapshots.fetch_add(1, Ordering::Relaxed);
            send(socket, cfg, text(&ServerMsg::Snapshot { reason, snapshot })).await?;
        }
    }
    // Catch up from the store while the ring cannot serve the cursor (a
    // store replay; or events published meanwhile pushed the client past
    // its queue): page by page up to the hub's head, each page written
    // before the next is read.
    catch_up(live, hub, cfg, socket, hello, &mut cursor, sent).await?;

    let beat = cfg.heartbeat.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(Instant::now() + beat, beat);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let dead_after = beat * StreamConfig::DEAD_AFTER_BEATS;
    let mut batch: Vec<Frame> = Vec::with_capacity(cfg.max_batch.max(1));
    loop {
        // Write everything after the cursor.
        loop {
            if *shutdown.borrow() {
                return Err(End::Shutdown);
            }
            wake.borrow_and_update();
            batch.clear();
            let before = cursor;
            cursor = hub
                .collect(cursor, hello.topics, cfg.max_batch, &mut batch)
                .map_err(|_| End::Slow)?;
            if !batch.is_empty() {
                send_frames(socket, cfg, &batch, &hello.audience).await?;
                *sent += batch.len() as u64;
                c.frames_sent
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            if cursor == before {
                break;
            }
        }
        tokio::select! {
            changed = wake.changed() => {
                if changed.is_err() {
                    return Err(End::Shutdown);
                }
            }
            _ = shutdown.changed() => return Err(End::Shutdown),
            msg = socket.recv() => match msg {
                None | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Err(e)) => return Err(End::Socket(e)),
                Some(Ok(m)) => {
                    last_heard = Instant::now();
                    if let Message::Text(t) = m {
                        tracing::debug!(len = t.len(), "ws: ignoring a client message after the hello");
                    }
                }
            },
            _ = ticker.tick() => {
                let silent = last_heard.elapsed();
                if silent > dead_after {
                    return Err(End::Dead(silent));
                }
                let beat = ServerMsg::Heartbeat {
                    epoch: hub.epoch().to_string(),
                    head: hub.head(),
                    server_time_ms: now_ms(),
                };
                let write = async {
                    socket.feed(text(&beat)).await?;
                    socket.feed(Message::Ping(axum::body::Bytes::from_static(b"hb"))).await?;
                    socket.flush().await
                };
                match timeout(cfg.write_timeout, write).await {
                    Err(_) => return Err(End::WriteTimeout),
                    Ok(r) => r?,
                }
            }
        }
    }
}
