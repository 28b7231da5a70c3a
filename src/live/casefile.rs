//! The case file: at page load `api/cases.bin` (the live store, with the
//! seq it is consistent with) or, when there is no live API (404),
//! `data/cases_recent.bin` (static, no stream); other failures retried with
//! backoff. Fetched again after a snapshot that asks for it and every 6 h
//! (the window moves, overdue colours follow the clock); at most one fetch
//! in flight, a superseded file discarded. Also the small layers' state from
//! `api/live` before the stream starts. A 401 brings the sign-in back; the
//! first load waits for it, a reload retries with its backoff.

use super::{log, now, running, warn, Item, LiveError, CORE};
use crate::auth;
use crate::data::{self, LayerData};
use crate::frame::request_frame;
use crate::state::{AppState, Conn, LoadStatus};
use crate::sync::Backoff;
use crate::web::fetch::{fetch_bytes, FetchError};
use crate::web::time::now_s;
use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use pingan_model::layers::LayerId;
use pingan_model::live::{Event, Seq, Snapshot, Topic};
use std::sync::Arc;

/// The case file is fetched again this often (ms): the window moves, cases
/// turn overdue.
const REFRESH_MS: u32 = 6 * 3600 * 1000;

/// What `GET api/cases.bin` gave.
enum ApiCases {
    /// The live store's cases, consistent with this sequence number.
    Live(Vec<u8>, Seq),
    /// No live API here (404, or not a case file with a seq: static hosting).
    NoApi,
    /// A failure worth retrying (5xx, network: a server restarting).
    Failed(LiveError),
    /// The session ended (401): retried once signed in again.
    Unauthenticated,
}

const CASES: &str = "api/cases.bin";

/// `api/cases.bin`, for the page's audience.
fn cases_url() -> String {
    crate::web::fetch::for_audience(CASES)
}

async fn fetch_api_cases() -> ApiCases {
    let network = |e: gloo_net::Error| LiveError::Network {
        what: CASES,
        reason: e.to_string(),
    };
    let resp = match gloo_net::http::Request::get(&cases_url()).send().await {
        Ok(r) => r,
        Err(e) => return ApiCases::Failed(network(e)),
    };
    if resp.status() == 404 {
        return ApiCases::NoApi;
    }
    if resp.status() == 401 {
        return ApiCases::Unauthenticated;
    }
    if !resp.ok() {
        return ApiCases::Failed(LiveError::Http {
            what: CASES,
            status: resp.status(),
        });
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
        Err(e) => ApiCases::Failed(network(e)),
    }
}

/// Waits `ms` (a timer; no animation frame needed).
async fn sleep(ms: f64) {
    TimeoutFuture::new(ms.round().max(0.0) as u32).await;
}

/// The case file at page load: `api/cases.bin` (the live store, with the
/// sequence number it is consistent with) or, when there is no live API
/// (404), `data/cases_recent.bin` (static, no stream). Any other failure (a
/// server restarting) is retried with backoff, the indicator offline.
pub async fn fetch_cases(
    state: AppState,
    data_url: &str,
) -> Result<(Vec<u8>, Option<Seq>), FetchError> {
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
            ApiCases::Unauthenticated => {
                auth::lost(state.session);
                if !auth::signed_in(state.session).await {
                    return Err(FetchError::Unauthenticated {
                        url: CASES.into(),
                        code: "unauthenticated".into(),
                        detail: String::new(),
                    });
                }
            }
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
    fetch_bytes(data_url).await.map(|b| (b, None))
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

/// Each hazard's status as in its file, for a store reset (Ahead).
pub(super) fn remember_hazards(state: AppState) {
    if let Some(e) = state.entry(LayerId::Hazards) {
        let file = e.data.with_untracked(|d| match d.as_deref() {
            Some(LayerData::Points(p)) => p.state.clone(),
            _ => Vec::new(),
        });
        CORE.with(|c| c.borrow_mut().hazard_file = file);
    }
}

/// The case file again every few hours: the 30-day window moves and
/// overdue colours follow the clock (the same path as a snapshot's reload).
pub(super) fn start_refresh(state: AppState) {
    let refresh = Interval::new(REFRESH_MS, move || refresh_cases(state));
    CORE.with(|c| c.borrow_mut().timers.push(refresh));
}

/// The small layers' state at a known seq, so the stream can start at
/// min(case file, snapshot) without a second case download: queued (the
/// caller applies it before the hello).
pub(super) async fn fetch_initial() {
    const LIVE: &str = "api/live";
    let got = match gloo_net::http::Request::get(&crate::web::fetch::for_audience(LIVE))
        .send()
        .await
    {
        Ok(r) if r.ok() => r
            .text()
            .await
            .map_err(|e| LiveError::Network {
                what: LIVE,
                reason: e.to_string(),
            })
            .and_then(|t| {
                crate::wire::decode_snapshot(&t).map_err(|e| LiveError::Decode {
                    what: LIVE,
                    reason: e.to_string(),
                })
            }),
        Ok(r) => Err(LiveError::Http {
            what: LIVE,
            status: r.status(),
        }),
        Err(e) => Err(LiveError::Network {
            what: LIVE,
            reason: e.to_string(),
        }),
    };
    if !running() {
        return;
    }
    match got {
        Ok(s) => {
            // Bases for the small layers only (the cursor stays unset:
            // since = min(case file, this), no case event between the two
            // is lost).
            CORE.with(|c| {
                c.borrow_mut().queue.push_back(Item::Initial(Snapshot {
                    reload: Vec::new(),
                    ..s
                }))
            });
        }
        Err(e) => warn(&e.to_string()),
    }
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
pub(super) fn reload_cases(state: AppState) {
    let Some(e) = state.entry(LayerId::Cases) else {
        return;
    };
    let gen = CORE.with(|c| c.borrow_mut().seq.begin_fetch(Topic::Cases));
    log("live: fetching api/cases.bin again");
    leptos::task::spawn_local(async move {
        let result = match fetch_api_cases().await {
            ApiCases::Live(bytes, seq) => data::build(e.def, &bytes, now_s())
                .map(|d| (d, seq))
                .map_err(|err| LiveError::Parse(err.to_string())),
            ApiCases::NoApi => Err(LiveError::Gone),
            ApiCases::Unauthenticated => {
                auth::lost(state.session);
                Err(LiveError::Http {
                    what: CASES,
                    status: 401,
                })
            }
            ApiCases::Failed(err) => Err(err),
        };
        if !running() {
            return;
        }
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
                    if running() && CORE.with(|c| c.borrow().seq.needs_fetch(Topic::Cases)) {
                        reload_cases(state);
                    }
                }
            }
        }
        request_frame();
    });
}
