//! The focus driver: feeds the model's `wall::focus::focus_at` with the
//! facts this page has (alarm-level alerts from the live ticker, urgent
//! cases from the stream and, at load, those of the last day
//! (`GET /api/cases/urgent`), the group's scene, the subdistricts as tour
//! stops) and the server's clock, and shows what it says: the camera (this
//! tile's window of the wall camera, `Tiling::tile_camera`), the focused
//! item pulsing and selected, the callout's state. No timer decides
//! anything: a timer only asks again (in animation frames while a flight is
//! under way; at the end of what is shown, at the next pulse, or at once
//! when a fact changes), so every tile with the same facts and clock shows
//! the same camera. Scenes: `scenes` (this module's facts). Released at
//! unmount (the pending frame and timer cancelled).

use super::{scenes, server_now_ms, Wall};
use crate::data::LayerData;
use crate::live::{self, Note};
use crate::state::AppState;
use crate::web;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use pingan_model::layers::LayerId;
use pingan_model::live::{Case, Change};
use pingan_model::projection::to_lonlat;
use pingan_model::wall::focus::{
    focus_at, keep_urgent, urgent_counts, FocusConfig, FocusItem, FocusKey, FocusState, Showing,
    TourStop, URGENT_KEPT,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A focused item pulses this often (ms): a ring at a time.
const PULSE_EVERY_MS: f64 = 2_000.0;
/// With nothing under way, ask again at least this often (ms).
const IDLE_ASK_MS: f64 = 5_000.0;

/// What the driver knows.
#[derive(Default)]
struct Facts {
    /// Urgent cases seen on the stream or read (`load_reported`), by id,
    /// with the time the server accepted each (its event's `at_ms`); a
    /// day's, at most 256 (`keep_urgent`).
    cases: BTreeMap<u32, (Case, i64)>,
    /// The urgent dispatch rules (`dispatch_rules.json`'s `urgent`).
    urgent: Vec<String>,
    /// The rules have been read (a missing file reads as none; a failed
    /// fetch is tried again): until then cases with a rule wait in
    /// `pending`, so one reported in the first seconds of a wall is not
    /// missed.
    rules_read: bool,
    pending: Vec<(Case, i64)>,
    /// The store's identity the cases are from (the last snapshot's): a
    /// store replaced or reset numbers its cases anew.
    epoch: Option<String>,
    stops: Vec<TourStop>,
    /// The focus ring last started: (the focus's `since_ms`, ring number).
    last_ring: Option<(i64, i64)>,
    /// The selection this driver made (cleared when the focus leaves).
    selected: Option<(LayerId, u32)>,
    frame: Option<i32>,
    frame_cb: Option<Closure<dyn FnMut(f64)>>,
    timer: Option<Timeout>,
    /// The retry of a failed read of the rules (cancelled at the unmount's
    /// reset of the facts).
    rules_retry: super::retry::Retry,
    /// The retry of a failed read of the urgent cases reported before the
    /// wall loaded.
    reported_retry: super::retry::Retry,
}

/// The body of `GET /api/cases/urgent`: the urgent cases the server
/// accepted in the last day, newest first, masked.
#[derive(serde::Deserialize)]
struct Reported {
    cases: Vec<ReportedCase>,
}

#[derive(serde::Deserialize)]
struct ReportedCase {
    accepted_ms: i64,
    case: Case,
}

impl Facts {
    /// Takes in cases with the times the server accepted them: those of an
    /// urgent rule, each once (a case the stream and the read both bring is
    /// the same case with the same time), within `keep_urgent`'s bounds.
    fn remember(&mut self, cases: impl IntoIterator<Item = (Case, i64)>) {
        for (case, at) in cases {
            if case.rule.as_ref().is_some_and(|r| self.urgent.contains(r)) {
                self.cases.entry(case.id).or_insert((case, at));
            }
        }
        keep_urgent(&mut self.cases, server_now_ms() as i64);
    }
}

thread_local! {
    static FACTS: RefCell<Facts> = RefCell::new(Facts::default());
    /// Bumped at every mount and unmount: the rules' answer after an
    /// unmount is dropped (it would start frames for a wall that is gone).
    static MOUNT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The focus items at server time `t`: alarm-level alerts of the ticker,
/// the urgent cases that count at `t` (`urgent_counts`).
fn items(state: AppState, t: i64) -> Vec<FocusItem> {
    let mut out: Vec<FocusItem> = FACTS.with(|f| {
        let f = f.borrow();
        let alerts = state
            .live
            .alerts
            .with_untracked(|a| a.iter().filter_map(FocusItem::of_alert).collect::<Vec<_>>());
        alerts
            .into_iter()
            .chain(
                f.cases
                    .values()
                    .filter(|(_, at)| urgent_counts(*at, t))
                    .filter_map(|(c, at)| FocusItem::of_case(c, *at, true)),
            )
            .collect()
    });
    out.sort_by_key(|i| (i.at_ms, i.key));
    out
}

/// The subdistricts as tour stops (by code), from their layer.
fn tour_stops(state: AppState) -> Vec<TourStop> {
    let Some(e) = state.entry(LayerId::Subdistricts) else {
        return Vec::new();
    };
    let mut stops: Vec<TourStop> = e.data.with_untracked(|d| match d.as_deref() {
        Some(LayerData::Areas(a)) => a
            .features
            .iter()
            .zip(&a.bboxes)
            .map(|(f, b)| {
                let (lon0, lat1) = to_lonlat(pingan_model::projection::World {
                    x: b.min[0],
                    y: b.min[1],
                });
                let (lon1, lat0) = to_lonlat(pingan_model::projection::World {
                    x: b.max[0],
                    y: b.max[1],
                });
                TourStop {
                    code: f
                        .str_prop("code")
                        .or(f.id.as_deref())
                        .unwrap_or("")
                        .to_string(),
                    min: [lon0.min(lon1), lat0.min(lat1)],
                    max: [lon0.max(lon1), lat0.max(lat1)],
                }
            })
            .collect(),
        _ => Vec::new(),
    });
    stops.sort_by(|a, b| a.code.cmp(&b.code));
    stops
}

/// What the wall shows at server time `t`, and the time of the next fact
/// dated after `t` (a scene stamped by the server a few ms ahead of this
/// page's estimate of its clock: it is shown at that time, not before).
pub fn compute(wall: Wall, state: AppState, t: i64) -> (FocusState, Option<i64>) {
    let cfg = wall.params.with_value(|p| {
        FocusConfig::new(
            p,
            &wall.tiling.get_untracked(),
            &wall.layout.get_untracked(),
        )
    });
    let scene = scenes::shown(&cfg);
    let items = items(state, t);
    let next = items
        .iter()
        .map(|i| i.at_ms)
        .chain(scene.as_ref().map(|s| s.started_ms))
        .filter(|x| *x > t)
        .min();
    let fs = FACTS.with(|f| focus_at(&items, scene.as_ref(), &f.borrow().stops, &cfg, t));
    (fs, next)
}

/// The world point of a focus item (for its pulse) and its map selection.
/// A focused item's world point and its map selection.
type Target = ([f64; 2], Option<(LayerId, u32)>);

fn item_target(state: AppState, key: FocusKey) -> Option<Target> {
    match key {
        FocusKey::Alert(id) => {
            let a = state
                .live
                .alerts
                .with_untracked(|a| a.iter().find(|a| a.id == id).cloned())?;
            let w = crate::data::world_of(a.lon, a.lat);
            let key = state.entry(LayerId::Sensors).and_then(|e| {
                e.data.with_untracked(|d| match d.as_deref() {
                    Some(LayerData::Points(p)) => p.feature_key(&a.sensor),
                    _ => None,
                })
            });
            Some((w, key.map(|k| (LayerId::Sensors, k))))
        }
        FocusKey::Case(id) => {
            let (c, _) = FACTS.with(|f| f.borrow().cases.get(&id).cloned())?;
            let w = crate::data::world_of(c.lon, c.lat);
            let key = state.entry(LayerId::Cases).and_then(|e| {
                e.data.with_untracked(|d| match d.as_deref() {
                    Some(LayerData::Points(p)) => p.case_key(id),
                    _ => None,
                })
            });
            Some((w, key.map(|k| (LayerId::Cases, k))))
        }
    }
}

/// The subdistrict code of tour stop `i` (for the callout).
pub fn stop_code(i: usize) -> Option<String> {
    FACTS.with(|f| f.borrow().stops.get(i).map(|s| s.code.clone()))
}

/// An urgent case this driver knows (for the callout).
pub fn urgent_case(id: u32) -> Option<Case> {
    FACTS.with(|f| f.borrow().cases.get(&id).map(|(c, _)| c.clone()))
}

fn step(wall: Wall, state: AppState) {
    FACTS.with(|f| f.borrow_mut().frame = None);
    if !state.sized.get_untracked() {
        return;
    }
    let t = server_now_ms();
    let (fs, next_fact) = compute(wall, state, t as i64);
    scenes::follow_layers(wall, state);
    // The camera: this tile's window of the wall camera.
    let tiling = wall.tiling.get_untracked();
    let (col, row) = wall.params.with_value(|p| (p.tile_col, p.tile_row));
    let whole = tiling.wall_camera(fs.view.center, fs.view.zoom);
    let tile = if wall.whole.get_untracked() {
        whole
    } else {
        tiling.tile_camera(&whole, col, row)
    };
    let cam = state.camera.get_untracked();
    let moved = (cam.zoom - tile.zoom).abs() > 1e-9
        || (cam.center.x - tile.center.x).abs() > 1e-15
        || (cam.center.y - tile.center.y).abs() > 1e-15;
    // The wall's canvas, for the labels and badges laid out on it.
    let view = crate::render::WallView {
        cam: whole,
        origin: {
            let (x, y) = super::origin(wall);
            [x, y]
        },
        screens: tiling
            .tiles()
            .map(|(_, _, r)| [r.x, r.y, r.right(), r.bottom()])
            .collect(),
        boxes: wall.layout.with_untracked(|l| {
            l.boxes
                .iter()
                .filter(|(id, _)| *id != pingan_model::wall::tiling::BoxId::Callout)
                .map(|(_, r)| [r.x, r.y, r.right(), r.bottom()])
                .collect()
        }),
    };
    if state
        .wall_view
        .with_untracked(|v| v.as_ref() != Some(&view))
    {
        state.wall_view.set(Some(view));
    }
    if moved {
        state.camera.update(|c| {
            c.center = tile.center;
            c.zoom = tile.zoom;
        });
    }
    // The focused item: selected, pulsing.
    let focused = match fs.showing {
        Showing::Focus { key, .. } => item_target(state, key),
        _ => None,
    };
    // Ring k of a focus starts at since_ms + k × PULSE_EVERY_MS on the
    // server's clock, so every tile of a wall draws the same ring at the
    // same moment (a ring started by each page's own timer is out of phase
    // at the seam).
    let ring = ((t - fs.since_ms as f64) / PULSE_EVERY_MS).floor().max(0.0) as i64;
    let (pulse_due, sel_before) = FACTS.with(|f| {
        let f = f.borrow();
        (f.last_ring != Some((fs.since_ms, ring)), f.selected)
    });
    let sel_now = match &focused {
        Some((_, sel)) => *sel,
        None => scenes::highlight(state),
    };
    if sel_now != sel_before {
        // Only what this driver selected is replaced (a wall has no other).
        state.selected.set(sel_now);
        FACTS.with(|f| f.borrow_mut().selected = sel_now);
    }
    // A frozen clock (tests) is a still picture: no new pulse.
    if let (Some((w, _)), true, false) = (&focused, pulse_due, super::frozen()) {
        let started = fs.since_ms as f64 + ring as f64 * PULSE_EVERY_MS;
        live::pulse_at(*w, "#ff3b3b", crate::web::time::now_ms() - (t - started));
        FACTS.with(|f| f.borrow_mut().last_ring = Some((fs.since_ms, ring)));
        crate::frame::request_frame();
    }
    if wall.focus.get_untracked().as_ref() != Some(&fs) {
        wall.focus.set(Some(fs.clone()));
    }
    // When to ask again.
    if fs.flying_until_ms.is_some() {
        next_frame(wall, state);
    } else {
        let mut wait = IDLE_ASK_MS;
        for u in fs.until_ms.into_iter().chain(next_fact) {
            wait = wait.min(u as f64 - t + 1.0);
        }
        if focused.is_some() {
            let next_ring = fs.since_ms as f64 + (ring + 1) as f64 * PULSE_EVERY_MS;
            wait = wait.min(next_ring - t + 1.0);
        }
        let timer = Timeout::new(wait.clamp(16.0, IDLE_ASK_MS) as u32, move || {
            kick(wall, state)
        });
        // Replacing drops (cancels) the one before.
        FACTS.with(|f| f.borrow_mut().timer = Some(timer));
    }
}

fn next_frame(wall: Wall, state: AppState) {
    FACTS.with(|f| {
        let mut f = f.borrow_mut();
        if f.frame.is_some() {
            return;
        }
        let cb = f
            .frame_cb
            .get_or_insert_with(|| Closure::new(move |_t: f64| step(wall, state)));
        f.frame = web_sys::window()
            .and_then(|w| w.request_animation_frame(cb.as_ref().unchecked_ref()).ok());
    });
}

/// Asks at once (the tests' frozen clock: what they read next is the new state).
pub fn ask_now(wall: Wall, state: AppState) {
    let (old, frame) = FACTS.with(|f| {
        let mut f = f.borrow_mut();
        (f.timer.take(), f.frame.take())
    });
    drop(old);
    if let (Some(id), Some(w)) = (frame, web_sys::window()) {
        let _ = w.cancel_animation_frame(id);
    }
    step(wall, state);
}

/// Something changed (a fact, the size): ask again at the next frame.
pub fn kick(wall: Wall, state: AppState) {
    let old = FACTS.with(|f| f.borrow_mut().timer.take());
    drop(old);
    next_frame(wall, state);
}

/// Reads the urgent rules; a failed read (server restarting, network
/// down) is tried again after 2…60 s, a missing file (404) is no urgent
/// rule. Cases wait in `pending` meanwhile.
async fn load_urgent(wall: Wall, state: AppState) {
    let mount = MOUNT.get();
    let answer =
        web::fetch::send_json(web::fetch::Method::Get, "data/dispatch_rules.json", None).await;
    if MOUNT.get() != mount {
        return;
    }
    let text = match answer {
        Ok(t) => t,
        Err(web::fetch::FetchError::Http { status: 404, .. }) => String::new(),
        Err(_) => {
            FACTS.with(|f| {
                f.borrow_mut().rules_retry.failed(move || {
                    if MOUNT.get() == mount {
                        leptos::task::spawn_local(load_urgent(wall, state));
                    }
                })
            });
            return;
        }
    };
    let urgent: Vec<String> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("urgent")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default();
    FACTS.with(|f| {
        let mut f = f.borrow_mut();
        f.urgent = urgent;
        f.rules_read = true;
        f.rules_retry.succeeded();
        let pending = std::mem::take(&mut f.pending);
        f.remember(pending);
    });
    leptos::task::spawn_local(load_reported(wall, state));
    kick(wall, state);
}

/// Reads the urgent cases reported before this wall loaded (after the
/// rules, which it filters them by as it does the stream's): a wall
/// reloaded, or one tile of a spanning wall loaded after a report, takes
/// the focus on it as the walls that saw it on the stream do (the same
/// item, from its acceptance). A case the stream brought meanwhile is
/// kept as it is (the same case, the same time). A failed read is tried
/// again after 2…60 s; a server without the endpoint (404) has none.
async fn load_reported(wall: Wall, state: AppState) {
    let mount = MOUNT.get();
    let answer = web::fetch::send_json(web::fetch::Method::Get, "api/cases/urgent", None).await;
    if MOUNT.get() != mount {
        return;
    }
    let list = match answer {
        Ok(t) => serde_json::from_str::<Reported>(&t).map(|r| r.cases).ok(),
        Err(web::fetch::FetchError::Http { status: 404, .. }) => Some(Vec::new()),
        Err(_) => None,
    };
    let Some(list) = list else {
        FACTS.with(|f| {
            f.borrow_mut().reported_retry.failed(move || {
                if MOUNT.get() == mount {
                    leptos::task::spawn_local(load_reported(wall, state));
                }
            })
        });
        return;
    };
    FACTS.with(|f| {
        let mut f = f.borrow_mut();
        f.reported_retry.succeeded();
        f.remember(list.into_iter().map(|r| (r.case, r.accepted_ms)));
    });
    kick(wall, state);
}

/// Starts the driver (at the wall's mount).
pub fn start(wall: Wall, state: AppState) {
    MOUNT.set(MOUNT.get().wrapping_add(1));
    leptos::task::spawn_local(load_urgent(wall, state));
    live::observe(move |note| {
        let e = match note {
            Note::Event(e) => e,
            // Events may have been skipped (a gap longer than the replay,
            // the stream starting from a later base than the first read):
            // the urgent cases are read again, once the rules are known
            // (until then the rules' read does it).
            Note::Snapshot { snapshot, .. } => {
                let read = FACTS.with(|f| {
                    let mut f = f.borrow_mut();
                    // Another store: what came from the old one is not this
                    // store's (its ids start again); a tile loaded now has none.
                    if f.epoch.as_ref().is_some_and(|e| *e != snapshot.epoch) {
                        f.cases.clear();
                        f.pending.clear();
                    }
                    f.epoch = Some(snapshot.epoch.clone());
                    f.rules_read
                });
                if read {
                    leptos::task::spawn_local(load_reported(wall, state));
                }
                return;
            }
            Note::Clock { .. } => return,
        };
        match &e.change {
            Change::CaseReported { case } => {
                FACTS.with(|f| {
                    let mut f = f.borrow_mut();
                    if !f.rules_read && case.rule.is_some() {
                        // Full (the rules' read failing long): the oldest go,
                        // the newest are the likeliest still to be shown.
                        if f.pending.len() >= URGENT_KEPT {
                            f.pending.remove(0);
                        }
                        f.pending.push((case.clone(), e.at_ms));
                    } else {
                        f.remember([(case.clone(), e.at_ms)]);
                    }
                });
            }
            _ => return,
        }
        kick(wall, state);
    });
    // Alerts change (raised, acknowledged, cleared): ask again.
    Effect::new(move |_| {
        state.live.alerts.track();
        kick(wall, state);
    });
    // The tour's stops follow the subdistrict layer; the size, the layout.
    Effect::new(move |_| {
        if let Some(e) = state.entry(LayerId::Subdistricts) {
            e.data.track();
        }
        let stops = tour_stops(state);
        FACTS.with(|f| f.borrow_mut().stops = stops);
        kick(wall, state);
    });
    Effect::new(move |_| {
        wall.layout.track();
        state.sized.track();
        kick(wall, state);
    });
    on_cleanup(|| {
        MOUNT.set(MOUNT.get().wrapping_add(1));
        let old = FACTS.with(|f| std::mem::take(&mut *f.borrow_mut()));
        if let (Some(id), Some(w)) = (old.frame, web_sys::window()) {
            let _ = w.cancel_animation_frame(id);
        }
        drop(old);
    });
}
