//! The live client: one WebSocket to `/ws`, reconnecting with backoff and
//! resuming from the last sequence number; events queued on arrival and
//! applied in place, in a batch, at the start of the next animation frame.
//!
//! Bookkeeping (which event to apply, skip or hold; which layer to fetch
//! again; reconnect delays) is the pure [`crate::sync`]; this module is the
//! I/O around it and the in-place application to the layers' data.

use crate::app::{request_frame, AppState, LayerEntry, LoadStatus};
use crate::data::{self, LayerData, Upsert};
use crate::sync::{Backoff, SeqState, Verdict};
use leptos::prelude::*;
use pingan_model::cases::CaseRecord;
use pingan_model::domain::CaseCategory;
use pingan_model::layers::LayerId;
use pingan_model::live::{
    Alert, AlertChange, Change, Event, HazardState, Level, SensorState, Seq, ServerMsg, Snapshot,
    SnapshotReason, Topic,
};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

/// The connection as the status bar shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Conn {
    /// Layers still loading; no connection attempted yet.
    Idle,
    Connecting,
    Live,
    /// Disconnected; the next attempt at this `Date.now()` (ms).
    Offline {
        retry_at: f64,
    },
    /// No live API (static hosting): the case file from data/, no stream.
    Static,
}

impl Conn {
    pub fn code(self) -> &'static str {
        match self {
            Conn::Idle | Conn::Connecting => "connecting",
            Conn::Live => "live",
            Conn::Offline { .. } => "offline",
            Conn::Static => "static",
        }
    }
}

/// Which cases the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Open,
    Overdue,
    All,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct CaseFilter {
    pub status: StatusFilter,
    pub category: Option<CaseCategory>,
    /// Subdistrict name (Chinese, as in the data).
    pub subdistrict: Option<String>,
}

/// One row of the case list (key = position in the case layer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseRow {
    pub key: u32,
    pub rec: CaseRecord,
    /// Arrived over the stream in this session (highlighted).
    pub fresh: bool,
}

/// Rows the list keeps (newest first).
pub const LIST_LEN: usize = 80;
/// Cleared alerts the ticker keeps (newest first). Active alerts are never
/// dropped from it (at most one per sensor, so they are bounded by the
/// sensor registry): an alarm that has lasted an hour must not be pushed out
/// by newer warnings, and the active count must be the true one.
pub const TICKER_CLEARED: usize = 40;

/// Trims the ticker (newest first) to every active alert plus the newest
/// [`TICKER_CLEARED`] cleared ones.
pub fn trim_ticker(list: &mut Vec<Alert>) {
    let mut cleared = 0;
    list.retain(|a| {
        a.is_active() || {
            cleared += 1;
            cleared <= TICKER_CLEARED
        }
    });
}

/// The live state the panels show; Copy handles.
#[derive(Clone, Copy)]
pub struct LiveUi {
    pub conn: RwSignal<Conn>,
    pub alerts: RwSignal<Vec<Alert>>,
    pub rows: RwSignal<Vec<CaseRow>>,
    /// How many cases match the filter (the list shows the newest `LIST_LEN`).
    pub matched: RwSignal<u32>,
    pub filter: RwSignal<CaseFilter>,
    /// Bumped once per applied batch (the details panel follows it).
    pub rev: RwSignal<u64>,
}

impl LiveUi {
    pub fn new() -> LiveUi {
        LiveUi {
            conn: RwSignal::new(Conn::Idle),
            alerts: RwSignal::new(Vec::new()),
            rows: RwSignal::new(Vec::new()),
            matched: RwSignal::new(0),
            filter: RwSignal::new(CaseFilter::default()),
            rev: RwSignal::new(0),
        }
    }
}

/// Whether a case passes the filter at `now`; `sub_of` gives a grid's subdistrict.
pub fn matches<'a>(
    f: &CaseFilter,
    c: &CaseRecord,
    now: i64,
    sub_of: impl Fn(u16) -> Option<&'a str>,
) -> bool {
    let status_ok = match f.status {
        StatusFilter::Open => c.status.is_open(),
        StatusFilter::Overdue => c.is_overdue(now),
        StatusFilter::All => true,
    };
    status_ok
        && f.category.is_none_or(|k| k == c.category)
        && f.subdistrict
            .as_deref()
            .is_none_or(|s| sub_of(c.grid) == Some(s))
}

/// Newest first: by report time, then id.
fn newer(a: &CaseRecord, b: &CaseRecord) -> std::cmp::Ordering {
    (b.time, b.id).cmp(&(a.time, a.id))
}

/// An animated ring on the map at a new case or alert.
#[derive(Clone, Copy, Debug)]
pub struct Pulse {
    pub at: [f64; 2],
    pub t0: f64,
    pub colour: &'static str,
}

/// How long a pulse lasts, ms.
pub const PULSE_MS: f64 = 2600.0;

/// The case file is fetched again this often (ms): the window moves, cases
/// turn overdue.
const REFRESH_MS: i32 = 6 * 3600 * 1000;

enum Item {
    Msg(ServerMsg),
    /// The small layers' state from `GET /api/live`, before the stream.
    Initial(Snapshot),
    /// An event released by a completed reload: apply without a verdict.
    Apply(Event),
}

type MsgClosure = Closure<dyn FnMut(MessageEvent)>;
type EvClosure = Closure<dyn FnMut(web_sys::Event)>;

struct Socket {
    ws: WebSocket,
    _handlers: (EvClosure, MsgClosure, EvClosure),
}

impl Socket {
    /// Detaches the handlers (so no callback reaches a dropped closure) and closes.
    fn close(self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

#[derive(Default)]
struct Core {
    state: Option<AppState>,
    started: bool,
    socket: Option<Socket>,
    /// Generation of the current socket; callbacks of older ones are ignored.
    gen: u64,
    seq: SeqState,
    backoff: Backoff,
    queue: VecDeque<Item>,
    last_msg_ms: f64,
    opened_ms: f64,
    heartbeat_ms: f64,
    retry_timer: Option<i32>,
    retry_cb: Option<Closure<dyn FnMut()>>,
    /// No reconnect before this `Date.now()` (the test hook's drop).
    hold_until: f64,
    applied: u64,
    reconnects: u64,
    connects: u64,
    pulses: Vec<Pulse>,
    apply_ms: VecDeque<f64>,
    /// Whether the case file came from the live API (set by its first load).
    api: Option<bool>,
    /// Retries of a failed case-file reload.
    reload_backoff: Backoff,
    /// Each hazard's style state as in its file (a store reset goes back to it).
    hazard_file: Vec<u8>,
    /// Completed case-file reloads (snapshot or periodic).
    reloads: u64,
}

thread_local! {
    static CORE: RefCell<Core> = RefCell::new(Core::default());
}

const TOPICS: &[Topic] = Topic::ALL;

fn now() -> f64 {
    js_sys::Date::now()
}

fn log(msg: &str) {
    web_sys::console::info_1(&JsValue::from_str(msg));
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(msg));
}

// --- loading the case layer ------------------------------------------------------

/// What `GET api/cases.bin` gave.
enum ApiCases {
    /// The live store's cases, consistent with this sequence number.
    Live(Vec<u8>, Seq),
    /// No live API here (404, or not a case file with a seq: static hosting).
    NoApi,
    /// A failure worth retrying (5xx, network: a server restarting).
    Failed(String),
}

async fn fetch_api_cases() -> ApiCases {
    let resp = match gloo_net::http::Request::get("api/cases.bin").send().await {
        Ok(r) => r,
        Err(e) => return ApiCases::Failed(format!("api/cases.bin: {e}")),
    };
    if resp.status() == 404 {
        return ApiCases::NoApi;
    }
    if !resp.ok() {
        return ApiCases::Failed(format!("api/cases.bin: HTTP {}", resp.status()));
    }
    let seq = resp
        .headers()
        .get("x-pingan-seq")
        .and_then(|s| s.trim().parse::<Seq>().ok());
    let Some(seq) = seq else {
        return ApiCases::NoApi;
    };
    match resp.binary().await {
        Ok(bytes) if bytes.starts_with(pingan_model::cases::MAGIC) => ApiCases::Live(bytes, seq),
        Ok(_) => ApiCases::NoApi,
        Err(e) => ApiCases::Failed(format!("api/cases.bin: {e}")),
    }
}

/// Waits `ms` (a timer; no animation frame needed).
async fn sleep(ms: f64) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            &resolve,
            ms.round().max(0.0) as i32,
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// The case file at page load: `api/cases.bin` (the live store, with the
/// sequence number it is consistent with) or, when there is no live API
/// (404), `data/cases_recent.bin` (static, no stream). Any other failure (a
/// server restarting) is retried with backoff, the indicator offline.
pub async fn fetch_cases(
    state: AppState,
    data_url: &str,
) -> Result<(Vec<u8>, Option<Seq>), String> {
    let mut backoff = Backoff::default();
    loop {
        match fetch_api_cases().await {
            ApiCases::Live(bytes, seq) => {
                if backoff.attempts > 0 {
                    state.live.conn.set(Conn::Idle);
                }
                return Ok((bytes, Some(seq)));
            }
            ApiCases::NoApi => break,
            ApiCases::Failed(e) => {
                let delay = backoff.next_delay(js_sys::Math::random());
                warn(&format!("live: {e}; retrying in {:.1} s", delay / 1000.0));
                state.live.conn.set(Conn::Offline {
                    retry_at: now() + delay,
                });
                sleep(delay).await;
                state.live.conn.set(Conn::Idle);
            }
        }
    }
    log("no live API (api/cases.bin): static case file, no live updates");
    crate::app::fetch_bytes(data_url).await.map(|b| (b, None))
}

/// The case layer was (re)loaded from a file at `seq` (`None`: static).
pub fn cases_loaded(seq: Option<Seq>) {
    let released = CORE.with(|c| {
        let mut c = c.borrow_mut();
        if c.api.is_none() {
            c.api = Some(seq.is_some());
        }
        match seq {
            Some(s) => c.seq.set_base(Topic::Cases, s),
            None => Vec::new(),
        }
    });
    queue_front(released);
}

fn queue_front(events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        for e in events.into_iter().rev() {
            c.queue.push_front(Item::Apply(e));
        }
    });
    request_frame();
}

// --- start ----------------------------------------------------------------------------

/// Starts the live client once the live layers have settled: the small
/// layers' state from `api/live`, then the stream. Static hosting (no case
/// seq) → the indicator says so and nothing connects.
pub fn start(state: AppState) {
    let (first, live_api) = CORE.with(|c| {
        let mut c = c.borrow_mut();
        let first = !c.started;
        c.started = true;
        c.state = Some(state);
        (first, c.api.unwrap_or(false))
    });
    if !first {
        return;
    }
    if !live_api {
        state.live.conn.set(Conn::Static);
        return;
    }
    install_listeners();
    // Each hazard's status as in its file, for a store reset (Ahead).
    if let Some(e) = state.entry(LayerId::Hazards) {
        let file = e.data.with_untracked(|d| match d.as_deref() {
            Some(LayerData::Points(p)) => p.state.clone(),
            _ => Vec::new(),
        });
        CORE.with(|c| c.borrow_mut().hazard_file = file);
    }
    // The case file again every few hours: the 30-day window moves and
    // overdue colours follow the clock (the same path as a snapshot's reload).
    let refresh = Closure::<dyn Fn()>::new(move || refresh_cases(state));
    let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
        refresh.as_ref().unchecked_ref(),
        REFRESH_MS,
    );
    refresh.forget();
    leptos::task::spawn_local(async move {
        // The small layers' state at a known seq, so the stream can start
        // at min(case file, snapshot) without a second case download.
        match gloo_net::http::Request::get("api/live").send().await {
            Ok(r) if r.ok() => match r
                .text()
                .await
                .map_err(|e| e.to_string())
                .and_then(|t| crate::wire::decode_snapshot(&t))
            {
                Ok(s) => {
                    // Bases for the small layers only (the cursor stays
                    // unset: since = min(case file, this), no case event
                    // between the two is lost).
                    CORE.with(|c| {
                        c.borrow_mut().queue.push_back(Item::Initial(Snapshot {
                            reload: Vec::new(),
                            ..s
                        }))
                    });
                    // Apply it now so `since` reflects it before the hello.
                    apply_pending(state);
                }
                Err(e) => warn(&format!("api/live: {e}")),
            },
            Ok(r) => warn(&format!("api/live: HTTP {}", r.status())),
            Err(e) => warn(&format!("api/live: {e}")),
        }
        connect();
    });
}

fn install_listeners() {
    let w = window();
    // Watchdog: no message (heartbeats included) for 3 intervals → reconnect.
    let tick = Closure::<dyn Fn()>::new(|| {
        let stale = CORE.with(|c| {
            let mut c = c.borrow_mut();
            let t = now();
            c.backoff.tick(t);
            let Some(s) = &c.socket else { return false };
            if s.ws.ready_state() == WebSocket::CONNECTING {
                t - c.opened_ms > 10_000.0
            } else {
                t - c.last_msg_ms > 3.0 * c.heartbeat_ms
            }
        });
        if stale {
            warn("live: no message for 3 heartbeat intervals, reconnecting");
            disconnect(0.0);
        }
    });
    let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        1000,
    );
    tick.forget();
    let wake = Closure::<dyn Fn()>::new(|| {
        let hidden = document().hidden();
        let offline = CORE.with(|c| c.borrow().socket.is_none());
        if !hidden && offline {
            CORE.with(|c| c.borrow_mut().hold_until = 0.0);
            connect_now();
        }
    });
    let _ = w.add_event_listener_with_callback("online", wake.as_ref().unchecked_ref());
    let _ = document()
        .add_event_listener_with_callback("visibilitychange", wake.as_ref().unchecked_ref());
    wake.forget();
}

// --- the socket ---------------------------------------------------------------------

fn ws_url() -> Option<String> {
    let href = window().location().href().ok()?;
    let url = web_sys::Url::new_with_base("ws", &href).ok()?;
    url.set_protocol(if url.protocol() == "https:" {
        "wss:"
    } else {
        "ws:"
    });
    url.set_search("");
    url.set_hash("");
    Some(url.href())
}

fn connect_now() {
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(id) = c.retry_timer.take() {
            window().clear_timeout_with_handle(id);
        }
    });
    connect();
}

fn connect() {
    let Some(state) = CORE.with(|c| c.borrow().state) else {
        return;
    };
    let Some(url) = ws_url() else { return };
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(e) => {
            warn(&format!("live: cannot open {url}: {e:?}"));
            schedule_reconnect();
            return;
        }
    };
    let gen = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.gen += 1;
        c.gen
    });
    let on_open = EvClosure::new(move |_e: web_sys::Event| {
        let (since, ws) = CORE.with(|c| {
            let c = c.borrow();
            (
                c.seq.since(TOPICS),
                c.socket
                    .as_ref()
                    .filter(|_| c.gen == gen)
                    .map(|s| s.ws.clone()),
            )
        });
        let Some(ws) = ws else { return };
        let _ = ws.send_with_str(&crate::wire::hello(TOPICS, since));
    });
    let on_message = MsgClosure::new(move |e: MessageEvent| {
        if CORE.with(|c| c.borrow().gen) != gen {
            return;
        }
        let Some(text) = e.data().as_string() else {
            warn("live: a non-text message, ignored");
            return;
        };
        on_text(state, &text);
    });
    let on_close = EvClosure::new(move |_e: web_sys::Event| {
        if CORE.with(|c| c.borrow().gen) != gen {
            return;
        }
        log("live: connection closed");
        if let Some(s) = CORE.with(|c| c.borrow_mut().socket.take()) {
            s.close();
        }
        schedule_reconnect();
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let old = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.opened_ms = now();
        c.last_msg_ms = now();
        if c.heartbeat_ms <= 0.0 {
            c.heartbeat_ms = 10_000.0;
        }
        if c.connects > 0 {
            c.reconnects += 1;
        }
        c.connects += 1;
        c.socket.replace(Socket {
            ws,
            _handlers: (on_open, on_message, on_close),
        })
    });
    if let Some(s) = old {
        s.close();
    }
    state.live.conn.set(Conn::Connecting);
}

/// Closes the socket (a dead peer, a resync, the test hook) and schedules a
/// reconnect no earlier than `hold_ms` from now.
pub fn disconnect(hold_ms: f64) {
    let s = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.hold_until = now() + hold_ms;
        c.socket.take()
    });
    if let Some(s) = s {
        s.close();
    }
    schedule_reconnect();
}

fn schedule_reconnect() {
    let Some(state) = CORE.with(|c| c.borrow().state) else {
        return;
    };
    let r = js_sys::Math::random();
    let retry_at = CORE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(id) = c.retry_timer.take() {
            window().clear_timeout_with_handle(id);
        }
        let delay = c.backoff.next_delay(r).max(c.hold_until - now());
        let cb = c.retry_cb.get_or_insert_with(|| {
            Closure::new(|| {
                CORE.with(|c| c.borrow_mut().retry_timer = None);
                connect();
            })
        });
        let id = window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                cb.as_ref().unchecked_ref(),
                delay.round() as i32,
            )
            .ok();
        c.retry_timer = id;
        now() + delay
    });
    state.live.conn.set(Conn::Offline { retry_at });
}

fn on_text(state: AppState, text: &str) {
    CORE.with(|c| c.borrow_mut().last_msg_ms = now());
    let msg = match crate::wire::decode(text) {
        Ok(m) => m,
        Err(e) => {
            let head: String = text.chars().take(120).collect();
            warn(&format!("live: unreadable message ignored ({e}): {head}"));
            return;
        }
    };
    match msg {
        ServerMsg::Welcome {
            head,
            replay,
            heartbeat_ms,
            ..
        } => {
            CORE.with(|c| {
                let mut c = c.borrow_mut();
                // Not a reset yet: only once it delivers an event or stays up.
                c.backoff.welcomed(now());
                c.heartbeat_ms = (heartbeat_ms as f64).clamp(1000.0, 120_000.0);
            });
            log(&format!("live: connected, head {head}, replaying {replay}"));
            state.live.conn.set(Conn::Live);
        }
        ServerMsg::Heartbeat { .. } => {}
        ServerMsg::Resync { reason, head } => {
            warn(&format!(
                "live: server asks to resync ({reason:?}, head {head})"
            ));
            disconnect(0.0);
        }
        ServerMsg::Error { error, detail } => {
            warn(&format!("live: server error {error}: {detail}"));
        }
        m @ (ServerMsg::Snapshot { .. } | ServerMsg::Event(_)) => {
            CORE.with(|c| {
                let mut c = c.borrow_mut();
                if matches!(m, ServerMsg::Event(_)) {
                    c.backoff.delivered();
                }
                c.queue.push_back(Item::Msg(m))
            });
            if document().hidden() {
                // No animation frames in a hidden tab: apply now.
                apply_pending(state);
            } else {
                request_frame();
            }
        }
    }
}

// --- applying ---------------------------------------------------------------------------

/// Mutates a point layer in place (no notification: the frame that applies
/// the batch draws it; the surface key follows the layer's version).
fn with_points<R>(e: &LayerEntry, f: impl FnOnce(&mut data::PointLayer) -> R) -> Option<R> {
    let mut out = None;
    e.data.update_untracked(|d| {
        if let Some(arc) = d {
            // Unique unless a frame is being drawn (never: we run before it).
            if let LayerData::Points(p) = Arc::make_mut(arc) {
                out = Some(f(p));
            }
        }
    });
    out
}

/// What a batch changed, for the panels.
#[derive(Default)]
struct Batch {
    /// Cases inserted or updated: key, record before (`None`: new), after.
    cases: Vec<CaseChange>,
    alerts: Vec<Alert>,
    snapshot_alerts: Option<Vec<Alert>>,
    /// Latest readings (sensor id, value), for the ticker's peaks.
    readings: Vec<(String, f64)>,
    reload: Vec<Topic>,
}

/// A case inserted into or updated in the layer: its key, its record before
/// (`None`: new to the layer) and after.
pub type CaseChange = (u32, Option<CaseRecord>, CaseRecord);

/// Applies every queued message (called at the start of a frame). Returns
/// how long it took, when there was anything.
pub fn apply_pending(state: AppState) -> Option<f64> {
    let items: Vec<Item> = CORE.with(|c| c.borrow_mut().queue.drain(..).collect());
    if items.is_empty() {
        return None;
    }
    let t0 = crate::app::now_ms();
    let mut batch = Batch::default();
    let mut applied = 0u64;
    const SMALL: &[Topic] = &[Topic::Sensors, Topic::Alerts, Topic::Hazards];
    for item in items {
        match item {
            Item::Apply(e) => {
                apply_event(state, &e, &mut batch);
                applied += 1;
            }
            Item::Initial(snapshot) => {
                apply_snapshot(state, &snapshot, &mut batch);
                CORE.with(|c| c.borrow_mut().seq.on_http_snapshot(snapshot.seq, SMALL));
            }
            Item::Msg(ServerMsg::Event(e)) => {
                let v = CORE.with(|c| c.borrow_mut().seq.on_event(&e));
                if v == Verdict::Apply {
                    apply_event(state, &e, &mut batch);
                    applied += 1;
                }
            }
            Item::Msg(ServerMsg::Snapshot { reason, snapshot }) => {
                if reason == SnapshotReason::Ahead {
                    // A reset store: the snapshot lists only hazards changed since.
                    reset_hazards(state);
                }
                apply_snapshot(state, &snapshot, &mut batch);
                let fetch = CORE.with(|c| {
                    c.borrow_mut()
                        .seq
                        .on_snapshot(snapshot.seq, reason, SMALL, &snapshot.reload)
                });
                batch.reload.extend(fetch);
            }
            Item::Msg(_) => {}
        }
    }
    finish_batch(state, batch);
    let dt = crate::app::now_ms() - t0;
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.applied += applied;
        c.apply_ms.push_back(dt);
        if c.apply_ms.len() > 200 {
            c.apply_ms.pop_front();
        }
    });
    Some(dt)
}

fn apply_snapshot(state: AppState, s: &Snapshot, batch: &mut Batch) {
    for r in &s.sensors {
        apply_sensor(state, r);
    }
    for h in &s.hazards {
        apply_hazard(state, h);
    }
    let mut alerts = s.alerts.clone();
    alerts.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
    trim_ticker(&mut alerts);
    let readings: Vec<(String, f64)> = s.sensors.iter().map(|r| (r.id.clone(), r.value)).collect();
    raise_peaks(&mut alerts, &readings);
    batch.snapshot_alerts = Some(alerts);
}

/// Every hazard back to its status in the file.
fn reset_hazards(state: AppState) {
    let file = CORE.with(|c| c.borrow().hazard_file.clone());
    if let Some(e) = state.entry(LayerId::Hazards) {
        with_points(&e, |p| {
            for (k, s0) in file.iter().enumerate() {
                if p.state.get(k) == Some(s0) {
                    continue;
                }
                if let Some(h) = pingan_model::domain::HazardStatus::from_index(*s0 as usize) {
                    p.set_point_state(k as u32, *s0, &[("status", serde_json::json!(h.code()))]);
                }
            }
        });
    }
}

/// Active alerts show the highest of their peak and their sensor's latest
/// reading (the stream's alert events change only with the level). Returns
/// whether anything changed.
pub fn raise_peaks(alerts: &mut [Alert], readings: &[(String, f64)]) -> bool {
    let mut changed = false;
    for a in alerts.iter_mut().filter(|a| a.is_active()) {
        for (id, v) in readings {
            if *id == a.sensor && *v > a.peak {
                a.peak = *v;
                changed = true;
            }
        }
    }
    changed
}

fn apply_sensor(state: AppState, r: &SensorState) {
    if let Some(e) = state.entry(LayerId::Sensors) {
        with_points(&e, |p| {
            if let Some(k) = p.feature_key(&r.id) {
                // The style state is the level's position (normal, warn, alarm).
                p.set_point_state(k, r.level as u8, &[("value", serde_json::json!(r.value))]);
            }
        });
    }
}

fn apply_hazard(state: AppState, h: &HazardState) {
    if let Some(e) = state.entry(LayerId::Hazards) {
        with_points(&e, |p| {
            if let Some(k) = p.feature_key(&h.id) {
                p.set_point_state(
                    k,
                    h.status.index() as u8,
                    &[("status", serde_json::json!(h.status.code()))],
                );
            }
        });
    }
}

/// Whether a case event changes the layer: a known case always; an unknown
/// one only if reported inside the loaded window (a transition of a case
/// older than the window, or a report back-dated before it, is not part of
/// the layer).
pub fn case_belongs(known: bool, window_start: Option<i64>, reported_at: i64) -> bool {
    known || window_start.is_none_or(|w| reported_at >= w)
}

fn apply_event(state: AppState, e: &Event, batch: &mut Batch) {
    match &e.change {
        Change::CaseReported { case } | Change::CaseTransitioned { case, .. } => {
            let reported = matches!(e.change, Change::CaseReported { .. });
            let Some(entry) = state.entry(LayerId::Cases) else {
                return;
            };
            let rec = case.record();
            let now_s = crate::app::now_s();
            let up = with_points(&entry, |p| {
                case_belongs(p.case_key(rec.id).is_some(), p.window_start, rec.time)
                    .then(|| p.upsert_case(rec, now_s))
            })
            .flatten();
            match up {
                None | Some(Upsert::NotCases) => {}
                Some(Upsert::Inserted(k)) => {
                    batch.cases.push((k, None, rec));
                    // The layer holds one more case in its window: its grid
                    // and subdistrict counts follow (as a reload would count).
                    count_case(state, rec.grid, case.subdistrict.as_deref());
                    if reported {
                        // Only a report is news; a transition of a case we
                        // did not hold is not.
                        pulse(crate::data::world_of(case.lon, case.lat), "#ffe08a");
                    }
                }
                Some(Upsert::Updated(k, old)) => batch.cases.push((k, Some(old), rec)),
            }
        }
        Change::Readings { sensors } => {
            for r in sensors {
                apply_sensor(state, r);
                batch.readings.push((r.id.clone(), r.value));
            }
        }
        Change::Alert { alert, change } => {
            if matches!(change, AlertChange::Raised | AlertChange::Level) && alert.is_active() {
                pulse(
                    crate::data::world_of(alert.lon, alert.lat),
                    if alert.level == Level::Alarm {
                        "#ff3b3b"
                    } else {
                        "#ffb020"
                    },
                );
            }
            batch.alerts.push(alert.clone());
        }
        Change::HazardStatus { hazard } => apply_hazard(state, hazard),
    }
}

/// One more case in `grid` and its subdistrict. The grid counts get a new
/// `Arc` (→ the base surface re-renders once) only when the grid's class
/// changes; otherwise the count changes in place (no copy).
fn count_case(state: AppState, grid: u16, subdistrict: Option<&str>) {
    let breaks = state.breaks.get_untracked();
    state.grid_counts.update_untracked(|counts| {
        let g = grid as usize;
        let Some(&c) = counts.get(g) else {
            return;
        };
        if data::count_changes_class(c, &breaks) {
            let mut next = (**counts).clone();
            next[g] += 1;
            *counts = Arc::new(next);
        } else {
            Arc::make_mut(counts)[g] += 1;
        }
    });
    state.admin.update_untracked(|a| {
        if let Some(i) = subdistrict.and_then(|n| a.index_of(n)) {
            Arc::make_mut(a).add(LayerId::Cases, i);
        }
    });
}

fn pulse(at: [f64; 2], colour: &'static str) {
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        let t0 = crate::app::now_ms();
        c.pulses.retain(|p| t0 - p.t0 < PULSE_MS);
        if c.pulses.len() < 64 {
            c.pulses.push(Pulse { at, t0, colour });
        }
    });
}

/// The pulses still running at `t` (ms, performance clock).
pub fn pulses(t: f64) -> Vec<Pulse> {
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.pulses.retain(|p| t - p.t0 < PULSE_MS);
        c.pulses.clone()
    })
}

/// The grid layer (a shared `Arc`: no copy), for grid → subdistrict lookups.
fn grids_layer(state: &AppState) -> Option<Arc<LayerData>> {
    state
        .entry(LayerId::Grids)
        .and_then(|e| e.data.get_untracked())
}

/// The subdistrict of grid `g`, read from the grid layer.
fn subdistrict_of(grids: Option<&LayerData>, g: u16) -> Option<&str> {
    match grids {
        Some(LayerData::Areas(a)) => a.features.get(g as usize)?.str_prop("subdistrict"),
        _ => None,
    }
}

fn finish_batch(state: AppState, batch: Batch) {
    let cases = state.entry(LayerId::Cases);
    if !batch.cases.is_empty() {
        if let Some(e) = cases {
            let n = e.data.with_untracked(|d| d.as_ref().map(|d| d.len()));
            if let Some(n) = n {
                if batch.cases.iter().any(|c| c.1.is_none()) {
                    e.status.set(LoadStatus::Loaded(n));
                }
            }
            patch_rows(state, &batch.cases);
        }
    }
    if let Some(list) = batch.snapshot_alerts {
        state.live.alerts.set(list);
    }
    if !batch.alerts.is_empty() {
        state.live.alerts.update(|list| {
            for a in batch.alerts {
                list.retain(|x| x.id != a.id);
                let at = list
                    .iter()
                    .position(|x| (x.raised_at, x.id) < (a.raised_at, a.id))
                    .unwrap_or(list.len());
                list.insert(at, a);
            }
            trim_ticker(list);
        });
    }
    if !batch.readings.is_empty() {
        // Notifies the ticker only when a shown peak goes up.
        state
            .live
            .alerts
            .maybe_update(|list| raise_peaks(list, &batch.readings));
    }
    for t in batch.reload {
        if t == Topic::Cases {
            reload_cases(state);
        }
    }
    state.live.rev.update(|r| *r += 1);
}

/// Patches the list rows and the number of matching cases for changed
/// cases, without rescanning the layer: the count moves by whether each
/// case matches now minus whether it matched before; rows follow. Returns
/// the new count and whether the rows must be refilled from the layer (fewer
/// than `LIST_LEN` shown while more match: a shown case stopped matching).
pub fn patch_list(
    rows: &mut Vec<CaseRow>,
    matched: u32,
    changes: &[CaseChange],
    ok: impl Fn(&CaseRecord) -> bool,
) -> (u32, bool) {
    let mut m = matched as i64;
    for (key, old, rec) in changes {
        let was = old.as_ref().is_some_and(&ok);
        let is = ok(rec);
        m += is as i64 - was as i64;
        let pos = rows.iter().position(|r| r.key == *key);
        match (pos, is) {
            (Some(i), true) => {
                rows[i].rec = *rec;
                rows[i].fresh = true;
            }
            (Some(i), false) => {
                rows.remove(i);
            }
            (None, true) => {
                // New, or newly matching: at its place in time order.
                let at = rows
                    .iter()
                    .position(|r| newer(rec, &r.rec).is_le())
                    .unwrap_or(rows.len());
                if at < LIST_LEN {
                    rows.insert(
                        at,
                        CaseRow {
                            key: *key,
                            rec: *rec,
                            fresh: true,
                        },
                    );
                    rows.truncate(LIST_LEN);
                }
            }
            (None, false) => {}
        }
    }
    let m = m.max(0) as u32;
    let refill = rows.len() < LIST_LEN && m as usize > rows.len();
    (m, refill)
}

/// Updates the list for inserted and updated cases without rescanning the
/// layer (unless a shown row left and others match: then refilled).
fn patch_rows(state: AppState, changes: &[CaseChange]) {
    let filter = state.live.filter.get_untracked();
    let grids = grids_layer(&state);
    let sub_of = |g: u16| subdistrict_of(grids.as_deref(), g);
    let now_s = crate::app::now_s();
    let matched = state.live.matched.get_untracked();
    let mut out = (matched, false);
    state.live.rows.update(|rows| {
        out = patch_list(rows, matched, changes, |r| {
            matches(&filter, r, now_s, sub_of)
        });
    });
    if out.0 != matched {
        state.live.matched.set(out.0);
    }
    if out.1 {
        rebuild_rows(state);
    }
}

/// Rebuilds the list from the whole layer: on load, when the filter
/// changes (a user action), and to refill it after a shown case left it.
/// Rows that were highlighted stay so.
pub fn rebuild_rows(state: AppState) {
    let Some(e) = state.entry(LayerId::Cases) else {
        return;
    };
    let filter = state.live.filter.get_untracked();
    let grids = grids_layer(&state);
    let sub_of = |g: u16| subdistrict_of(grids.as_deref(), g);
    let now_s = crate::app::now_s();
    let fresh: Vec<u32> = state
        .live
        .rows
        .with_untracked(|r| r.iter().filter(|r| r.fresh).map(|r| r.rec.id).collect());
    let (rows, matched) = e.data.with_untracked(|d| {
        let Some(LayerData::Points(p)) = d.as_deref() else {
            return (Vec::new(), 0);
        };
        let mut all: Vec<CaseRow> = p
            .cases()
            .iter()
            .enumerate()
            .filter(|(_, c)| matches(&filter, c, now_s, sub_of))
            .map(|(k, c)| CaseRow {
                key: k as u32,
                rec: *c,
                fresh: fresh.contains(&c.id),
            })
            .collect();
        let n = all.len() as u32;
        if all.len() > LIST_LEN {
            all.select_nth_unstable_by(LIST_LEN, |a, b| newer(&a.rec, &b.rec));
            all.truncate(LIST_LEN);
        }
        all.sort_by(|a, b| newer(&a.rec, &b.rec));
        (all, n)
    });
    state.live.rows.set(rows);
    state.live.matched.set(matched);
}

/// The periodic refresh of the case file (the window moves; overdue
/// colours follow the clock): the same path as a snapshot's reload.
fn refresh_cases(state: AppState) {
    let start = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.api == Some(true) && c.seq.base(Topic::Cases).is_some() && {
            c.seq.request_reload(Topic::Cases)
        }
    });
    if start {
        reload_cases(state);
    }
}

/// Fetches the case file again (at most one fetch in flight; a file for a
/// superseded request is discarded and fetched again; a failure is retried
/// with backoff while the layer's events stay held).
fn reload_cases(state: AppState) {
    let Some(e) = state.entry(LayerId::Cases) else {
        return;
    };
    let gen = CORE.with(|c| c.borrow_mut().seq.begin_fetch(Topic::Cases));
    log("live: fetching api/cases.bin again");
    leptos::task::spawn_local(async move {
        let result = match fetch_api_cases().await {
            ApiCases::Live(bytes, seq) => data::build(e.def, &bytes, crate::app::now_s())
                .map(|d| (d, seq))
                .map_err(|err| err.to_string()),
            ApiCases::NoApi => Err("the live API went away".to_string()),
            ApiCases::Failed(err) => Err(err),
        };
        match result {
            Ok((d, seq)) => {
                let released =
                    CORE.with(|c| c.borrow_mut().seq.finish_fetch(Topic::Cases, gen, seq));
                match released {
                    Some(events) => {
                        CORE.with(|c| {
                            let mut c = c.borrow_mut();
                            c.reload_backoff.reset();
                            c.reloads += 1;
                        });
                        let n = d.len();
                        e.data.set(Some(Arc::new(d)));
                        e.status.set(LoadStatus::Loaded(n));
                        // The case-list Effect rebuilds the rows from the new data.
                        queue_front(events);
                    }
                    None => {
                        // Superseded by a newer snapshot while in flight.
                        if CORE.with(|c| c.borrow().seq.needs_fetch(Topic::Cases)) {
                            reload_cases(state);
                        }
                    }
                }
            }
            Err(err) => {
                let retry = CORE.with(|c| {
                    let mut c = c.borrow_mut();
                    c.seq
                        .fetch_failed(Topic::Cases)
                        .then(|| c.reload_backoff.next_delay(js_sys::Math::random()))
                });
                if let Some(delay) = retry {
                    warn(&format!(
                        "live: reloading cases failed: {err}; retrying in {:.1} s",
                        delay / 1000.0
                    ));
                    sleep(delay).await;
                    // Unless another request started a fetch meanwhile.
                    if CORE.with(|c| c.borrow().seq.needs_fetch(Topic::Cases)) {
                        reload_cases(state);
                    }
                }
            }
        }
        request_frame();
    });
}

// --- test hooks -------------------------------------------------------------------------

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
        Closure::<dyn Fn(JsValue)>::new(|hold: JsValue| {
            disconnect(hold.as_f64().unwrap_or(0.0).max(0.0));
        })
        .into_js_value(),
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::domain::CaseStatus;

    #[test]
    fn the_ticker_keeps_every_active_alert_and_the_newest_cleared() {
        let alert = |id: u64, active: bool| Alert {
            id,
            sensor: format!("S{id:04}"),
            sensor_type: pingan_model::domain::SensorType::WaterLevel,
            level: Level::Warn,
            peak: 60.0,
            lon: 113.8,
            lat: 22.6,
            raised_at: 10_000 - id as i64,
            cleared_at: (!active).then_some(20_000),
            acked_at: None,
            acked_by: None,
        };
        // Newest first: 100 cleared, then (older) 80 active ones.
        let mut list: Vec<Alert> = (0..100).map(|i| alert(i, false)).collect();
        list.extend((100..180).map(|i| alert(i, true)));
        trim_ticker(&mut list);
        assert_eq!(list.iter().filter(|a| a.is_active()).count(), 80);
        let cleared: Vec<u64> = list
            .iter()
            .filter(|a| !a.is_active())
            .map(|a| a.id)
            .collect();
        assert_eq!(cleared, (0..TICKER_CLEARED as u64).collect::<Vec<_>>());
        assert_eq!(list.first().map(|a| a.id), Some(0), "order kept");
    }

    #[test]
    fn the_list_filter_by_status_category_and_subdistrict() {
        let c = CaseRecord {
            id: 1,
            time: 1_000,
            lon: 113.8,
            lat: 22.6,
            grid: 3,
            category: CaseCategory::Dispute,
            status: CaseStatus::Reported,
            departments: Default::default(),
            deadline_hours: 1,
        };
        let sub = |g: u16| (g == 3).then_some("西乡街道");
        let mut f = CaseFilter::default();
        assert!(matches(&f, &c, 1_000, sub), "open");
        f.status = StatusFilter::Overdue;
        assert!(!matches(&f, &c, 1_000, sub));
        assert!(matches(&f, &c, 1_000 + 3_601, sub), "past its deadline");
        f.status = StatusFilter::All;
        f.category = Some(CaseCategory::ALL[1]);
        assert!(!matches(&f, &c, 1_000, sub));
        f.category = Some(CaseCategory::Dispute);
        f.subdistrict = Some("新安街道".into());
        assert!(!matches(&f, &c, 1_000, sub));
        f.subdistrict = Some("西乡街道".into());
        assert!(matches(&f, &c, 1_000, sub));
        let closed = CaseRecord {
            status: CaseStatus::Archived,
            ..c
        };
        f.status = StatusFilter::Open;
        assert!(!matches(&f, &closed, 1_000, sub));
        // Newest first, ties by id.
        let later = CaseRecord { time: 2_000, ..c };
        assert!(newer(&later, &c).is_lt());
    }

    fn case(id: u32, time: i64, status: CaseStatus) -> CaseRecord {
        CaseRecord {
            id,
            time,
            lon: 113.8,
            lat: 22.6,
            grid: 0,
            category: CaseCategory::Dispute,
            status,
            departments: Default::default(),
            deadline_hours: 24,
        }
    }

    #[test]
    fn the_list_count_follows_each_case_before_and_after() {
        use CaseStatus::*;
        let open = |r: &CaseRecord| r.status.is_open();
        // 100 open cases; the list shows the newest 80 (ids 100..=21).
        let all: Vec<CaseRecord> = (1..=100).map(|i| case(i, i as i64, Reported)).collect();
        let mut rows: Vec<CaseRow> = all
            .iter()
            .rev()
            .take(LIST_LEN)
            .map(|c| CaseRow {
                key: c.id - 1,
                rec: *c,
                fresh: false,
            })
            .collect();
        let mut m = 100;
        // An old case (not shown) closes: one fewer matches, rows unchanged.
        let ch = |k: u32, old: CaseRecord, s| (k, Some(old), CaseRecord { status: s, ..old });
        let (m2, refill) = patch_list(&mut rows, m, &[ch(4, all[4], Resolved)], open);
        assert_eq!((m2, refill, rows.len()), (99, false, LIST_LEN));
        m = m2;
        // A transition that keeps it open changes nothing in the count.
        let (m2, _) = patch_list(&mut rows, m, &[ch(5, all[5], Accepted)], open);
        assert_eq!(m2, 99);
        // A shown case closes: removed, and the list must be refilled.
        let (m2, refill) = patch_list(&mut rows, m, &[ch(90, all[90], Archived)], open);
        assert_eq!((m2, refill, rows.len()), (98, true, LIST_LEN - 1));
        assert!(rows.iter().all(|r| r.key != 90));
        m = m2;
        // A new case: counted and shown first.
        let new = case(101, 101, Reported);
        let (m2, _) = patch_list(&mut rows, m, &[(100, None, new)], open);
        assert_eq!((m2, rows[0].key, rows[0].fresh), (99, 100, true));
        // A closed case reopened (returned) while not shown: counted back.
        let closed = CaseRecord {
            status: Resolved,
            ..all[4]
        };
        let (m2, _) = patch_list(&mut rows, m2, &[ch(4, closed, Returned)], open);
        assert_eq!(m2, 100);
        // All shown and all matching: no refill.
        let mut few = vec![CaseRow {
            key: 0,
            rec: all[0],
            fresh: false,
        }];
        let (m2, refill) = patch_list(&mut few, 1, &[ch(0, all[0], Archived)], open);
        assert_eq!((m2, refill, few.len()), (0, false, 0));
    }

    #[test]
    fn only_cases_of_the_loaded_window_join_the_layer() {
        // Known: always updated.
        assert!(case_belongs(true, Some(1_000), 10));
        // Unknown: only when reported inside the window.
        assert!(case_belongs(false, Some(1_000), 1_000));
        assert!(!case_belongs(false, Some(1_000), 999));
        // The static file has no window here: everything.
        assert!(case_belongs(false, None, 0));
    }

    #[test]
    fn active_alerts_show_their_sensors_latest_reading_when_higher() {
        use pingan_model::domain::SensorType;
        let a = Alert {
            id: 1,
            sensor: "S1".into(),
            sensor_type: SensorType::WaterLevel,
            level: Level::Warn,
            peak: 60.0,
            lon: 0.0,
            lat: 0.0,
            raised_at: 0,
            cleared_at: None,
            acked_at: None,
            acked_by: None,
        };
        let cleared = Alert {
            id: 2,
            sensor: "S2".into(),
            cleared_at: Some(5),
            ..a.clone()
        };
        let mut list = vec![a, cleared];
        assert!(!raise_peaks(&mut list, &[("S1".into(), 55.0)]));
        assert!(raise_peaks(
            &mut list,
            &[("S1".into(), 80.0), ("S2".into(), 90.0)]
        ));
        assert_eq!((list[0].peak, list[1].peak), (80.0, 60.0));
    }
}
