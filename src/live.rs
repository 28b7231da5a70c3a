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
/// Alerts the ticker keeps.
pub const TICKER_LEN: usize = 60;

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

enum Item {
    Msg(ServerMsg),
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

/// The case file: `api/cases.bin` (the live store, with the sequence number
/// it is consistent with) or, without a live API, `data/cases_recent.bin`.
pub async fn fetch_cases(data_url: &str) -> Result<(Vec<u8>, Option<Seq>), String> {
    match gloo_net::http::Request::get("api/cases.bin").send().await {
        Ok(resp) if resp.ok() => {
            let seq = resp
                .headers()
                .get("x-pingan-seq")
                .and_then(|s| s.trim().parse::<Seq>().ok());
            if let Some(seq) = seq {
                let bytes = resp
                    .binary()
                    .await
                    .map_err(|e| format!("api/cases.bin: {e}"))?;
                if bytes.starts_with(pingan_model::cases::MAGIC) {
                    return Ok((bytes, Some(seq)));
                }
            }
        }
        _ => {}
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
                    CORE.with(|c| {
                        c.borrow_mut()
                            .queue
                            .push_back(Item::Msg(ServerMsg::Snapshot {
                                reason: SnapshotReason::NoSince,
                                snapshot: Snapshot {
                                    reload: Vec::new(),
                                    ..s
                                },
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
            let c = c.borrow();
            let Some(s) = &c.socket else { return false };
            let t = now();
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
                c.backoff.reset();
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
            CORE.with(|c| c.borrow_mut().queue.push_back(Item::Msg(m)));
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

fn entry(state: &AppState, id: &str) -> Option<LayerEntry> {
    state.layers.iter().find(|e| e.def.id == id).copied()
}

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
    inserted: Vec<u32>,
    updated: Vec<u32>,
    alerts: Vec<Alert>,
    snapshot_alerts: Option<Vec<Alert>>,
    reload: Vec<Topic>,
}

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
    for item in items {
        match item {
            Item::Apply(e) => {
                apply_event(state, &e, &mut batch);
                applied += 1;
            }
            Item::Msg(ServerMsg::Event(e)) => {
                let v = CORE.with(|c| c.borrow_mut().seq.on_event(&e));
                if v == Verdict::Apply {
                    apply_event(state, &e, &mut batch);
                    applied += 1;
                }
            }
            Item::Msg(ServerMsg::Snapshot { reason, snapshot }) => {
                apply_snapshot(state, &snapshot, &mut batch);
                let fetch = CORE.with(|c| {
                    c.borrow_mut().seq.on_snapshot(
                        snapshot.seq,
                        reason,
                        &[Topic::Sensors, Topic::Alerts, Topic::Hazards],
                        &snapshot.reload,
                    )
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
    alerts.truncate(TICKER_LEN);
    batch.snapshot_alerts = Some(alerts);
}

fn apply_sensor(state: AppState, r: &SensorState) {
    if let Some(e) = entry(&state, "sensors") {
        with_points(&e, |p| {
            if let Some(k) = p.feature_key(&r.id) {
                let level = match r.level {
                    Level::Normal => 0,
                    Level::Warn => 1,
                    Level::Alarm => 2,
                };
                p.set_point_state(k, level, &[("value", serde_json::json!(r.value))]);
            }
        });
    }
}

fn apply_hazard(state: AppState, h: &HazardState) {
    if let Some(e) = entry(&state, "hazards") {
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

fn apply_event(state: AppState, e: &Event, batch: &mut Batch) {
    match &e.change {
        Change::CaseReported { case } | Change::CaseTransitioned { case, .. } => {
            let Some(entry) = entry(&state, "cases") else {
                return;
            };
            let rec = case.record();
            let now_s = (now() / 1000.0) as i64;
            let Some(up) = with_points(&entry, |p| p.upsert_case(rec, now_s)) else {
                return;
            };
            match up {
                Upsert::Inserted(k) => {
                    batch.inserted.push(k);
                    // The grid's count, and the base surface only if its class changed.
                    let breaks = state.breaks.get_untracked();
                    let mut class_changed = false;
                    state.grid_counts.update_untracked(|counts| {
                        if counts.is_empty() {
                            return;
                        }
                        let mut next = (**counts).clone();
                        class_changed = data::count_case(&mut next, &breaks, rec.grid);
                        if class_changed {
                            // A new Arc: the base key changes (a legitimate data change).
                            *counts = Arc::new(next);
                        } else if let Some(c) = Arc::make_mut(counts).get_mut(rec.grid as usize) {
                            *c += 1;
                        }
                    });
                    let sub = case.subdistrict.clone();
                    state.admin.update_untracked(|a| {
                        if let Some(i) = sub.as_deref().and_then(|n| a.index_of(n)) {
                            Arc::make_mut(a).add("cases", i);
                        }
                    });
                    let w = pingan_model::projection::to_world(case.lon, case.lat);
                    pulse([w.x, w.y], "#ffe08a");
                }
                Upsert::Updated(k, _) => batch.updated.push(k),
            }
        }
        Change::Readings { sensors } => {
            for r in sensors {
                apply_sensor(state, r);
            }
        }
        Change::Alert { alert, change } => {
            if matches!(change, AlertChange::Raised | AlertChange::Level) && alert.is_active() {
                let w = pingan_model::projection::to_world(alert.lon, alert.lat);
                pulse(
                    [w.x, w.y],
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

/// Grid → subdistrict name, from the grid layer.
pub fn grid_subdistricts(state: &AppState) -> Vec<Option<String>> {
    entry(state, "grids")
        .and_then(|e| {
            e.data.with_untracked(|d| match d.as_deref() {
                Some(LayerData::Areas(a)) => Some(
                    a.features
                        .iter()
                        .map(|f| f.str_prop("subdistrict").map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
        })
        .unwrap_or_default()
}

fn finish_batch(state: AppState, batch: Batch) {
    let cases = entry(&state, "cases");
    if !batch.inserted.is_empty() || !batch.updated.is_empty() {
        if let Some(e) = cases {
            let n = e.data.with_untracked(|d| d.as_ref().map(|d| d.len()));
            if let Some(n) = n {
                if !batch.inserted.is_empty() {
                    e.status.set(LoadStatus::Loaded(n));
                }
            }
            patch_rows(state, e, &batch.inserted, &batch.updated);
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
            list.truncate(TICKER_LEN);
        });
    }
    for t in batch.reload {
        if t == Topic::Cases {
            reload_cases(state);
        }
    }
    state.live.rev.update(|r| *r += 1);
}

/// Updates the list for inserted and updated cases without rescanning the layer.
fn patch_rows(state: AppState, e: LayerEntry, inserted: &[u32], updated: &[u32]) {
    let filter = state.live.filter.get_untracked();
    let subs = if filter.subdistrict.is_some() {
        grid_subdistricts(&state)
    } else {
        Vec::new()
    };
    let sub_of = |g: u16| subs.get(g as usize).and_then(|s| s.as_deref());
    let now_s = (now() / 1000.0) as i64;
    let recs: Vec<(u32, CaseRecord, bool)> = e.data.with_untracked(|d| {
        let Some(LayerData::Points(p)) = d.as_deref() else {
            return Vec::new();
        };
        inserted
            .iter()
            .map(|k| (*k, true))
            .chain(updated.iter().map(|k| (*k, false)))
            .filter_map(|(k, new)| p.cases.get(k as usize).map(|r| (k, *r, new)))
            .collect()
    });
    let mut delta: i64 = 0;
    state.live.rows.update(|rows| {
        for (key, rec, new) in recs {
            let ok = matches(&filter, &rec, now_s, sub_of);
            let pos = rows.iter().position(|r| r.key == key);
            match (pos, ok) {
                (Some(i), true) => {
                    rows[i].rec = rec;
                    rows[i].fresh = true;
                }
                (Some(i), false) => {
                    rows.remove(i);
                    delta -= 1;
                }
                (None, true) => {
                    // New, or newly matching: at its place in time order.
                    let at = rows
                        .iter()
                        .position(|r| newer(&rec, &r.rec).is_le())
                        .unwrap_or(rows.len());
                    if at < LIST_LEN {
                        rows.insert(
                            at,
                            CaseRow {
                                key,
                                rec,
                                fresh: true,
                            },
                        );
                        rows.truncate(LIST_LEN);
                    }
                    if new || at < LIST_LEN {
                        delta += 1;
                    }
                }
                (None, false) => {}
            }
        }
    });
    if delta != 0 {
        state
            .live
            .matched
            .update(|m| *m = (*m as i64 + delta).max(0) as u32);
    }
}

/// Rebuilds the list from the whole layer: on load and when the filter
/// changes (a user action), never per event.
pub fn rebuild_rows(state: AppState) {
    let Some(e) = entry(&state, "cases") else {
        return;
    };
    let filter = state.live.filter.get_untracked();
    let subs = grid_subdistricts(&state);
    let sub_of = |g: u16| subs.get(g as usize).and_then(|s| s.as_deref());
    let now_s = (now() / 1000.0) as i64;
    let (rows, matched) = e.data.with_untracked(|d| {
        let Some(LayerData::Points(p)) = d.as_deref() else {
            return (Vec::new(), 0);
        };
        let mut all: Vec<CaseRow> = p
            .cases
            .iter()
            .enumerate()
            .filter(|(_, c)| matches(&filter, c, now_s, sub_of))
            .map(|(k, c)| CaseRow {
                key: k as u32,
                rec: *c,
                fresh: false,
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

fn reload_cases(state: AppState) {
    let Some(e) = entry(&state, "cases") else {
        return;
    };
    log("live: the stream starts after the case file; fetching api/cases.bin again");
    leptos::task::spawn_local(async move {
        let url = format!("data/{}", e.def.file);
        let result = match fetch_cases(&url).await {
            Ok((bytes, Some(seq))) => data::build(e.def, &bytes, state.now)
                .map(|d| (d, seq))
                .map_err(|err| err.to_string()),
            Ok((_, None)) => Err("the live API went away".to_string()),
            Err(err) => Err(err),
        };
        match result {
            Ok((d, seq)) => {
                let n = d.len();
                e.data.set(Some(Arc::new(d)));
                e.status.set(LoadStatus::Loaded(n));
                cases_loaded(Some(seq));
                rebuild_rows(state);
            }
            Err(err) => {
                warn(&format!("live: reloading cases failed: {err}"));
                let back = CORE.with(|c| c.borrow_mut().seq.abandon_reload(Topic::Cases));
                queue_front(back);
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
}
