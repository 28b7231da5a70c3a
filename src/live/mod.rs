//! The live client: one WebSocket to `/ws`, reconnecting with backoff and
//! resuming from the last sequence number; events queued on arrival and
//! applied in place, in a batch, at the start of the next animation frame.
//!
//! Bookkeeping (which event to apply, skip or hold; which layer to fetch
//! again; reconnect delays) is the pure [`crate::sync`]; this module is the
//! I/O around it and the in-place application to the layers' data:
//! `socket` (connect, reconnect, watchdog, messages), `casefile` (the case
//! file: first load, reloads), `apply` (a batch applied to the layers),
//! `list` (the ticker and the case list). [`start`] once the layers have
//! settled; [`stop`] at unmount closes the socket and releases every timer
//! and listener. A revoked session (close 4401, or a refused upgrade with
//! `GET /api/session` answering 401) brings the sign-in back; [`resume`]
//! reconnects at once after signing in again.

mod apply;
mod casefile;
mod list;
mod socket;

pub use apply::{apply_pending, pulse_at, pulses, PULSE_MS};
pub use casefile::{cases_loaded, fetch_cases};
pub use list::rebuild_rows;

use crate::auth;
use crate::state::{AppState, Conn};
use crate::sync::{Backoff, SeqState};
use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use leptos::prelude::*;
use pingan_model::live::{Event, ServerMsg, Snapshot, Topic};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Why a live request failed (logged; the indicator shows offline).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    #[error("{what}: {reason}")]
    Network { what: &'static str, reason: String },
    #[error("{what}: HTTP {status}")]
    Http { what: &'static str, status: u16 },
    #[error("{what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("the live API went away")]
    Gone,
    #[error("case file: {0}")]
    Parse(String),
}

enum Item {
    Msg(ServerMsg),
    /// The small layers' state from `GET /api/live`, before the stream.
    Initial(Snapshot),
    /// An event released by a completed reload: apply without a verdict.
    Apply(Event),
}

/// The client's bookkeeping between callbacks. Holds no app state: every
/// callback that needs it captured it (and is dropped with this).
#[derive(Default)]
struct Core {
    /// Between `start` and `stop`.
    started: bool,
    socket: Option<socket::Socket>,
    /// Generation of the current socket; callbacks of older ones are ignored.
    gen: u64,
    seq: SeqState,
    backoff: Backoff,
    queue: VecDeque<Item>,
    last_msg_ms: f64,
    opened_ms: f64,
    heartbeat_ms: f64,
    /// The pending reconnect.
    retry: Option<Timeout>,
    /// The watchdog: one timer at the next moment something could be
    /// overdue (not a 1 s interval: a phone at rest fires no timer between
    /// heartbeats' deadlines).
    watchdog: Option<Timeout>,
    /// The case-file refresh, and the `online` /
    /// `visibilitychange` wake-ups: released at `stop`.
    timers: Vec<Interval>,
    listeners: Vec<EventListener>,
    /// No reconnect before this `Date.now()` (the test hook's drop).
    hold_until: f64,
    applied: u64,
    reconnects: u64,
    connects: u64,
    pulses: Vec<apply::Pulse>,
    apply_ms: VecDeque<f64>,
    /// Whether the case file came from the live API (set by its first load).
    api: Option<bool>,
    /// Retries of a failed case-file reload.
    reload_backoff: Backoff,
    /// Each hazard's style state as in its file (a store reset goes back to it).
    hazard_file: Vec<u8>,
    /// Completed case-file reloads (snapshot or periodic).
    reloads: u64,
    /// Who is told of applied events, snapshots and the server's clock
    /// (the wall); dropped at `stop`.
    observers: Vec<Observer>,
    /// A wall (`?mode=wall`, [`for_wall`]): scenes in the hello (its reads
    /// ask for the public audience: `web::fetch::read_as_public`).
    wall: bool,
}

/// This page is a wall: set before the layers load (the wall's mount).
pub fn for_wall() {
    CORE.with(|c| c.borrow_mut().wall = true);
    crate::web::fetch::read_as_public();
}

/// One of [`observe`]'s callbacks.
type Observer = Rc<dyn Fn(&Note)>;

/// What the live client tells its observers ([`observe`]).
pub enum Note<'a> {
    /// An event applied to the layers (after the stream bookkeeping: never
    /// a duplicate, in seq order).
    Event(&'a Event),
    /// A snapshot applied (`stream`: from the stream, with the scenes its
    /// hello asked for; else `api/live`'s, without): what came before may
    /// have been skipped.
    Snapshot {
        snapshot: &'a Snapshot,
        stream: bool,
    },
    /// A frame carrying the server's clock (welcome, heartbeat), received at
    /// `received` (`performance.now()`, ms); a welcome also tells the app's
    /// build the server serves (`Some(None)`: it has none).
    Clock {
        server_ms: i64,
        received: f64,
        build: Option<Option<&'a str>>,
    },
}

/// Registers `f` to be told of every [`Note`] until the client stops
/// ([`stop`], at the app's unmount, drops every observer with the core).
/// There is no removing one alone: every caller (the wall's parts) is
/// mounted and unmounted with the app, so they all go together; a part
/// that could unmount on its own would need a handle here first.
pub fn observe(f: impl Fn(&Note) + 'static) {
    CORE.with(|c| c.borrow_mut().observers.push(Rc::new(f)));
}

/// Tells the observers (outside the core's borrow: they may call in).
fn notify(note: &Note) {
    let observers = CORE.with(|c| c.borrow().observers.clone());
    for o in observers {
        o(note);
    }
}

/// `Date.now()` of the last message from the server (heartbeats included),
/// if a connection was ever opened.
pub fn last_message_ms() -> Option<f64> {
    CORE.with(|c| {
        let c = c.borrow();
        (c.connects > 0).then_some(c.last_msg_ms)
    })
}

thread_local! {
    static CORE: RefCell<Core> = RefCell::new(Core::default());
}

/// The data layers: what `since` is computed over (each has a base).
const TOPICS: &[Topic] = Topic::ALL;

/// What the hello subscribes to: the data layers, and on a wall the scenes
/// too (they have no file, hence no base: not part of `since`).
fn hello_topics(c: &Core) -> &'static [Topic] {
    if c.wall {
        Topic::EVERY
    } else {
        TOPICS
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn log(msg: &str) {
    web_sys::console::info_1(&JsValue::from_str(msg));
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(msg));
}

/// Whether the client runs (tasks that awaited check before touching state).
fn running() -> bool {
    CORE.with(|c| c.borrow().started)
}

/// Starts the live client once the live layers have settled: the small
/// layers' state from `api/live`, then the stream. Static hosting (no case
/// seq) → the indicator says so and nothing connects.
pub fn start(state: AppState) {
    let (first, live_api) = CORE.with(|c| {
        let mut c = c.borrow_mut();
        let first = !c.started;
        c.started = true;
        (first, c.api.unwrap_or(false))
    });
    if !first {
        return;
    }
    if !live_api {
        state.live.conn.set(Conn::Static);
        return;
    }
    socket::install_listeners(state);
    casefile::remember_hazards(state);
    casefile::start_refresh(state);
    leptos::task::spawn_local(async move {
        casefile::fetch_initial().await;
        if running() {
            // Applied now so `since` reflects it before the hello.
            apply_pending(state);
            socket::connect(state);
        }
    });
}

/// The socket closed with `code`: 4401 is the server's "session revoked";
/// an abnormal close (1006: the upgrade was refused, or the network went)
/// asks `GET /api/session` whether the session is still there. Either way
/// a lost session brings the sign-in back; reconnecting goes on.
fn closed(state: AppState, code: Option<u16>) {
    match code {
        Some(4401) => auth::lost(state.session),
        Some(1006) | None => leptos::task::spawn_local(async move {
            if let Ok(auth::calls::Check::None) = auth::calls::check().await {
                auth::lost(state.session);
            }
        }),
        Some(_) => {}
    }
}

/// Signed in again after a lost session: reconnect now (not at the end of
/// the backoff) if the socket is down.
pub fn resume(state: AppState) {
    let down = CORE.with(|c| {
        let c = c.borrow();
        c.started && c.api == Some(true) && c.socket.is_none()
    });
    if down {
        CORE.with(|c| {
            let mut c = c.borrow_mut();
            c.hold_until = 0.0;
            c.backoff.reset();
        });
        socket::connect_now(state);
    }
}

/// Stops the client (at unmount): closes the socket, cancels the reconnect,
/// the watchdog and the refresh, removes the listeners, forgets the queue.
pub fn stop() {
    let mut old = CORE.with(|c| std::mem::take(&mut *c.borrow_mut()));
    if let Some(s) = old.socket.take() {
        s.close();
    }
    drop(old);
}

/// `window.__pingan.live`: `{status(), seq(), applied(), reconnects(),
/// applyMs(), drop(holdMs)}`.
pub fn hooks(state: AppState) -> js_sys::Object {
    let o = js_sys::Object::new();
    let set = |name: &str, f: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), &f);
    };
    set(
        "status",
        Closure::<dyn Fn() -> String>::new(move || state.live.conn.get_untracked().code().into())
            .into_js_value(),
    );
    set(
        "seq",
        Closure::<dyn Fn() -> f64>::new(|| {
            CORE.with(|c| c.borrow().seq.cursor.unwrap_or(0) as f64)
        })
        .into_js_value(),
    );
    set(
        "applied",
        Closure::<dyn Fn() -> f64>::new(|| CORE.with(|c| c.borrow().applied as f64))
            .into_js_value(),
    );
    set(
        "reconnects",
        Closure::<dyn Fn() -> f64>::new(|| CORE.with(|c| c.borrow().reconnects as f64))
            .into_js_value(),
    );
    set(
        "applyMs",
        Closure::<dyn Fn() -> JsValue>::new(|| {
            let arr = js_sys::Array::new();
            CORE.with(|c| {
                for v in &c.borrow().apply_ms {
                    arr.push(&JsValue::from_f64(*v));
                }
            });
            arr.into()
        })
        .into_js_value(),
    );
    set(
        "drop",
        Closure::<dyn Fn(JsValue)>::new(move |hold: JsValue| {
            socket::disconnect(state, hold.as_f64().unwrap_or(0.0).max(0.0));
        })
        .into_js_value(),
    );
    o
}
