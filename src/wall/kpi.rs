//! The KPI band's and the ranking's figures (contracts 6 and 7):
//! `GET /api/kpi` at load gives the figures at a seq with their basis and
//! the safety ranking; every stream event after that seq moves the figures
//! on with the model's `Kpis::apply` (so they equal what the server would
//! compute at the newer seq), and a timer moves them with time alone
//! (`Kpis::refresh`: deadlines pass, sensors fall silent, midnight). Events
//! that arrive before the answer wait for it (bounded); a snapshot on the
//! stream (events may have been skipped) and every few minutes (the safety
//! index changes with time) fetch it again. While a refetch is under way
//! events still move the figures shown (and are kept for the answer); a
//! request asked for during one is made once it ends; a failed one is tried
//! again after 2, 4, … 60 s.

use crate::live::{self, Note};
use crate::web::{self, fetch};
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use pingan_model::live::{Event, Seq};
use pingan_model::wall::kpi::Kpis;
use pingan_model::wall::safety::SafetyRow;
use serde::Deserialize;
use std::cell::{Cell, RefCell};

/// The body of `GET /api/kpi`.
#[derive(Deserialize)]
struct Answer {
    seq: Seq,
    kpis: Kpis,
    #[serde(default)]
    safety: Vec<SafetyRow>,
}

/// Events kept while the first answer is awaited.
const WAITING: usize = 4096;
/// The figures are fetched again this often (ms): the safety index moves
/// with time, and a fresh basis bounds any drift.
const REFETCH_MS: u32 = 10 * 60 * 1000;
/// Time alone moves the figures this often (ms).
const REFRESH_MS: u32 = 15_000;

#[derive(Default)]
struct KpiCore {
    /// The figures with their basis (what events apply to).
    kpis: Option<Kpis>,
    /// Events received before the first answer (or during a refetch).
    waiting: Vec<Event>,
    fetching: bool,
    /// A fetch was asked for while one was under way (its answer may be
    /// older than what asked): fetch again when it ends.
    again: bool,
    /// The retry after a failed fetch.
    retry: super::retry::Retry,
}

thread_local! {
    static CORE: RefCell<KpiCore> = RefCell::new(KpiCore::default());
    /// Bumped at every mount and unmount: an answer that lands after its
    /// wall was unmounted is dropped.
    static MOUNT: Cell<u32> = const { Cell::new(0) };
}

/// The figures the panels show (no basis) and the ranking.
#[derive(Clone, Copy)]
pub struct KpiView {
    pub figures: RwSignal<Option<Kpis>>,
    pub safety: RwSignal<Vec<SafetyRow>>,
}

fn now_s() -> i64 {
    (super::server_now_ms() / 1000.0) as i64
}

fn publish(view: KpiView) {
    let figures = CORE.with(|c| c.borrow().kpis.as_ref().map(Kpis::figures));
    if view.figures.get_untracked() != figures {
        view.figures.set(figures);
    }
}

async fn fetch_kpis(view: KpiView) {
    if CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.again |= c.fetching;
        std::mem::replace(&mut c.fetching, true)
    }) {
        return;
    }
    let mount = MOUNT.get();
    let got = fetch::send_json(fetch::Method::Get, "api/kpi", None).await;
    if MOUNT.get() != mount {
        return;
    }
    let parsed = got
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Answer>(&t).map_err(|e| e.to_string()));
    let now = now_s();
    let (ok, again) = CORE.with(|c| {
        let mut c = c.borrow_mut();
        c.fetching = false;
        let ok = match parsed {
            Ok(a) => {
                let mut k = a.kpis;
                k.seq = k.seq.max(a.seq);
                // Events that came meanwhile, newer than the answer.
                for e in std::mem::take(&mut c.waiting) {
                    k.apply(&e, now);
                }
                k.refresh(now);
                c.kpis = Some(k);
                c.retry.succeeded();
                Ok(a.safety)
            }
            Err(e) => {
                // The figures shown already hold the events that came
                // meanwhile; without any, they wait for the retry.
                if c.kpis.is_some() {
                    c.waiting.clear();
                }
                c.retry
                    .failed(move || leptos::task::spawn_local(fetch_kpis(view)));
                Err(e)
            }
        };
        (ok, std::mem::take(&mut c.again))
    });
    match ok {
        Ok(safety) => {
            if !safety.is_empty() {
                view.safety.set(safety);
            }
            publish(view);
        }
        Err(e) => web_sys::console::warn_1(&format!("wall: api/kpi: {e}").into()),
    }
    if again {
        leptos::task::spawn_local(fetch_kpis(view));
    }
}

fn on_event(view: KpiView, e: &Event) {
    let moved = CORE.with(|c| {
        let mut c = c.borrow_mut();
        if c.fetching || c.kpis.is_none() {
            // Full (a long failure of the first fetch): the oldest go, the
            // answer's seq covers them sooner than the newest.
            if c.waiting.len() >= WAITING {
                c.waiting.remove(0);
            }
            c.waiting.push(e.clone());
        }
        let now = now_s();
        c.kpis.as_mut().is_some_and(|k| k.apply(e, now))
    });
    if moved {
        publish(view);
    }
}

/// Starts following the figures (at the wall's mount; released with it).
pub fn start() -> KpiView {
    MOUNT.set(MOUNT.get().wrapping_add(1));
    let view = KpiView {
        figures: RwSignal::new(None),
        safety: RwSignal::new(Vec::new()),
    };
    leptos::task::spawn_local(fetch_kpis(view));
    live::observe(move |note| match note {
        Note::Event(e) => on_event(view, e),
        Note::Snapshot { stream: true, .. } => leptos::task::spawn_local(fetch_kpis(view)),
        Note::Snapshot { .. } => {}
        Note::Clock { .. } => {}
    });
    web::hold(Interval::new(REFRESH_MS, move || {
        let now = now_s();
        CORE.with(|c| {
            if let Some(k) = c.borrow_mut().kpis.as_mut() {
                k.refresh(now);
            }
        });
        publish(view);
    }));
    web::hold(Interval::new(REFETCH_MS, move || {
        leptos::task::spawn_local(fetch_kpis(view))
    }));
    on_cleanup(|| {
        MOUNT.set(MOUNT.get().wrapping_add(1));
        CORE.with(|c| *c.borrow_mut() = KpiCore::default());
    });
    view
}

/// The figures as JSON, moved by time to Unix second `at` if given (the
/// test hook compares them with `GET /api/kpi` at its `at`).
pub fn figures_json(at: Option<i64>) -> String {
    CORE.with(|c| {
        let c = c.borrow();
        let Some(k) = c.kpis.as_ref() else {
            return String::new();
        };
        let mut k = k.clone();
        if let Some(at) = at {
            k.refresh(at);
        }
        serde_json::to_string(&k.figures()).unwrap_or_default()
    })
}
