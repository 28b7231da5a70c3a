//! The wall's runtime (`?mode=wall`): what runs behind the wall's layout
//! (`layouts/wall.rs`) and its panels (`panels/wall/`). [`Wall`] holds its
//! signals (Copy handles, provided through context by [`start`]); the pure
//! parts are one file each and tested natively: the server clock
//! (`clock`), the stale-data warning (`stale`), reloading on
//! a new build (`build`); the KPI figures follow the stream (`kpi`). The
//! wall's URL, its tiling over several screens, the overlay layout, the
//! burn-in shift and the night dimming are the model's (`pingan_model::wall`).
//! Everything [`start`] starts is held by the layout's owner and released
//! when it unmounts.

pub mod build;
pub mod clock;
pub mod focus;
pub mod kpi;
pub mod retry;
pub mod scenes;
pub mod stale;

use crate::data::LayerData;
use crate::live::{self, Note};
use crate::state::{AppState, Conn};
use crate::web::{self, time::now_ms};
use gloo_timers::callback::{Interval, Timeout};
use leptos::prelude::*;
use pingan_model::layers::LayerId;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

use clock::ClockSync;
use pingan_model::wall::focus::FocusState;
use pingan_model::wall::kpi::{hourly_flow, HourlyFlow};
use pingan_model::wall::screen::burn_in_offset;
use pingan_model::wall::tiling::{layout, Layout, Tiling};
use pingan_model::wall::WallParams;

/// The wall's state the panels read (Copy handles).
#[derive(Clone, Copy)]
pub struct Wall {
    /// The server's clock (Unix ms), set every second: the clock, ages.
    pub now_ms: RwSignal<f64>,
    /// The wall's URL parameters (`?grid=&tile=&bezel=&group=&tour=&focus=
    /// &dim=&range=`).
    pub params: StoredValue<WallParams>,
    /// The problems of the URL's wall parameters (shown for a minute).
    pub problems: RwSignal<Vec<String>>,
    /// The wall's screens: this page is tile (`params.tile_col`, `tile_row`).
    pub tiling: RwSignal<Tiling>,
    /// Where the overlays go on the virtual canvas (the model's layout).
    pub layout: Memo<Layout>,
    /// What the wall shows (the focus driver's last answer).
    pub focus: RwSignal<Option<FocusState>>,
    /// Tests: this page draws the whole virtual canvas of its wall (the
    /// reference the tiles are compared with), not one tile of it.
    pub whole: RwSignal<bool>,
    /// The burn-in shift of everything drawn (CSS px), the same on every tile.
    pub shift: RwSignal<(f64, f64)>,
    /// Brightness (1: full; the night dimming schedule's level inside it).
    pub brightness: RwSignal<f64>,
    /// Cases per hour, last 24 h, and the typical day.
    pub hourly: RwSignal<Arc<HourlyFlow>>,
    /// The age of the newest data (ms) while the stream has been silent for
    /// more than a minute.
    pub stale: RwSignal<Option<f64>>,
    /// The KPI figures and the safety ranking.
    pub kpis: kpi::KpiView,
}

thread_local! {
    static CLOCK: RefCell<ClockSync> = RefCell::new(ClockSync::default());
    /// A server time the tests freeze the wall at (`__pingan.wall.freeze`).
    static FROZEN: Cell<Option<f64>> = const { Cell::new(None) };
    static STALE_AFTER: Cell<f64> = const { Cell::new(stale::STALE_AFTER_MS) };
    static BUILD: RefCell<build::BuildWatch> = RefCell::new(build::BuildWatch::default());
}

/// `/api/health` is asked for the build this often (ms).
const BUILD_POLL_MS: u32 = 120_000;

/// The build `/api/health` names.
async fn poll_build() {
    let Ok(text) = web::fetch::send_json(web::fetch::Method::Get, "api/health", None).await else {
        return;
    };
    let b = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("build")?.as_str().map(str::to_string));
    BUILD.with(|w| {
        w.borrow_mut()
            .seen(b.as_deref(), now_ms(), js_sys::Math::random())
    });
}

/// The server's clock now, Unix ms (the local clock until a sample came).
pub fn server_now_ms() -> f64 {
    FROZEN
        .with(Cell::get)
        .unwrap_or_else(|| now_ms() + offset_ms())
}

/// Whether the tests froze the clock (`__pingan.wall.freeze`).
pub fn frozen() -> bool {
    FROZEN.with(Cell::get).is_some()
}

/// Local `performance.now()` → server clock offset, ms.
fn offset_ms() -> f64 {
    CLOCK.with(|c| {
        let c = c.borrow();
        if c.best().is_some() {
            c.offset()
        } else {
            // Before any sample: the page's own wall clock.
            js_sys::Date::now() - now_ms()
        }
    })
}

/// The wall, as provided by [`start`].
pub fn use_wall() -> Wall {
    expect_context::<Wall>()
}

/// One timed sample of the server's clock (`GET api/clock`).
async fn sample_clock() {
    let sent = now_ms();
    let Ok(text) = web::fetch::send_json(web::fetch::Method::Get, "api/clock", None).await else {
        return;
    };
    let received = now_ms();
    let server = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("now_ms")?.as_f64());
    if let Some(server) = server {
        CLOCK.with(|c| c.borrow_mut().add_timed(sent, server, received));
    }
}

/// Starts the wall's runtime for `state` (at the layout's mount): provides
/// [`Wall`], and holds its timers until the layout unmounts.
pub fn start(state: AppState) -> Wall {
    let search = window().location().search().unwrap_or_default();
    let (params, problems) = WallParams::parse(&search);
    for p in &problems {
        web_sys::console::warn_1(&format!("wall: {p}").into());
    }
    let tiling = RwSignal::new(Tiling::of(&params, 1920.0, 1080.0));
    let wall = Wall {
        now_ms: RwSignal::new(server_now_ms()),
        params: StoredValue::new(params.clone()),
        problems: RwSignal::new(problems),
        tiling,
        whole: RwSignal::new(false),
        layout: Memo::new(move |_| layout(&tiling.get())),
        focus: RwSignal::new(None),
        shift: RwSignal::new((0.0, 0.0)),
        brightness: RwSignal::new(1.0),
        hourly: RwSignal::new(Arc::new(hourly_flow(&[], 0, 0))),
        stale: RwSignal::new(None),
        kpis: kpi::start(),
    };
    provide_context(wall);
    // Scenes in the hello; personal data masked at the source.
    live::for_wall();
    // The case list shows the newest cases, whatever their status.
    state.live.filter.set(crate::state::live::CaseFilter {
        status: crate::state::live::StatusFilter::All,
        ..Default::default()
    });

    // The server's clock: a burst of samples at start, then one a minute;
    // the stream's frames serve until the first answers.
    for i in 0..4u32 {
        web::hold(Timeout::new(200 + i * 400, || {
            leptos::task::spawn_local(sample_clock())
        }));
    }
    web::hold(Interval::new(60_000, || {
        leptos::task::spawn_local(sample_clock())
    }));
    live::observe(move |note| {
        if let Note::Clock {
            server_ms,
            received,
            build,
        } = note
        {
            CLOCK.with(|c| c.borrow_mut().add_one_way(*server_ms as f64, *received));
            if let Some(b) = build {
                BUILD.with(|w| w.borrow_mut().seen(*b, now_ms(), js_sys::Math::random()));
            }
        }
    });
    // The build also from /api/health (a new dist without a server restart).
    web::hold(Interval::new(BUILD_POLL_MS, || {
        leptos::task::spawn_local(poll_build())
    }));
    leptos::task::spawn_local(poll_build());

    // range=today: the choropleth counts today's cases (from CST midnight,
    // moved on at the next one by the tick).
    let today_from = move |t_ms: f64| {
        wall.params
            .with_value(|p| p.range == pingan_model::wall::CaseRange::Today)
            .then(|| pingan_model::time::cst_day_start((t_ms / 1000.0) as i64))
    };
    state.cases_since.set(today_from(server_now_ms()));

    // The problems of the URL are shown for a minute.
    web::hold(Timeout::new(60_000, move || wall.problems.set(Vec::new())));

    // Every second: the clock, the stale warning, burn-in and dimming.
    let tick = move || {
        let t = server_now_ms();
        wall.now_ms.set(t);
        let since = today_from(t);
        if state.cases_since.get_untracked() != since {
            state.cases_since.set(since);
        }
        let ui = wall.tiling.with_untracked(Tiling::ui_scale);
        let shift = burn_in_offset(t as i64, ui);
        if wall.shift.get_untracked() != shift {
            wall.shift.set(shift);
        }
        let level = wall
            .params
            .with_value(|p| p.dim.map_or(1.0, |d| d.level_at((t / 1000.0) as i64)));
        if wall.brightness.get_untracked() != level {
            wall.brightness.set(level);
        }
        let live_api = !matches!(state.live.conn.get_untracked(), Conn::Static | Conn::Idle);
        let age = stale::stale_age(
            live_api,
            live::last_message_ms(),
            js_sys::Date::now(),
            STALE_AFTER.with(Cell::get),
        );
        if wall.stale.get_untracked().is_some() != age.is_some() || age.is_some() {
            wall.stale.set(age);
        }
        // A new build: reload, but not while something holds the focus.
        let focusing = wall
            .focus
            .with_untracked(|f| matches!(f, Some(f) if matches!(f.showing, pingan_model::wall::focus::Showing::Focus { .. })));
        if BUILD.with(|w| w.borrow().due(now_ms(), focusing)) {
            web_sys::console::info_1(&"wall: a new build of the app is served: reloading".into());
            let _ = window().location().reload();
        }
    };
    web::hold(Interval::new(1000, tick));

    // Cases per hour: when the case layer is (re)loaded, and every minute.
    let recount = move || {
        let now_s = (server_now_ms() / 1000.0) as i64;
        let h = state.entry(LayerId::Cases).and_then(|e| {
            e.data.with_untracked(|d| match d.as_deref() {
                Some(LayerData::Points(p)) => Some(hourly_flow(
                    p.cases(),
                    now_s,
                    p.window_start.unwrap_or(now_s - 30 * 86_400),
                )),
                _ => None,
            })
        });
        if let Some(h) = h {
            if *wall.hourly.get_untracked() != h {
                wall.hourly.set(Arc::new(h));
            }
        }
    };
    Effect::new(move |_| {
        if let Some(e) = state.entry(LayerId::Cases) {
            e.data.track();
        }
        recount();
    });
    web::hold(Interval::new(60_000, recount));

    // The tiles are this page's size.
    let size = Memo::new(move |_| {
        let cam = state.camera.get();
        (cam.width, cam.height)
    });
    Effect::new(move |_| {
        let (w, h) = size.get();
        if state.sized.get() {
            let t = wall.params.with_value(|p| {
                if wall.whole.get() {
                    // The page is the virtual canvas: each tile's share of it.
                    let (c, r) = (f64::from(p.cols.max(1)), f64::from(p.rows.max(1)));
                    let b = f64::from(p.bezel_px);
                    Tiling::of(p, (w - (c - 1.0) * b) / c, (h - (r - 1.0) * b) / r)
                } else {
                    Tiling::of(p, w, h)
                }
            });
            if wall.tiling.get_untracked() != t {
                wall.tiling.set(t);
            }
        }
    });

    focus::start(wall, state);
    scenes::start(wall, state, focus::kick);
    install_hooks(wall, state);
    wall
}

/// This page's origin on the virtual canvas (CSS px).
pub fn origin(wall: Wall) -> (f64, f64) {
    if wall.whole.get() {
        return (0.0, 0.0);
    }
    let t = wall.tiling.get();
    wall.params.with_value(|p| t.origin(p.tile_col, p.tile_row))
}

/// What the wall shows, for the test hook.
fn focus_json(wall: Wall) -> JsValue {
    use pingan_model::wall::focus::{FocusKey, Showing};
    let Some(fs) = wall.focus.get_untracked() else {
        return JsValue::NULL;
    };
    let (showing, key, index, total) = match &fs.showing {
        Showing::Overview => ("overview", String::new(), 0, 0),
        Showing::Scene => ("scene", String::new(), 0, 0),
        Showing::Tour { stop } => ("tour", stop.to_string(), 0, 0),
        Showing::Focus { key, index, total } => (
            "focus",
            match key {
                FocusKey::Alert(id) => format!("alert:{id}"),
                FocusKey::Case(id) => format!("case:{id}"),
            },
            *index,
            *total,
        ),
    };
    let (lon, lat) = pingan_model::projection::to_lonlat(fs.view.center);
    let o = js_sys::Object::new();
    let put = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    put("showing", showing.into());
    put("key", key.into());
    put("index", index.into());
    put("total", total.into());
    put("since", (fs.since_ms as f64).into());
    put(
        "until",
        fs.until_ms.map_or(JsValue::NULL, |u| (u as f64).into()),
    );
    put("flying", fs.flying_until_ms.is_some().into());
    put("lon", lon.into());
    put("lat", lat.into());
    put("zoom", fs.view.zoom.into());
    // Where a focused item is put, in this page's px.
    let (ox, oy) = origin(wall);
    let a = wall.layout.with_untracked(|l| l.focus_anchor);
    put(
        "anchor",
        js_sys::Array::of2(&(a[0] - ox).into(), &(a[1] - oy).into()).into(),
    );
    o.into()
}

/// `window.__pingan.wall`: `{now(), freeze(ms|null), offset(), staleAfter(ms),
/// kpis(at?), focus(), whole(bool)}` (`kpis(at)`: the figures as JSON, without
/// their basis, moved by time to Unix second `at` when given;
/// `focus()`: what is shown, `{showing, key, index, total, since, until,
/// flying, lon, lat, zoom, anchor}`: the wall camera, and where a focused
/// item is put in this page's px).
fn install_hooks(wall: Wall, state: AppState) {
    let o = js_sys::Object::new();
    let set = |name: &str, f: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), &f);
    };
    set(
        "now",
        Closure::<dyn Fn() -> f64>::new(server_now_ms).into_js_value(),
    );
    set(
        "offset",
        Closure::<dyn Fn() -> f64>::new(offset_ms).into_js_value(),
    );
    set(
        "freeze",
        Closure::<dyn Fn(JsValue)>::new(move |t: JsValue| {
            FROZEN.with(|f| f.set(t.as_f64()));
            wall.now_ms.set(server_now_ms());
            focus::ask_now(wall, state);
        })
        .into_js_value(),
    );
    set(
        "whole",
        Closure::<dyn Fn(bool)>::new(move |on: bool| {
            wall.whole.set(on);
            focus::kick(wall, state);
        })
        .into_js_value(),
    );
    set(
        "staleAfter",
        Closure::<dyn Fn(f64)>::new(|ms: f64| STALE_AFTER.with(|s| s.set(ms))).into_js_value(),
    );
    set(
        "kpis",
        Closure::<dyn Fn(JsValue) -> String>::new(|at: JsValue| {
            kpi::figures_json(at.as_f64().map(|a| a as i64))
        })
        .into_js_value(),
    );
    set(
        "focus",
        Closure::<dyn Fn() -> JsValue>::new(move || focus_json(wall)).into_js_value(),
    );
    web::set_hook_value("wall", &o);
    on_cleanup(|| {
        web::remove_hook_value("wall");
        FROZEN.with(|f| f.set(None));
        STALE_AFTER.with(|s| s.set(stale::STALE_AFTER_MS));
        CLOCK.with(|c| *c.borrow_mut() = ClockSync::default());
        BUILD.with(|w| *w.borrow_mut() = build::BuildWatch::default());
    });
}
