//! The socket: `/ws` opened with the hello (`since` = the cursor, else the
//! smallest base), messages decoded (`crate::wire`) and queued, reconnects
//! with backoff (0.5→30 s + jitter; reset only once a connection delivers
//! an event or stays up 10 s), the watchdog (3 heartbeats without a
//! message; 10 s to open) and the wake-ups on `online` / visible. A close
//! tells the live client its code (4401: the session was revoked).

use super::{apply, hello_topics, log, now, warn, Item, CORE, TOPICS};
use crate::frame::request_frame;
use crate::state::{AppState, Conn};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use pingan_model::live::ServerMsg;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

type MsgClosure = Closure<dyn FnMut(MessageEvent)>;
type EvClosure = Closure<dyn FnMut(web_sys::Event)>;

pub(super) struct Socket {
    pub(super) ws: WebSocket,
    _handlers: (EvClosure, MsgClosure, EvClosure),
}

impl Socket {
    /// Detaches the handlers (so no callback reaches a dropped closure) and closes.
    pub(super) fn close(self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

/// The watchdog: no message (heartbeats included) for 3 intervals, or a
/// socket not open after 10 s → reconnect. One timeout, set for the moment
/// the current socket would be overdue (and by `Backoff::STABLE_MS` after
/// it opened, to tell the backoff the connection works); when it fires it
/// checks and sets the next. At rest that is once per 3 heartbeats, not
/// once a second.
fn arm_watchdog(state: AppState) {
    // Set after the current callback returns: the timer being replaced may
    // be the one running.
    wasm_bindgen_futures::spawn_local(async move { arm_watchdog_now(state) });
}

fn arm_watchdog_now(state: AppState) {
    let wait = CORE.with(|c| {
        let c = c.borrow();
        if !c.started {
            return None;
        }
        let t = now();
        let due = match &c.socket {
            None => t + 30_000.0,
            Some(s) if s.ws.ready_state() == WebSocket::CONNECTING => c.opened_ms + 10_000.0,
            Some(_) => {
                let overdue = c.last_msg_ms.max(c.opened_ms) + 3.0 * c.heartbeat_ms;
                let stable = c.opened_ms + crate::sync::Backoff::STABLE_MS;
                if stable > t {
                    overdue.min(stable)
                } else {
                    overdue
                }
            }
        };
        Some((due - t).clamp(100.0, 120_000.0).ceil() as u32 + 1)
    });
    let Some(wait) = wait else { return };
    let timer = Timeout::new(wait, move || {
        let stale = CORE.with(|c| {
            let mut c = c.borrow_mut();
            let t = now();
            c.backoff.tick(t);
            let Some(s) = &c.socket else { return false };
            if s.ws.ready_state() == WebSocket::CONNECTING {
                t - c.opened_ms > 10_000.0
            } else {
                t - c.last_msg_ms.max(c.opened_ms) > 3.0 * c.heartbeat_ms
            }
        });
        if stale {
            warn("live: no message for 3 heartbeat intervals, reconnecting");
            disconnect(state, 0.0);
        }
        arm_watchdog(state);
    });
    CORE.with(|c| c.borrow_mut().watchdog = Some(timer));
}

/// The watchdog and the wake-ups (kept in the core until `stop`).
pub(super) fn install_listeners(state: AppState) {
    arm_watchdog(state);
    let wake = move |_: &web_sys::Event| {
        let hidden = document().hidden();
        let offline = CORE.with(|c| c.borrow().socket.is_none());
        if !hidden && offline {
            CORE.with(|c| c.borrow_mut().hold_until = 0.0);
            connect_now(state);
        }
    };
    let online = EventListener::new(&window(), "online", wake);
    let visible = EventListener::new(&document(), "visibilitychange", wake);
    CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.listeners.push(online);
        c.listeners.push(visible);
    });
}

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
    Some(crate::web::fetch::for_audience(&url.href()))
}

pub(super) fn connect_now(state: AppState) {
    // Dropping the pending reconnect cancels it.
    let pending = CORE.with(|c| c.borrow_mut().retry.take());
    drop(pending);
    connect(state);
}

pub(super) fn connect(state: AppState) {
    if !super::running() {
        return;
    }
    let Some(url) = ws_url() else { return };
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(e) => {
            warn(&format!("live: cannot open {url}: {e:?}"));
            schedule_reconnect(state);
            return;
        }
    };
    let gen = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.gen += 1;
        c.gen
    });
    let on_open = EvClosure::new(move |_e: web_sys::Event| {
        let (since, topics, epoch, ws) = CORE.with(|c| {
            let c = c.borrow();
            (
                c.seq.since(TOPICS),
                hello_topics(&c),
                c.seq.epoch.clone(),
                c.socket
                    .as_ref()
                    .filter(|_| c.gen == gen)
                    .map(|s| s.ws.clone()),
            )
        });
        let Some(ws) = ws else { return };
        let hello = crate::wire::hello(topics, since, epoch.as_deref());
        let _ = ws.send_with_str(&hello);
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
    let on_close = EvClosure::new(move |e: web_sys::Event| {
        if CORE.with(|c| c.borrow().gen) != gen {
            return;
        }
        let code = e.dyn_ref::<web_sys::CloseEvent>().map(|c| c.code());
        log(&format!("live: connection closed ({code:?})"));
        super::closed(state, code);
        if let Some(s) = CORE.with(|c| c.borrow_mut().socket.take()) {
            s.close();
        }
        schedule_reconnect(state);
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let old = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.opened_ms = now();
        // The newest data's time is the server's last message: a reconnect
        // attempt is none (reset here, a wall's stale warning never showed
        // during an outage: a retry comes sooner than its minute). Before
        // the first socket, "now" (nothing is stale yet).
        if c.connects == 0 {
            c.last_msg_ms = now();
        }
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
    arm_watchdog(state);
}

/// Closes the socket (a dead peer, a resync, the test hook) and schedules a
/// reconnect no earlier than `hold_ms` from now.
pub(super) fn disconnect(state: AppState, hold_ms: f64) {
    let s = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.hold_until = now() + hold_ms;
        c.socket.take()
    });
    if let Some(s) = s {
        s.close();
    }
    schedule_reconnect(state);
}

fn schedule_reconnect(state: AppState) {
    if !super::running() {
        return;
    }
    let r = js_sys::Math::random();
    let (retry_at, replaced) = CORE.with(|c| {
        let mut c = c.borrow_mut();
        let delay = c.backoff.next_delay(r).max(c.hold_until - now());
        let timeout = Timeout::new(delay.round().max(0.0) as u32, move || {
            // Its own handle is freed once this returns (wasm-bindgen
            // defers freeing a running closure).
            let me = CORE.with(|c| c.borrow_mut().retry.take());
            connect(state);
            drop(me);
        });
        (now() + delay, c.retry.replace(timeout))
    });
    // The earlier pending reconnect, cancelled.
    drop(replaced);
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
            epoch,
            head,
            replay,
            heartbeat_ms,
            now_ms,
            build,
            ..
        } => {
            super::notify(&super::Note::Clock {
                server_ms: now_ms,
                received: crate::web::time::now_ms(),
                build: Some(build.as_deref()),
            });
            CORE.with(|c| {
                let mut c = c.borrow_mut();
                // Another store: its snapshot (other_epoch) follows.
                if c.seq.note_epoch(&epoch) {
                    log(&format!("live: the server's store changed (epoch {epoch})"));
                }
                // Not a reset yet: only once it delivers an event or stays up.
                c.backoff.welcomed(now());
                c.heartbeat_ms = (heartbeat_ms as f64).clamp(1000.0, 120_000.0);
            });
            log(&format!("live: connected, head {head}, replaying {replay}"));
            state.live.conn.set(Conn::Live);
        }
        ServerMsg::Heartbeat { now_ms, .. } => super::notify(&super::Note::Clock {
            server_ms: now_ms,
            received: crate::web::time::now_ms(),
            build: None,
        }),
        ServerMsg::Resync { reason, head, .. } => {
            warn(&format!(
                "live: server asks to resync ({reason:?}, head {head})"
            ));
            disconnect(state, 0.0);
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
                apply::apply_pending(state);
            } else {
                request_frame();
            }
        }
    }
}
