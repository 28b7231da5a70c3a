//! The outbox: every write of the field mode (a report, a hazard's status)
//! is kept in IndexedDB with its idempotency key *before* it is first sent,
//! shown with its state, and sent one at a time, oldest first, when there is
//! a network — photo first (`PUT /api/photos/{sha256}`, content-addressed),
//! then the write with `Idempotency-Key`. The server answers a repeated key
//! with its first answer, so a resend after a lost answer, a reload or a
//! crash stores nothing twice: exactly once. The states and retries are the
//! model's (`pingan_model::field::outbox`); this file is the I/O. Entries
//! belong to the account that made them and are sent only while it is
//! signed in. Sent entries stay listed for a day.

use super::photo::Photo;
use super::Field;
use crate::auth::Session;
use crate::state::AppState;
use crate::web::idb::{Db, IdbError};
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use pingan_model::field::outbox::{self as model, Entry, Next, Outcome, State, Task};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;

pub use model::Kind;

const DB: &str = "pingan-field";
const ENTRIES: &str = "outbox";
const PHOTOS: &str = "photos";
/// A request taking longer than this is given up (and retried later).
const REQUEST_TIMEOUT_MS: u32 = 30_000;
/// Sent entries are listed this long.
const KEEP_SENT_MS: f64 = 86_400_000.0;

/// A write to make.
pub struct Write {
    pub kind: Kind,
    /// `api/cases`, `api/hazards/{id}/status`.
    pub path: String,
    pub body: serde_json::Value,
    /// What it changes (`hazard:YH000001`; a report: its own key): writes
    /// to one subject are sent in the order they were made.
    pub subject: Option<String>,
    /// What it is, for the outbox list.
    pub summary: String,
}

/// An entry as kept: the model's entry, whose it is, the server's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    pub entry: Entry,
    /// The username that made it.
    pub user: String,
    /// What it is, in words (the outbox list).
    #[serde(default)]
    pub summary: String,
    /// The answer's body once sent (a report's case and departments).
    #[serde(default)]
    pub answer: Option<String>,
}

/// The outbox's state (Copy handles).
#[derive(Clone, Copy)]
pub struct Outbox {
    pub items: RwSignal<Vec<Kept>>,
    /// IndexedDB could not be opened: entries live only in this page.
    pub volatile: RwSignal<bool>,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox {
            items: RwSignal::new(Vec::new()),
            volatile: RwSignal::new(false),
        }
    }
    /// The signed-in account's entries (tracked): another officer's on a
    /// shared phone are not shown.
    pub fn mine(&self) -> Vec<Kept> {
        let user = me();
        self.items.with(|v| {
            v.iter()
                .filter(|k| Some(&k.user) == user.as_ref())
                .cloned()
                .collect()
        })
    }
    /// The signed-in account's entries not yet sent nor rejected (tracked).
    pub fn waiting(&self) -> usize {
        let user = me();
        self.items.with(|v| {
            v.iter()
                .filter(|k| Some(&k.user) == user.as_ref())
                .filter(|k| {
                    matches!(
                        k.entry.state,
                        State::Queued | State::Sending | State::NeedsSignIn
                    )
                })
                .count()
        })
    }
}

thread_local! {
    static SESSION: RefCell<Option<RwSignal<Session>>> = const { RefCell::new(None) };
    static SENDING: Cell<bool> = const { Cell::new(false) };
    static WAKE: RefCell<Option<Timeout>> = const { RefCell::new(None) };
}

fn me() -> Option<String> {
    SESSION.with(|s| {
        s.borrow()
            .and_then(|s| s.try_with_untracked(|s| s.me().map(|m| m.username.clone())))
            .flatten()
    })
}

async fn open() -> Result<Db, IdbError> {
    Db::open(DB, &[ENTRIES, PHOTOS]).await
}

async fn put(store: &str, key: &str, value: &JsValue) -> Result<(), IdbError> {
    open().await?.put(store, key, value).await
}

async fn delete(store: &str, key: &str) -> Result<(), IdbError> {
    open().await?.delete(store, key).await
}

async fn get(store: &str, key: &str) -> Result<Option<JsValue>, IdbError> {
    open().await?.get(store, key).await
}

async fn all_entries() -> Result<Vec<Kept>, IdbError> {
    let values = open().await?.all(ENTRIES).await?;
    Ok(values
        .into_iter()
        .filter_map(|v| v.as_string())
        .filter_map(|s| match serde_json::from_str::<Kept>(&s) {
            Ok(k) => Some(k),
            Err(e) => {
                web_sys::console::warn_1(
                    &format!("outbox: an entry is unreadable, skipped: {e}").into(),
                );
                None
            }
        })
        .collect())
}

/// Keeps `k` (its state as it is now).
async fn persist(f: Field, k: &Kept) {
    let Ok(text) = serde_json::to_string(k) else {
        return;
    };
    if let Err(e) = put(ENTRIES, &k.entry.key, &JsValue::from_str(&text)).await {
        web_sys::console::warn_1(&format!("outbox: not kept in IndexedDB: {e}").into());
        let _ = f.outbox.volatile.try_set(true);
    }
}

fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    let ok = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut b).is_ok());
    if !ok {
        for x in b.iter_mut() {
            *x = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    b
}

/// Loads the kept entries (a page closed mid-send left one `Sending`: the
/// model makes it queued again — its key makes the resend safe), drops sent
/// ones older than a day, and starts sending.
pub fn start(state: AppState, f: Field) {
    SESSION.with(|s| *s.borrow_mut() = Some(state.session));
    on_cleanup(|| {
        SESSION.with(|s| s.borrow_mut().take());
        WAKE.with(|w| w.borrow_mut().take());
    });
    leptos::task::spawn_local(async move {
        let mut kept = match all_entries().await {
            Ok(k) => k,
            Err(e) => {
                web_sys::console::warn_1(&format!("outbox: IndexedDB unavailable: {e}").into());
                let _ = f.outbox.volatile.try_set(true);
                Vec::new()
            }
        };
        let now = js_sys::Date::now();
        let mut old: Vec<String> = Vec::new();
        kept.retain(|k| {
            let stale = matches!(k.entry.state, State::Sent { .. })
                && now - k.entry.created_ms > KEEP_SENT_MS;
            if stale {
                old.push(k.entry.key.clone());
            }
            !stale
        });
        for key in old {
            let _ = delete(ENTRIES, &key).await;
        }
        let mut entries: Vec<Entry> = kept.iter().map(|k| k.entry.clone()).collect();
        model::on_load(&mut entries);
        // Signed in now: what waited for a sign-in goes (a new 401 puts it back).
        if me().is_some() {
            model::signed_in(&mut entries, now);
        }
        let mut by_key: Vec<Kept> = entries
            .into_iter()
            .filter_map(|e| {
                let mut k = kept.iter().find(|k| k.entry.key == e.key)?.clone();
                k.entry = e;
                Some(k)
            })
            .collect();
        // Anything added while loading stays.
        let _ = f.outbox.items.try_update(|v| {
            for k in v.drain(..) {
                if !by_key.iter().any(|b| b.entry.key == k.entry.key) {
                    by_key.push(k);
                }
            }
            *v = by_key;
        });
        kick(f);
    });
    // Signing in again releases what waited for it.
    Effect::new(move |_| {
        if state.session.with(|s| matches!(s, Session::SignedIn(_))) {
            let now = js_sys::Date::now();
            f.outbox.items.update(|v| {
                let mut entries: Vec<Entry> = v.iter().map(|k| k.entry.clone()).collect();
                model::signed_in(&mut entries, now);
                for (k, e) in v.iter_mut().zip(entries) {
                    k.entry = e;
                }
            });
            kick(f);
        }
    });
}

/// Keeps a new write and sends it when it can; returns its key.
pub fn submit(_state: AppState, f: Field, w: Write, photo: Option<Photo>) -> String {
    let key = model::new_key(random16());
    let entry = Entry::new(
        key.clone(),
        w.kind,
        w.subject.unwrap_or_else(|| key.clone()),
        w.path,
        w.body.to_string(),
        photo.as_ref().map(|p| p.sha256.clone()),
        js_sys::Date::now(),
    );
    let kept = Kept {
        entry,
        user: me().unwrap_or_default(),
        summary: w.summary,
        answer: None,
    };
    leptos::task::spawn_local(async move {
        if let Some(p) = &photo {
            let bytes = js_sys::Uint8Array::from(p.bytes.as_slice());
            if let Err(e) = put(PHOTOS, &p.sha256, &bytes.into()).await {
                web_sys::console::warn_1(&format!("outbox: photo not kept: {e}").into());
                let _ = f.outbox.volatile.try_set(true);
                PENDING_PHOTOS.with(|m| m.borrow_mut().push((p.sha256.clone(), p.bytes.clone())));
            }
        }
        persist(f, &kept).await;
        // Shown (and so sendable) once its photo and itself are kept.
        let _ = f.outbox.items.try_update(|v| v.push(kept));
        kick(f);
    });
    key
}

thread_local! {
    /// Photos IndexedDB could not keep (sent from memory while the page lives).
    static PENDING_PHOTOS: RefCell<Vec<(String, Vec<u8>)>> = const { RefCell::new(Vec::new()) };
}

/// The network is back (or the app asks): whatever waited on a backoff is
/// due now.
pub fn network_back(f: Field) {
    let now = js_sys::Date::now();
    let _ = f.outbox.items.try_update(|v| {
        for k in v.iter_mut().filter(|k| k.entry.state == State::Queued) {
            k.entry.next_try_ms = k.entry.next_try_ms.min(now);
        }
    });
    kick(f);
}

/// Deletes an entry the officer gave up (not while it is being sent).
pub fn remove(f: Field, key: String) {
    let mut gone = None;
    f.outbox.items.update(|v| {
        if let Some(i) = v
            .iter()
            .position(|k| k.entry.key == key && k.entry.deletable())
        {
            gone = Some(v.remove(i));
        }
    });
    if let Some(k) = gone {
        leptos::task::spawn_local(async move {
            let _ = delete(ENTRIES, &k.entry.key).await;
            if let Some(p) = &k.entry.photo {
                let _ = delete(PHOTOS, &p.sha256).await;
            }
        });
    }
}

/// Sends what is due, one at a time, until nothing is (then one timer for
/// the next retry, if any).
pub fn kick(f: Field) {
    if SENDING.with(|s| s.replace(true)) {
        return;
    }
    let run = async move {
        // Another tab may have sent (or refused) since this one last read.
        refresh(f).await;
        send_due(f).await;
        SENDING.with(|s| s.set(false));
    };
    // One sender per phone, not per tab: the Web Locks API, where there is one.
    if !with_lock(run) {
        // (`with_lock` did not take it: no Web Locks.)
        leptos::task::spawn_local(async move {
            refresh(f).await;
            send_due(f).await;
            SENDING.with(|s| s.set(false));
        });
    }
}

/// Runs `work` holding the origin-wide lock `pingan-outbox`
/// (`navigator.locks.request`); false when the browser has no Web Locks.
fn with_lock(work: impl std::future::Future<Output = ()> + 'static) -> bool {
    use wasm_bindgen::JsCast;
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let locks =
        js_sys::Reflect::get(&nav, &JsValue::from_str("locks")).unwrap_or(JsValue::UNDEFINED);
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()
        .and_then(|r| r.dyn_into::<js_sys::Function>().ok());
    let Some(request) = request else { return false };
    let work = std::cell::RefCell::new(Some(work));
    let cb =
        wasm_bindgen::closure::Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
            let work = work.borrow_mut().take();
            wasm_bindgen_futures::future_to_promise(async move {
                if let Some(w) = work {
                    w.await;
                }
                Ok(JsValue::UNDEFINED)
            })
        });
    request
        .call2(&locks, &JsValue::from_str("pingan-outbox"), &cb)
        .is_ok()
}

/// Takes the kept state of every entry (what another tab did to it), keeping
/// the entries only this page has.
async fn refresh(f: Field) {
    let Ok(stored) = all_entries().await else {
        return;
    };
    let _ = f.outbox.items.try_update(|v| {
        for k in v.iter_mut() {
            if let Some(s) = stored.iter().find(|s| s.entry.key == k.entry.key) {
                // A page closed mid-send left it sending: it is queued (the key
                // makes the resend safe); this tab holds the lock now.
                let mut s = s.clone();
                s.entry.on_load();
                *k = s;
            }
        }
        for s in &stored {
            if !v.iter().any(|k| k.entry.key == s.entry.key) {
                let mut s = s.clone();
                s.entry.on_load();
                v.push(s);
            }
        }
        // Signed in now: what waited for a sign-in goes (a new 401 puts it back).
        if me().is_some() {
            let mut entries: Vec<Entry> = v.iter().map(|k| k.entry.clone()).collect();
            model::signed_in(&mut entries, js_sys::Date::now());
            for (k, e) in v.iter_mut().zip(entries) {
                k.entry = e;
            }
        }
    });
}

async fn send_due(f: Field) {
    loop {
        let Some(user) = me() else { return };
        let now = js_sys::Date::now();
        let Some(items) = f.outbox.items.try_get_untracked() else {
            return;
        };
        let mine: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].user == user)
            .collect();
        let entries: Vec<Entry> = mine.iter().map(|&i| items[i].entry.clone()).collect();
        match model::next(&entries, now) {
            Next::Send { index, task: _ } => {
                let mut k = items[mine[index]].clone();
                let Some(task) = k.entry.begin() else { return };
                update(f, &k);
                persist(f, &k).await;
                let (outcome, answer) = match task {
                    Task::UploadPhoto => (upload_photo(&k.entry).await, None),
                    Task::Send => send_write(&k.entry).await,
                };
                k.entry
                    .settle(&outcome, js_sys::Date::now(), js_sys::Math::random());
                if matches!(k.entry.state, State::Sent { .. }) {
                    k.answer = answer;
                    if let Some(p) = &k.entry.photo {
                        let _ = delete(PHOTOS, &p.sha256).await;
                    }
                }
                update(f, &k);
                persist(f, &k).await;
            }
            Next::WaitUntil(t) => {
                let wait = (t - now).clamp(0.0, 3_600_000.0).ceil() as u32;
                WAKE.with(|w| *w.borrow_mut() = Some(Timeout::new(wait, move || kick(f))));
                return;
            }
            Next::Busy | Next::SignIn | Next::Idle => return,
        }
    }
}

fn update(f: Field, k: &Kept) {
    let _ = f.outbox.items.try_update(|v| {
        if let Some(x) = v.iter_mut().find(|x| x.entry.key == k.entry.key) {
            *x = k.clone();
        }
    });
}

/// A `fetch` given up after `REQUEST_TIMEOUT_MS`.
async fn call(req: gloo_net::http::RequestBuilder, body: JsValue) -> Result<Answer, Outcome> {
    let ctl = web_sys::AbortController::new().map_err(|_| Outcome::Network)?;
    let signal = ctl.signal();
    let timed_out = std::rc::Rc::new(Cell::new(false));
    let t2 = timed_out.clone();
    let _timer = Timeout::new(REQUEST_TIMEOUT_MS, move || {
        t2.set(true);
        ctl.abort();
    });
    let req = req
        .abort_signal(Some(&signal))
        .body(body)
        .map_err(|_| Outcome::Network)?;
    let resp = match req.send().await {
        Ok(r) => r,
        Err(_) if timed_out.get() => return Err(Outcome::Timeout),
        Err(_) => return Err(Outcome::Network),
    };
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u32>().ok());
    let json = resp
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    let text = match resp.text().await {
        Ok(t) => t,
        // The answer was lost on the way: the key makes the resend safe.
        Err(_) if timed_out.get() => return Err(Outcome::Timeout),
        Err(_) => return Err(Outcome::Network),
    };
    Ok(Answer {
        status,
        retry_after,
        json,
        text,
    })
}

/// What came back.
struct Answer {
    status: u16,
    retry_after: Option<u32>,
    /// Our API answers JSON: a 200 page of a captive portal (a hotel's,
    /// a metro's Wi-Fi) is not an answer of ours.
    json: bool,
    text: String,
}

/// The `error` (and `detail`) of an API error body.
fn error_of(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let e = v.get("error").and_then(|e| e.as_str()).unwrap_or("");
    let d = v.get("detail").and_then(|e| e.as_str()).unwrap_or("");
    match (e.is_empty(), d.is_empty()) {
        (true, true) => String::new(),
        (false, true) => e.to_string(),
        (true, false) => d.to_string(),
        (false, false) => format!("{e}: {d}"),
    }
}

fn outcome_of(r: Result<Answer, Outcome>) -> (Outcome, Option<String>) {
    match r {
        Err(o) => (o, None),
        Ok(Answer { json: false, .. }) => (Outcome::Network, None),
        Ok(Answer {
            status,
            retry_after: retry_after_s,
            text,
            ..
        }) => {
            let ok = (200..300).contains(&status);
            (
                Outcome::Status {
                    status,
                    retry_after_s,
                    error: if ok { String::new() } else { error_of(&text) },
                },
                ok.then_some(text),
            )
        }
    }
}

async fn send_write(e: &Entry) -> (Outcome, Option<String>) {
    let req = gloo_net::http::Request::post(&e.path)
        .header("X-Pingan-CSRF", "1")
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &e.key);
    outcome_of(call(req, JsValue::from_str(&e.body)).await)
}

async fn upload_photo(e: &Entry) -> Outcome {
    let Some(p) = &e.photo else {
        return Outcome::status(200);
    };
    let bytes: Option<JsValue> = match get(PHOTOS, &p.sha256).await {
        Ok(Some(v)) => Some(v),
        _ => PENDING_PHOTOS.with(|m| {
            m.borrow()
                .iter()
                .find(|(s, _)| *s == p.sha256)
                .map(|(_, b)| js_sys::Uint8Array::from(b.as_slice()).into())
        }),
    };
    let Some(bytes) = bytes else {
        // The photo is gone from this phone: nothing can send it; say so.
        return Outcome::Status {
            status: 410,
            retry_after_s: None,
            error: "photo_lost: the photo is no longer kept on this phone".into(),
        };
    };
    let req = gloo_net::http::Request::put(&format!("api/photos/{}", p.sha256))
        .header("X-Pingan-CSRF", "1")
        .header("Content-Type", "image/jpeg");
    outcome_of(call(req, bytes).await).0
}
