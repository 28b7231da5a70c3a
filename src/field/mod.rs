//! The field mode's runtime (`?mode=field`, issue 10: officers on phones,
//! often without signal): what runs behind its layout (`layouts/field.rs`)
//! and its panels (`panels/field/`). [`Field`] holds the signals (Copy
//! handles, provided through context by [`start`]); one file per concern:
//! the Geolocation watch (`geo`), the nearest list (`near`), where the
//! officer stands (`place`), the outbox of writes kept in IndexedDB and sent
//! exactly once (`outbox`), photos (`photo`), the service worker and the
//! network (`offline`). The rules — accuracy, when to recompute, when the
//! officer is still, the nearest search, the outbox's states — are the
//! model's (`pingan_model::field`). Everything [`start`] starts is released
//! when the layout unmounts.

pub mod geo;
pub mod near;
pub mod offline;
pub mod outbox;
pub mod photo;
pub mod place;

use crate::frame::request_frame;
use crate::live::{self, Note};
use crate::render::position::Mark;
use crate::state::AppState;
use crate::web::{self, time::now_ms};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use pingan_model::domain::HazardType;
use pingan_model::field::position::{Fix, Motion, Quality, Tracker};
use pingan_model::layers::LayerId;
use pingan_model::live::{Change, Topic};
use pingan_model::projection::to_world;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use geo::{GeoStatus, Precision};

/// What the sheet shows.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    /// Where I am and the nearest items.
    List,
    /// One item (the app's selection): details, contacts, navigate, act.
    Item,
    /// The report form.
    Report,
    /// The writes kept for sending and their state.
    Outbox,
}

/// How far the sheet is pulled up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    Peek,
    Half,
    Full,
}

impl Sheet {
    /// The share of the screen's height the sheet covers.
    pub fn share(self) -> f64 {
        match self {
            Sheet::Peek => 0.34,
            Sheet::Half => 0.55,
            Sheet::Full => 0.9,
        }
    }
    pub fn up(self) -> Sheet {
        match self {
            Sheet::Peek => Sheet::Half,
            _ => Sheet::Full,
        }
    }
    pub fn down(self) -> Sheet {
        match self {
            Sheet::Full => Sheet::Half,
            _ => Sheet::Peek,
        }
    }
}

/// The field mode's state (Copy handles).
#[derive(Clone, Copy)]
pub struct Field {
    /// The last fix of the Geolocation watch.
    pub fix: RwSignal<Option<Fix>>,
    /// A position set by a tap on the map (wins over the fix while set).
    pub manual: RwSignal<Option<[f64; 2]>>,
    pub geo: RwSignal<GeoStatus>,
    /// The map follows the position.
    pub follow: RwSignal<bool>,
    /// The officer has not moved for a while (coarse, cheaper positions).
    pub still: RwSignal<bool>,
    /// The nearest items, recomputed (throttled) as the position moves or
    /// the data changes.
    pub near: RwSignal<Arc<near::Nearby>>,
    /// Only this type of hazard in the list.
    pub hazard_type: RwSignal<Option<HazardType>>,
    pub view: RwSignal<View>,
    pub sheet: RwSignal<Sheet>,
    pub online: RwSignal<bool>,
    /// When the worker stored the data shown (Unix ms), once known.
    pub stored_at: RwSignal<Option<f64>>,
    pub outbox: outbox::Outbox,
    /// How long the last nearest list took (ms; tests and the benchmark).
    pub near_ms: RwSignal<f64>,
}

impl Field {
    /// Where the officer is (lon/lat): the tapped point, else the fix.
    pub fn at(&self) -> Option<[f64; 2]> {
        self.manual
            .get()
            .or_else(|| self.fix.get().map(|f| [f.lon, f.lat]))
    }
    pub fn at_untracked(&self) -> Option<[f64; 2]> {
        self.manual
            .get_untracked()
            .or_else(|| self.fix.get_untracked().map(|f| [f.lon, f.lat]))
    }
    /// The fix's accuracy is worse than the warning threshold (and no
    /// position was set by hand).
    pub fn poor(&self) -> bool {
        self.manual.get().is_none() && self.fix.get().is_some_and(|f| f.quality() != Quality::Good)
    }
}

fn world(lon: f64, lat: f64) -> [f64; 2] {
    let w = to_world(lon, lat);
    [w.x, w.y]
}

/// Recomputes happen at most this often (ms).
const NEAR_EVERY_MS: f64 = 1000.0;
/// A phone on its side (as `assets/style.css` decides): the sheet covers
/// this share of the width, on the right.
const LANDSCAPE_MAX_H: f64 = 500.0;
const LANDSCAPE_SHEET: f64 = 0.52;
/// The zoom the map goes to at the first position.
const STREET_ZOOM: f64 = 16.0;

thread_local! {
    static WATCH: RefCell<Option<geo::Watch>> = const { RefCell::new(None) };
    static TRACKER: RefCell<Tracker> = RefCell::new(Tracker::default());
}

/// Starts the field mode's runtime: the watch, the nearest list, the
/// outbox, the service worker; provides [`Field`].
pub fn start(state: AppState) -> Field {
    let f = Field {
        fix: RwSignal::new(None),
        manual: RwSignal::new(None),
        geo: RwSignal::new(GeoStatus::Waiting),
        follow: RwSignal::new(true),
        still: RwSignal::new(false),
        near: RwSignal::new(Arc::new(near::Nearby::default())),
        hazard_type: RwSignal::new(None),
        view: RwSignal::new(View::List),
        sheet: RwSignal::new(Sheet::Peek),
        online: RwSignal::new(offline::online()),
        stored_at: RwSignal::new(None),
        outbox: outbox::Outbox::new(),
        near_ms: RwSignal::new(0.0),
    };
    provide_context(f);
    TRACKER.with(|t| *t.borrow_mut() = Tracker::new());
    offline::register_worker();
    start_watch(f, Precision::High);
    on_cleanup(|| WATCH.with(|w| w.borrow_mut().take()).map_or((), drop));

    // The map's "you are here".
    Effect::new(move |_| {
        let mark = match (f.manual.get(), f.fix.get()) {
            (Some([lon, lat]), _) => Some(Mark {
                at: world(lon, lat),
                accuracy_m: 0.0,
                heading: None,
                poor: false,
                manual: true,
            }),
            (None, Some(x)) => Some(Mark {
                at: world(x.lon, x.lat),
                accuracy_m: x.accuracy_m,
                heading: x.heading,
                poor: x.quality() != Quality::Good,
                manual: false,
            }),
            _ => None,
        };
        state.position.set(mark);
    });
    // Follow: the camera keeps the position in the part of the map above
    // the sheet (the first position also zooms in to the street).
    Effect::new(move |zoomed: Option<bool>| {
        let at = f.at();
        let follow = f.follow.get();
        let sheet = f.sheet.get();
        let sized = state.sized.get();
        let Some([lon, lat]) = at.filter(|_| follow && sized) else {
            return zoomed.unwrap_or(false);
        };
        let w = to_world(lon, lat);
        state.camera.update(|c| {
            if zoomed != Some(true) && c.zoom < STREET_ZOOM {
                c.zoom = STREET_ZOOM;
            }
            // The point sits in the middle of the map's visible part: above
            // the sheet, or left of it on a phone held sideways (the CSS).
            c.center = w;
            if c.width > c.height && c.height <= LANDSCAPE_MAX_H {
                c.pan_by(-c.width * LANDSCAPE_SHEET / 2.0, 0.0);
            } else {
                c.pan_by(0.0, -c.height * sheet.share() / 2.0);
            }
        });
        true
    });
    // A tap on the map while picking sets the position by hand.
    Effect::new(move |_| {
        if let Some(p) = state.picked.get() {
            f.manual.set(Some(p));
            f.follow.set(true);
        }
    });

    // The nearest list: after a move that matters (the model's tracker),
    // a change of filter, of data or a live event on a listed layer; at
    // most once a second, by one timer that exists only while one is due.
    let pending: Rc<RefCell<Option<Timeout>>> = Rc::new(RefCell::new(None));
    let last_run = Rc::new(std::cell::Cell::new(f64::NEG_INFINITY));
    let schedule = {
        let pending = pending.clone();
        let last_run = last_run.clone();
        Rc::new(move || {
            if pending.borrow().is_some() {
                return;
            }
            let wait = (last_run.get() + NEAR_EVERY_MS - now_ms()).max(0.0);
            let (pending2, last_run2) = (pending.clone(), last_run.clone());
            let run = move || {
                pending2.borrow_mut().take();
                last_run2.set(now_ms());
                recompute(state, f);
            };
            if wait <= 0.0 {
                // Now, but outside the caller (an Effect or a live batch).
                *pending.borrow_mut() = Some(Timeout::new(0, run));
            } else {
                *pending.borrow_mut() = Some(Timeout::new(wait.ceil() as u32, run));
            }
        })
    };
    {
        let schedule = schedule.clone();
        Effect::new(move |_| {
            f.manual.track();
            f.hazard_type.track();
            state.lang.track();
            for id in [
                LayerId::Hazards,
                LayerId::Sensors,
                LayerId::Cases,
                LayerId::Grids,
            ] {
                if let Some(e) = state.entry(id) {
                    e.data.track();
                }
            }
            schedule();
        });
    }
    // Each fix through the model's tracker: a move that matters asks for
    // the list; stillness (and moving again) switches the watch's
    // precision. While moving, one timer waits for the moment the officer
    // would count as still (a still phone may send no fixes at all).
    let still_timer: Rc<RefCell<Option<Timeout>>> = Rc::new(RefCell::new(None));
    let tick_timer: Rc<RefCell<Option<Timeout>>> = Rc::new(RefCell::new(None));
    {
        let schedule = schedule.clone();
        let still_timer = still_timer.clone();
        let tick_timer = tick_timer.clone();
        Effect::new(move |_| {
            let Some(fix) = f.fix.get() else { return };
            let d = TRACKER.with(|t| t.borrow_mut().fix(fix));
            decided(f, d, schedule.clone(), tick_timer.clone());
            arm_still_timer(f, &still_timer);
        });
    }
    {
        let schedule = schedule.clone();
        live::observe(move |note| {
            let relevant = match note {
                // Readings change values, not what is listed (a level
                // changes with its alert).
                Note::Event(e) => {
                    !matches!(e.change, Change::Readings { .. })
                        && matches!(
                            e.change.topic(),
                            Topic::Hazards | Topic::Sensors | Topic::Cases
                        )
                }
                Note::Snapshot { .. } => true,
                _ => false,
            };
            if relevant {
                schedule();
            }
        });
    }
    let timers = send_wrapper::SendWrapper::new((pending, still_timer, tick_timer));
    on_cleanup(move || {
        drop(timers.0.borrow_mut().take());
        drop(timers.1.borrow_mut().take());
        drop(timers.2.borrow_mut().take());
    });

    // The network: the outbox sends when it comes back; the data's age is
    // read when it goes.
    let w = window();
    web::hold(EventListener::new(&w, "online", move |_| {
        f.online.set(true);
        outbox::network_back(f);
    }));
    web::hold(EventListener::new(&w, "offline", move |_| {
        f.online.set(false);
        read_age(f);
    }));
    read_age(f);
    outbox::start(state, f);
    install_hooks(state, f);
    request_frame();
    f
}

/// `window.__pingan.field`: `{nearMs(), timeNearest(n), rows(), still()}` —
/// the last list's time (ms), `n` list computations from the current
/// position timed in this page (the benchmark's figure, ms each), the
/// listed rows as JSON (layer, id, metres), whether the officer counts as
/// still (the coarse watch).
fn install_hooks(state: AppState, f: Field) {
    use wasm_bindgen::prelude::*;
    let o = js_sys::Object::new();
    let set = |name: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), &v);
    };
    set(
        "nearMs",
        Closure::<dyn Fn() -> f64>::new(move || f.near_ms.get_untracked()).into_js_value(),
    );
    set(
        "timeNearest",
        Closure::<dyn Fn(u32) -> f64>::new(move |n: u32| {
            let Some(at) = f.at_untracked() else {
                return f64::NAN;
            };
            let ty = f.hazard_type.get_untracked();
            let n = n.max(1);
            let t0 = now_ms();
            for _ in 0..n {
                std::hint::black_box(near::compute(state, at, ty));
            }
            (now_ms() - t0) / f64::from(n)
        })
        .into_js_value(),
    );
    set(
        "rows",
        Closure::<dyn Fn() -> String>::new(move || {
            f.near.with_untracked(|n| {
                let rows: Vec<serde_json::Value> = n
                    .sections
                    .iter()
                    .flat_map(|(_, rows)| rows.iter())
                    .map(|r| serde_json::json!({"layer": r.layer.as_str(), "id": r.id, "metres": r.metres}))
                    .collect();
                serde_json::Value::Array(rows).to_string()
            })
        })
        .into_js_value(),
    );
    set(
        "still",
        Closure::<dyn Fn() -> bool>::new(move || f.still.get_untracked()).into_js_value(),
    );
    web::set_hook_value("field", &o);
    on_cleanup(|| web::remove_hook_value("field"));
}

/// Acts on a tracker's decision: the list now, and when a recompute is
/// pending, one timer for it (`Tracker::tick` then decides again: the
/// officer may be back where the list was computed).
fn decided(
    f: Field,
    d: pingan_model::field::position::Decision,
    schedule: Rc<dyn Fn()>,
    cell: Rc<RefCell<Option<Timeout>>>,
) {
    if d.recompute {
        schedule();
    }
    follow_motion(f, d.motion_changed.then_some(d.motion));
    let Some(at) = d.timer_at else { return };
    let wait = (at - js_sys::Date::now()).clamp(0.0, 60_000.0).ceil() as u32;
    let again = cell.clone();
    *cell.borrow_mut() = Some(Timeout::new(wait, move || {
        // After this callback: the timer replaced may be this one.
        wasm_bindgen_futures::spawn_local(async move {
            again.borrow_mut().take();
            let d = TRACKER.with(|t| t.borrow_mut().tick(js_sys::Date::now()));
            decided(f, d, schedule, again);
        });
    }));
}

/// Switches the watch's precision when the officer stops or moves again.
fn follow_motion(f: Field, changed: Option<Motion>) {
    let Some(m) = changed else { return };
    let still = m == Motion::Still;
    let _ = f.still.try_set(still);
    start_watch(
        f,
        if still {
            Precision::Low
        } else {
            Precision::High
        },
    );
}

/// One timer for the moment the officer would count as still.
fn arm_still_timer(f: Field, cell: &Rc<RefCell<Option<Timeout>>>) {
    let at = TRACKER.with(|t| t.borrow().still_at());
    let Some(at) = at else {
        cell.borrow_mut().take();
        return;
    };
    let wait = (at - js_sys::Date::now()).max(0.0).ceil() + 50.0;
    let again = cell.clone();
    *cell.borrow_mut() = Some(Timeout::new(wait.min(u32::MAX as f64) as u32, move || {
        // After this callback: dropping the running timer is not allowed.
        wasm_bindgen_futures::spawn_local(async move {
            again.borrow_mut().take();
            let d = TRACKER.with(|t| t.borrow_mut().tick(js_sys::Date::now()));
            follow_motion(f, d.motion_changed.then_some(d.motion));
        });
    }));
}

/// Reads when the stored data was stored.
fn read_age(f: Field) {
    leptos::task::spawn_local(async move {
        let at = offline::stored_at_ms().await;
        let _ = f.stored_at.try_set(at);
    });
}

/// (Re)starts the Geolocation watch at `precision`.
fn start_watch(f: Field, precision: Precision) {
    let w = geo::watch(
        precision,
        move |fix| {
            let _ = f.fix.try_set(Some(fix));
        },
        move |s| {
            if f.geo.try_get_untracked() != Some(s) {
                let _ = f.geo.try_set(s);
            }
        },
    );
    WATCH.with(|cell| {
        // The old watch is cleared as it is dropped.
        *cell.borrow_mut() = w;
    });
}

/// The nearest list now: from the tapped point, else from the tracker's
/// basis (the fix the list is due for; a fix worse than 500 m is never one).
fn recompute(state: AppState, f: Field) {
    let Some(manual) = f.manual.try_get_untracked() else {
        return; // unmounted
    };
    let at = manual.or_else(|| TRACKER.with(|t| t.borrow().basis()).map(|b| [b.lon, b.lat]));
    let Some(at) = at else {
        if !f.near.with_untracked(|n| n.sections.is_empty()) {
            f.near.set(Arc::new(near::Nearby::default()));
        }
        return;
    };
    let t0 = now_ms();
    let list = near::compute(state, at, f.hazard_type.get_untracked());
    let _ = f.near_ms.try_set(now_ms() - t0);
    // Unchanged (a reading elsewhere): no rebuilt rows, no lost tap.
    if f.near.with_untracked(|n| **n != list) {
        let _ = f.near.try_set(Arc::new(list));
    }
}
