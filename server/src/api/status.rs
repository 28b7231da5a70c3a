//! The server's own endpoints: `GET /api/health` (liveness, layers usable,
//! store counts, the stream, the app's build hash), `GET /api/clock` (the
//! server's clock, for the walls' shared time) and `GET /api/layers` (the
//! layer manifest).

use crate::error::ApiError;
use crate::store::Counts;
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub layers_ok: usize,
    pub layers_failed: usize,
    /// Rows in the live store and the newest sequence number.
    pub store: Counts,
    /// The newest sequence number of the event log (= `store.head`).
    pub head: u64,
    /// The WebSocket stream: clients connected, resyncs, frames sent, ring.
    pub stream: crate::hub::HubStats,
    /// The app build served: 16 hex digits of the SHA-256 of
    /// `dist/index.html` (`crate::build`), `null` without a build.
    pub build: Option<String>,
}

/// `GET /api/clock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// The server's clock, Unix milliseconds.
    pub now_ms: i64,
}

/// `GET /api/clock`: the server's clock (public, like health: a wall
/// synchronises before and while it signs in). Read as late as possible,
/// never cached.
pub async fn clock() -> Response {
    let body = Clock {
        now_ms: crate::clock::now_ms(),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

pub async fn health(State(state): State<AppState>) -> Result<Response, ApiError> {
    let manifest = state.manifest().await?;
    let failed = manifest.layers.iter().filter(|l| l.error.is_some()).count();
    let live = state.live().clone();
    let store = crate::blocking::run(move || live.store().counts()).await?;
    let body = Health {
        status: "ok".into(),
        layers_ok: manifest.layers.len() - failed,
        layers_failed: failed,
        head: store.head,
        store,
        stream: state.live().hub().stats(),
        build: state.build().current_async().await,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

pub async fn layers(State(state): State<AppState>) -> Result<Response, ApiError> {
    let manifest = state.manifest().await?;
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(manifest)).into_response())
}
