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

//!
//! Files: this one (the endpoint, a connection's life and how it ends),
//! `watch.rs` (the credential a connection was opened with, until it ends),
//! `socket.rs` (why a connection ended, writing to the socket, closing),
//! `start.rs` (the hello, and how a client catches up: ring, store or
//! snapshot), `pump.rs` (after the start: live frames, heartbeats).

mod pump;
mod socket;
mod start;
mod watch;

pub use socket::CLOSE_REVOKED;
pub use watch::Watch;

use crate::auth::Resolved;
use crate::http::client::ClientAddr;
use crate::hub::{Hub, StreamConfig};
use crate::live::Live;
use crate::store::Actor;
use crate::AppState;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use axum::response::Response;
use pingan_model::access::Audience;
use pingan_model::live::{ResyncReason, ServerMsg};
use socket::{close_with, End, CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_POLICY, CLOSE_TRY_AGAIN};
use start::{blocking, read_hello, Hello};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::time::Instant;

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
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let public = match crate::api::extract::public_audience(query.as_deref()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match ws {
        Ok(ws) => {
            let watch = Watch::of(state.auth(), &who);
            let build = state.build().current_async().await;
            upgrade(
                state.live().clone(),
                ws,
                Reader {
                    actor: who.actor,
                    from,
                    watch,
                    build,
                    public,
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
    /// The app build served when it connected (the welcome's `build`).
    pub build: Option<String>,
    /// Asked for the public audience (`/ws?audience=public`; the hello's
    /// `public: true` does the same).
    pub public: bool,
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

/// Serves one upgraded connection of `reader` to its end.
pub async fn serve(live: Arc<Live>, mut socket: WebSocket, reader: Reader) {
    let hub = live.hub().clone();
    hub.start_pacer();
    let cfg = hub.config();
    let Reader {
        actor,
        from,
        mut watch,
        build,
        public,
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
    let audience = crate::mask::reader_audience(&actor, public || hello.public);
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
    let hello = Hello {
        audience,
        build,
        ..hello
    };
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

async fn stream(
    live: &Arc<Live>,
    hub: &Hub,
    cfg: &StreamConfig,
    socket: &mut WebSocket,
    hello: &Hello,
    watch: Option<&mut Watch>,
    sent: &mut u64,
) -> End {
    let streamed = pump::stream_inner(live, hub, cfg, socket, hello, sent);
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
