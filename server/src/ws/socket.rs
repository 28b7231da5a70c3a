//! Writing to a live connection: why a connection ended ([`End`]), one
//! message or a batch of frames within the write timeout, and a polite
//! close (a last message, the close frame, a short wait for the peer's).

use crate::hub::{Frame, StreamConfig};
use crate::store::StoreError;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use pingan_model::access::Audience;
use pingan_model::live::ServerMsg;
use std::time::Duration;
use tokio::time::timeout;

/// Close codes (RFC 6455).
pub(super) const CLOSE_GOING_AWAY: u16 = 1001;
pub(super) const CLOSE_POLICY: u16 = 1008;
pub(super) const CLOSE_TRY_AGAIN: u16 = 1013;
pub(super) const CLOSE_INTERNAL: u16 = 1011;
/// The credential the connection was opened with ended (private range).
pub const CLOSE_REVOKED: u16 = 4401;

/// Why a connection ended (for the log).
#[derive(Debug, thiserror::Error)]
pub(super) enum End {
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

/// Sends one message and flushes, within the write timeout.
pub(super) async fn send(
    socket: &mut WebSocket,
    cfg: &StreamConfig,
    msg: Message,
) -> Result<(), End> {
    match timeout(cfg.write_timeout, socket.send(msg)).await {
        Err(_) => Err(End::WriteTimeout),
        Ok(r) => r.map_err(End::Socket),
    }
}

/// Writes frames (as `audience` sees them) with one flush, within the
/// write timeout.
pub(super) async fn send_frames(
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
pub(super) async fn close_with(
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

pub(super) fn text(msg: &ServerMsg) -> Message {
    Message::Text(msg.to_json().into())
}
