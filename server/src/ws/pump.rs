//! A live connection after its start: the welcome, the snapshot or replay
//! the plan chose, then every frame after the cursor as the hub publishes
//! (one flush per batch), heartbeats with a ping, a silent peer dropped,
//! and the end on shutdown.

use super::socket::{send, send_frames, text, End};
use super::start::{catch_up, plan, Hello, Start};
use crate::clock::now_ms;
use crate::hub::{Frame, Hub, StreamConfig};
use crate::live::Live;
use axum::extract::ws::{Message, WebSocket};
use futures_util::SinkExt;
use pingan_model::live::ServerMsg;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, Instant, MissedTickBehavior};

pub(super) async fn stream_inner(
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
    let now = now_ms();
    let welcome = ServerMsg::Welcome {
        epoch: hub.epoch().to_string(),
        head,
        replay,
        heartbeat_ms: cfg.heartbeat.as_millis() as u64,
        server_time_ms: now,
        now_ms: now,
        build: hello.build.clone(),
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
                let now = now_ms();
                let beat = ServerMsg::Heartbeat {
                    epoch: hub.epoch().to_string(),
                    head: hub.head(),
                    server_time_ms: now,
                    now_ms: now,
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
