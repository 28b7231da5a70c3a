//! The application shell: signals that own the data, the one Effect that
//! owns the canvas, interaction, panels, URL state and test hooks.

use crate::data::{self, AdminSummary, LayerData};
use crate::i18n::t;
use crate::inspect::{self, Hit};
use crate::live::{self, Conn, LiveUi, StatusFilter};
use crate::render::{self, FrameStats, Renderer, Scene, SceneLayer};
use crate::style::Swatch;
use leptos::prelude::*;
use pingan_model::analysis::quantile_breaks;
use pingan_model::domain::Lang;
use pingan_model::layers::{LayerDef, LayerId, LAYERS};
use pingan_model::projection::to_world;
use pingan_model::viewport::{scale_bar, Camera, ViewState, DISTRICT_LONLAT_BBOX};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Clone, Debug, PartialEq)]
pub enum LoadStatus {
    Pending,
    Loaded(usize),
    Failed(String),
}

/// One catalogue layer and the signals that own its state.
#[derive(Clone, Copy)]
pub struct LayerEntry {
    pub def: &'static LayerDef,
    pub status: RwSignal<LoadStatus>,
    pub data: RwSignal<Option<Arc<LayerData>>>,
    pub visible: RwSignal<bool>,
}

/// All app state; every field is a Copy handle.
#[derive(Clone, Copy)]
pub struct AppState {
    pub layers: &'static [LayerEntry],
    pub camera: RwSignal<Camera>,
    pub dpr: RwSignal<f64>,
    pub lang: RwSignal<Lang>,
    pub selected: RwSignal<Option<(LayerId, u32)>>,
    pub hover: RwSignal<Option<(f64, f64, String)>>,
    pub pointer_lonlat: RwSignal<Option<(f64, f64)>>,
    pub grid_counts: RwSignal<Arc<Vec<u32>>>,
    pub breaks: RwSignal<Arc<Vec<f64>>>,
    pub admin: RwSignal<Arc<AdminSummary>>,
    pub url_problems: RwSignal<Vec<String>>,
    pub sized: RwSignal<bool>,
    pub panel_open: RwSignal<bool>,
    /// The live stream's state and the alert ticker and case list.
    pub live: LiveUi,
    /// Phones: which live panel is open (none: collapsed to its tabs).
    pub live_tab: RwSignal<Option<LiveTab>>,
    /// The URL gave no centre: fit the district once the canvas has a size.
    pub fit_on_first_size: bool,
}

/// The live panels' sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveTab {
    Alerts,
    Cases,
}

impl AppState {
    pub(crate) fn entry(&self, id: LayerId) -> Option<LayerEntry> {
        self.layers.iter().find(|e| e.def.id == id).copied()
    }
    /// The visible, loaded layers, bottom first (untracked).
    fn scene_layers(&self) -> Vec<SceneLayer> {
        self.layers
            .iter()
            .filter(|e| e.visible.get_untracked())
            .filter_map(|e| {
                e.data
                    .get_untracked()
                    .map(|data| SceneLayer { id: e.def.id, data })
            })
            .collect()
    }
}

// --- frame scheduling: the canvas is drawn in requestAnimationFrame --------

#[derive(Default)]
struct FrameLoop {
    renderer: Option<Renderer>,
    pending: bool,
    callback: Option<Closure<dyn FnMut(f64)>>,
    stats: FrameStats,
    frame_ms: VecDeque<f64>,
    first_frame_ms: Option<f64>,
    /// How often each cached surface was re-rendered (polygons, points).
    surface_renders: [u32; 2],
    /// Frames that patched the points surface instead of re-rendering it,
    /// and the places patched.
    surface_patches: [u32; 2],
    frame_count: u64,
    /// Whole-frame cost (apply + draw) of frames that applied live events.
    live_frame_ms: VecDeque<f64>,
}

/// A pending timeout id and the reusable callback it runs.
type UrlTimer = (Option<i32>, Option<Closure<dyn FnMut()>>);

thread_local! {
    static FRAMES: RefCell<FrameLoop> = RefCell::new(FrameLoop::default());
    static STATE: RefCell<Option<(AppState, NodeRef<leptos::html::Canvas>)>> = const { RefCell::new(None) };
    /// The pending URL write (timeout id) and its reusable callback.
    static URL_TIMER: RefCell<UrlTimer> = const { RefCell::new((None, None)) };
}

/// The wall clock, Unix seconds (overdue, details): read when used, never
/// fixed at page load (a wall runs for days).
pub fn now_s() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

pub fn request_frame() {
    FRAMES.with(|f| {
        let mut f = f.borrow_mut();
        if f.pending {
            return;
        }
        f.pending = true;
        if f.callback.is_none() {
            f.callback = Some(Closure::new(|_t: f64| draw_frame()));
        }
        if let (Some(w), Some(cb)) = (web_sys::window(), f.callback.as_ref()) {
            let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
        }
    });
}

fn draw_frame() {
    let Some((state, canvas_ref)) = STATE.with(|s| *s.borrow()) else {
        return;
    };
    FRAMES.with(|f| f.borrow_mut().pending = false);
    // Live events that arrived since the last frame, applied as one batch.
    let applied_ms = live::apply_pending(state);
    if !state.sized.get_untracked() {
        return;
    }
    let Some(canvas) = canvas_ref.get_untracked() else {
        return;
    };
    let layers = state.scene_layers();
    let t_now = now_ms();
    let pulses: Vec<([f64; 2], f64, &'static str)> = live::pulses(t_now)
        .into_iter()
        .map(|p| {
            (
                p.at,
                ((t_now - p.t0) / live::PULSE_MS).clamp(0.0, 1.0),
                p.colour,
            )
        })
        .collect();
    let animating = !pulses.is_empty();
    let scene = Scene {
        cam: state.camera.get_untracked(),
        dpr: state.dpr.get_untracked(),
        layers,
        lang: state.lang.get_untracked(),
        grid_counts: state.grid_counts.get_untracked(),
        breaks: state.breaks.get_untracked(),
        selected: state.selected.get_untracked(),
        admin: state.admin.get_untracked(),
        pulses,
    };
    let t0 = now_ms();
    FRAMES.with(|f| {
        let mut f = f.borrow_mut();
        if f.renderer.is_none() {
            f.renderer = Renderer::new(canvas);
        }
        let Some(r) = f.renderer.as_mut() else { return };
        let stats = r.draw(&scene);
        f.frame_count += 1;
        f.surface_renders[0] += stats.base_rendered as u32;
        f.surface_renders[1] += stats.points_rendered as u32;
        if stats.points_patched > 0 {
            f.surface_patches[0] += 1;
            f.surface_patches[1] += stats.points_patched as u32;
        }
        let dt = now_ms() - t0 + applied_ms.unwrap_or(0.0);
        if applied_ms.is_some() {
            f.live_frame_ms.push_back(dt);
            if f.live_frame_ms.len() > 200 {
                f.live_frame_ms.pop_front();
            }
        }
        f.stats = stats;
        f.frame_ms.push_back(dt);
        if f.frame_ms.len() > 1000 {
            f.frame_ms.pop_front();
        }
        let all_settled = state
            .layers
            .iter()
            .all(|e| e.status.get_untracked() != LoadStatus::Pending);
        if all_settled && f.first_frame_ms.is_none() {
            let t = now_ms();
            f.first_frame_ms = Some(t);
            set_hook_value("firstFrameMs", &JsValue::from_f64(t));
            if let Some(el) = document().document_element() {
                let _ = el.set_attribute("data-ready", "true");
            }
        }
    });
    if animating {
        request_frame();
    }
}

// --- loading ------------------------------------------------------------------

pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let resp = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !resp.ok() {
        let body = resp.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
            .unwrap_or_default();
        return Err(format!(
            "HTTP {} {} {url} {detail}",
            resp.status(),
            resp.status_text()
        )
        .trim()
        .to_string());
    }
    resp.binary().await.map_err(|e| format!("{url}: {e}"))
}

async fn load_all(state: AppState) {
    // Every layer is fetched at once from its catalogue URL (`/data/<file>`,
    // what the server's manifest lists); a missing or broken file fails only
    // its own row, with the server's or the parser's explanation.
    let mut entries: Vec<LayerEntry> = state.layers.to_vec();
    // Largest first, so the longest transfer is not queued behind small
    // ones (each layer's `fetch_rank`).
    entries.sort_by_key(|e| crate::layers::spec(e.def.id).fetch_rank);
    for entry in entries {
        let url = format!("data/{}", entry.def.file);
        leptos::task::spawn_local(async move {
            let t0 = now_ms();
            // Cases: from the live API when there is one (with its seq).
            let mut case_seq = None;
            let fetched = if entry.def.id == LayerId::Cases {
                live::fetch_cases(state, &url).await.map(|(b, seq)| {
                    case_seq = seq;
                    b
                })
            } else {
                fetch_bytes(&url).await
            };
            let result = match fetched {
                Ok(bytes) => {
                    let t1 = now_ms();
                    let built = data::build(entry.def, &bytes, now_s())
                        .map_err(|e| format!("{}: {e}", entry.def.file));
                    web_sys::console::info_1(&JsValue::from_str(&format!(
                        "layer {}: {} bytes, fetched in {:.0} ms, parsed and indexed in {:.0} ms",
                        entry.def.id,
                        bytes.len(),
                        t1 - t0,
                        now_ms() - t1
                    )));
                    built
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(d) => {
                    let n = d.len();
                    entry.data.set(Some(Arc::new(d)));
                    entry.status.set(LoadStatus::Loaded(n));
                    if entry.def.id == LayerId::Cases {
                        live::cases_loaded(case_seq);
                    }
                }
                Err(e) => {
                    web_sys::console::warn_1(&JsValue::from_str(&format!(
                        "layer {}: {e}",
                        entry.def.id
                    )));
                    entry.status.set(LoadStatus::Failed(e));
                }
            }
            request_frame();
        });
    }
}

/// Cases per grid over the loaded window (or the grids' own `cases_30d`
/// property when the case layer is unavailable), and the choropleth breaks.
fn grid_counts(grids: &LayerData, cases: Option<&LayerData>) -> Vec<u32> {
    let LayerData::Areas(g) = grids else {
        return Vec::new();
    };
    match cases {
        Some(LayerData::Points(p)) if !p.cases().is_empty() => {
            let mut counts = vec![0u32; g.features.len()];
            for c in p.cases() {
                if let Some(x) = counts.get_mut(c.grid as usize) {
                    *x += 1;
                }
            }
            counts
        }
        _ => g
            .features
            .iter()
            .map(|f| f.num_prop("cases_30d").unwrap_or(0.0) as u32)
            .collect(),
    }
}

// --- URL state and test hooks ---------------------------------------------

fn visible_ids(state: &AppState) -> Vec<&'static str> {
    state
        .layers
        .iter()
        .filter(|e| e.visible.get_untracked())
        .map(|e| e.def.id.as_str())
        .collect()
}

fn write_url(state: AppState) {
    let cam = state.camera.get_untracked();
    let (lon, lat) = cam.center_lonlat();
    let q = ViewState::to_query(
        lon,
        lat,
        cam.zoom,
        &visible_ids(&state),
        state.lang.get_untracked(),
    );
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&q));
    }
}

/// Writes the URL 250 ms after the last change (replaceState is rate-limited).
fn schedule_url_write(state: AppState) {
    URL_TIMER.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(id) = t.0.take() {
            window().clear_timeout_with_handle(id);
        }
        // One closure for the page's lifetime: a cancelled once-closure would leak.
        let cb = t.1.get_or_insert_with(|| {
            Closure::new(move || {
                URL_TIMER.with(|t| t.borrow_mut().0 = None);
                write_url(state);
            })
        });
        if let Ok(id) = window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), 250)
        {
            t.0 = Some(id);
        }
    });
}

fn hook_object() -> Option<js_sys::Object> {
    js_sys::Reflect::get(&window(), &JsValue::from_str("__pingan"))
        .ok()?
        .dyn_into()
        .ok()
}

fn set_hook_value(name: &str, v: &JsValue) {
    if let Some(o) = hook_object() {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), v);
    }
}

fn install_hooks(state: AppState) {
    let o = js_sys::Object::new();
    let set = |name: &str, f: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), &f);
    };
    set(
        "view",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let cam = state.camera.get_untracked();
            let (lon, lat) = cam.center_lonlat();
            let v = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&v, &"lon".into(), &lon.into());
            let _ = js_sys::Reflect::set(&v, &"lat".into(), &lat.into());
            let _ = js_sys::Reflect::set(&v, &"zoom".into(), &cam.zoom.into());
            v.into()
        })
        .into_js_value(),
    );
    set(
        "project",
        Closure::<dyn Fn(f64, f64) -> JsValue>::new(move |lon: f64, lat: f64| {
            let w = to_world(lon, lat);
            let s = state.camera.get_untracked().to_screen([w.x, w.y]);
            js_sys::Array::of2(&s[0].into(), &s[1].into()).into()
        })
        .into_js_value(),
    );
    set(
        "setView",
        Closure::<dyn Fn(f64, f64, f64)>::new(move |lon: f64, lat: f64, zoom: f64| {
            state.camera.update(|c| {
                let w = to_world(lon, lat);
                c.center = w;
                c.zoom = zoom.clamp(
                    pingan_model::viewport::MIN_ZOOM,
                    pingan_model::viewport::MAX_ZOOM,
                );
            });
        })
        .into_js_value(),
    );
    set(
        "visibleLayers",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let arr = js_sys::Array::new();
            for id in visible_ids(&state) {
                arr.push(&JsValue::from_str(id));
            }
            arr.into()
        })
        .into_js_value(),
    );
    set(
        "drawn",
        Closure::<dyn Fn(String) -> f64>::new(move |id: String| {
            FRAMES.with(|f| {
                f.borrow()
                    .stats
                    .drawn
                    .iter()
                    .find(|(l, _)| l.as_str() == id)
                    .map(|(_, n)| *n as f64)
                    .unwrap_or(0.0)
            })
        })
        .into_js_value(),
    );
    set(
        "frameTimes",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let arr = js_sys::Array::new();
            FRAMES.with(|f| {
                for v in &f.borrow().frame_ms {
                    arr.push(&JsValue::from_f64(*v));
                }
            });
            arr.into()
        })
        .into_js_value(),
    );
    set(
        "surfaceRenders",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let [base, points] = FRAMES.with(|f| f.borrow().surface_renders);
            js_sys::Array::of2(&base.into(), &points.into()).into()
        })
        .into_js_value(),
    );
    set(
        "surfacePatches",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let [frames, places] = FRAMES.with(|f| f.borrow().surface_patches);
            js_sys::Array::of2(&frames.into(), &places.into()).into()
        })
        .into_js_value(),
    );
    // The points surface's offscreen canvas (tests compare its pixels).
    set(
        "pointsCanvas",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            FRAMES.with(|f| {
                f.borrow()
                    .renderer
                    .as_ref()
                    .map(|r| JsValue::from(r.points_canvas()))
                    .unwrap_or(JsValue::NULL)
            })
        })
        .into_js_value(),
    );
    // Re-render the points surface in full on the next frame.
    set(
        "forcePointsRender",
        Closure::<dyn Fn()>::new(move || {
            FRAMES.with(|f| {
                if let Some(r) = f.borrow_mut().renderer.as_mut() {
                    r.invalidate_points();
                }
            });
            request_frame();
        })
        .into_js_value(),
    );
    set(
        "frames",
        Closure::<dyn Fn() -> f64>::new(move || FRAMES.with(|f| f.borrow().frame_count as f64))
            .into_js_value(),
    );
    set(
        "liveFrameMs",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let arr = js_sys::Array::new();
            FRAMES.with(|f| {
                for v in &f.borrow().live_frame_ms {
                    arr.push(&JsValue::from_f64(*v));
                }
            });
            arr.into()
        })
        .into_js_value(),
    );
    // What a click at canvas position (x, y) would find: {layer, key, title} or null.
    set(
        "hit",
        Closure::<dyn Fn(f64, f64) -> JsValue>::new(move |x: f64, y: f64| {
            let cam = state.camera.get_untracked();
            let layers = state.scene_layers();
            match inspect::hit_test(&cam, &layers, &state.admin.get_untracked(), [x, y]) {
                Some(Hit::Feature { layer, key }) => {
                    let title = layers
                        .iter()
                        .find(|l| l.id == layer)
                        .and_then(|l| inspect::title(&l.data, key, state.lang.get_untracked()))
                        .unwrap_or_default();
                    let v = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&v, &"layer".into(), &layer.as_str().into());
                    let _ = js_sys::Reflect::set(&v, &"key".into(), &key.into());
                    let _ = js_sys::Reflect::set(&v, &"title".into(), &title.into());
                    v.into()
                }
                _ => JsValue::NULL,
            }
        })
        .into_js_value(),
    );
    // The choropleth class of grid i (by its live 30-day count), or -1.
    set(
        "gridClass",
        Closure::<dyn Fn(u32) -> f64>::new(move |i: u32| {
            let counts = state.grid_counts.get_untracked();
            let breaks = state.breaks.get_untracked();
            counts
                .get(i as usize)
                .map(|c| pingan_model::analysis::class_of(*c as f64, &breaks) as f64)
                .unwrap_or(-1.0)
        })
        .into_js_value(),
    );
    let _ = js_sys::Reflect::set(&o, &"live".into(), &live::hooks(state));
    let _ = js_sys::Reflect::set(&o, &"firstFrameMs".into(), &JsValue::NULL);
    let _ = js_sys::Reflect::set(&window(), &JsValue::from_str("__pingan"), &o);
}

// --- interaction ----------------------------------------------------------------

#[derive(Default)]
struct Gesture {
    pointers: HashMap<i32, [f64; 2]>,
    /// Where the first pointer went down.
    start: Option<[f64; 2]>,
    /// The gesture moved the map (past `DRAG_PX`): it is not a tap.
    panning: bool,
    /// A second pointer joined at some point: not a tap either.
    multi: bool,
    pinch: Option<(f64, [f64; 2])>,
}

/// Movement beyond which a press becomes a drag instead of a tap.
const DRAG_PX: f64 = 4.0;

fn local_pos(ev: &web_sys::MouseEvent) -> [f64; 2] {
    [ev.offset_x() as f64, ev.offset_y() as f64]
}

fn on_click(state: AppState, p: [f64; 2]) {
    let cam = state.camera.get_untracked();
    let layers = state.scene_layers();
    match inspect::hit_test(&cam, &layers, &state.admin.get_untracked(), p) {
        Some(Hit::Feature { layer, key }) => {
            state.selected.set(Some((layer, key)));
            state.panel_open.set(false);
        }
        Some(Hit::Bin { at, .. }) => {
            // A cluster: zoom in on it.
            state.camera.update(|c| {
                let anchor = c.to_screen(at);
                c.zoom_at(2.0, anchor);
                c.pan_by(c.width / 2.0 - anchor[0], c.height / 2.0 - anchor[1]);
            });
        }
        Some(Hit::Admin { index }) => {
            // A subdistrict badge: fit that subdistrict.
            let bbox = state.admin.with_untracked(|a| a.bboxes.get(index).copied());
            if let Some(b) = bbox {
                let (lon0, lat1) =
                    pingan_model::projection::to_lonlat(pingan_model::projection::World {
                        x: b.min[0],
                        y: b.min[1],
                    });
                let (lon1, lat0) =
                    pingan_model::projection::to_lonlat(pingan_model::projection::World {
                        x: b.max[0],
                        y: b.max[1],
                    });
                state.camera.update(|c| {
                    let pad = (c.width.min(c.height) * 0.08).max(12.0);
                    c.fit_lonlat([lon0, lat0], [lon1, lat1], pad);
                });
            }
        }
        None => state.selected.set(None),
    }
}

fn hover_text(state: AppState, hit: Hit) -> String {
    let lang = state.lang.get_untracked();
    match hit {
        Hit::Admin { index } => state.admin.with_untracked(|a| {
            let (zh, en) = a.names.get(index).cloned().unwrap_or_default();
            let parts: Vec<String> = a
                .counts
                .iter()
                .filter_map(|(l, c)| {
                    let e = state.entry(*l).filter(|e| e.visible.get_untracked())?;
                    Some(format!(
                        "{} {}",
                        lang.pick(e.def.name, e.def.name_en),
                        render::thousands(*c.get(index)?)
                    ))
                })
                .collect();
            format!(
                "{} · {} · {}",
                lang.pick(&zh, &en),
                parts.join(" · "),
                t(lang, "bin_hint")
            )
        }),
        Hit::Bin { layer, count, .. } => {
            let name = state
                .entry(layer)
                .map(|e| lang.pick(e.def.name, e.def.name_en))
                .unwrap_or("");
            format!("{name} × {count} · {}", t(lang, "bin_hint"))
        }
        Hit::Feature { layer, key } => {
            let Some(e) = state.entry(layer) else {
                return String::new();
            };
            let title = e
                .data
                .with_untracked(|d| d.as_ref().and_then(|d| inspect::title(d, key, lang)));
            match title {
                Some(t) => format!("{} · {}", t, lang.pick(e.def.name, e.def.name_en)),
                None => String::new(),
            }
        }
    }
}

fn grid_ids(state: AppState) -> Vec<String> {
    state
        .entry(LayerId::Grids)
        .and_then(|e| {
            e.data.with_untracked(|d| match d.as_deref() {
                Some(LayerData::Areas(a)) => Some(
                    a.features
                        .iter()
                        .map(|f| f.id.clone().unwrap_or_default())
                        .collect(),
                ),
                _ => None,
            })
        })
        .unwrap_or_default()
}

fn measure(state: AppState, canvas: &web_sys::HtmlCanvasElement) {
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    if w <= 0.0 || h <= 0.0 {
        return;
    }
    state.dpr.set(window().device_pixel_ratio().max(1.0));
    let first = !state.sized.get_untracked();
    state.camera.update(|c| {
        c.width = w;
        c.height = h;
    });
    if first {
        // The first real size: fit the district now (not on the 1×1 placeholder)
        // unless the URL gave a view.
        if state.fit_on_first_size {
            fit_district(state);
        }
        state.sized.set(true);
    }
}

/// A camera flight (world centre and zoom, from → to, over `FLY_MS`).
struct Flight {
    from: (pingan_model::projection::World, f64),
    to: (pingan_model::projection::World, f64),
    t0: f64,
}

const FLY_MS: f64 = 600.0;

/// The flight under way and the reusable frame callback that moves it.
type FlightLoop = (Option<Flight>, Option<Closure<dyn FnMut(f64)>>);

thread_local! {
    static FLIGHT: RefCell<FlightLoop> = const { RefCell::new((None, None)) };
}

/// Flies the camera to a world point, ending at least at `min_zoom`, over
/// 0.6 s (ease in-out, in requestAnimationFrame); a new flight replaces one
/// under way.
pub fn fly_to(state: AppState, at: [f64; 2], min_zoom: f64) {
    let cam = state.camera.get_untracked();
    let to_zoom = cam.zoom.max(min_zoom).min(pingan_model::viewport::MAX_ZOOM);
    FLIGHT.with(|f| {
        let mut f = f.borrow_mut();
        let running = f.0.is_some();
        f.0 = Some(Flight {
            from: (cam.center, cam.zoom),
            to: (
                pingan_model::projection::World { x: at[0], y: at[1] },
                to_zoom,
            ),
            t0: now_ms(),
        });
        let cb = f.1.get_or_insert_with(|| {
            Closure::new(move |_t: f64| {
                let Some((state, _)) = STATE.with(|s| *s.borrow()) else {
                    return;
                };
                let step = FLIGHT.with(|f| {
                    let f = f.borrow();
                    let fl = f.0.as_ref()?;
                    let u = ((now_ms() - fl.t0) / FLY_MS).clamp(0.0, 1.0);
                    Some((fl.from, fl.to, u))
                });
                let Some((from, to, u)) = step else { return };
                let e = if u < 0.5 {
                    2.0 * u * u
                } else {
                    1.0 - (-2.0 * u + 2.0).powi(2) / 2.0
                };
                state.camera.update(|c| {
                    c.zoom = from.1 + (to.1 - from.1) * e;
                    c.center = pingan_model::projection::World {
                        x: from.0.x + (to.0.x - from.0.x) * e,
                        y: from.0.y + (to.0.y - from.0.y) * e,
                    };
                });
                FLIGHT.with(|f| {
                    let mut f = f.borrow_mut();
                    if u >= 1.0 {
                        f.0 = None;
                    } else if let Some(cb) = f.1.as_ref() {
                        let _ = window().request_animation_frame(cb.as_ref().unchecked_ref());
                    }
                });
            })
        });
        if !running {
            let _ = window().request_animation_frame(cb.as_ref().unchecked_ref());
        }
    });
}

/// Flies to a point of a layer and selects it (ticker and list entries).
pub fn fly_to_feature(state: AppState, layer: LayerId, key: u32) {
    let Some(e) = state.entry(layer) else { return };
    let at = e.data.with_untracked(|d| match d.as_deref() {
        Some(LayerData::Points(p)) => p.world.get(key as usize).copied(),
        _ => None,
    });
    let Some(at) = at else { return };
    // Where the point is drawn on its own (its layer's spec).
    let ui = render::ui_scale(state.camera.get_untracked().width);
    let min_eff = crate::layers::spec(layer).fly_min_eff;
    fly_to(state, at, min_eff + ui.log2());
    state.selected.set(Some((layer, key)));
    state.panel_open.set(false);
}

/// Fits the whole district into the part of the map the panels leave free.
fn fit_district(state: AppState) {
    let panel_right = document()
        .query_selector(".panel.layers")
        .ok()
        .flatten()
        .map(|el| el.get_bounding_client_rect())
        .filter(|r| r.width() > 0.0)
        .map(|r| r.right())
        .unwrap_or(0.0);
    state.camera.update(|cam| {
        let left = if panel_right < cam.width * 0.5 {
            panel_right
        } else {
            0.0
        };
        let full_width = cam.width;
        cam.width -= left;
        let pad = (cam.width.min(cam.height) * 0.05).max(12.0);
        cam.fit_lonlat(DISTRICT_LONLAT_BBOX.0, DISTRICT_LONLAT_BBOX.1, pad);
        cam.width = full_width;
        // Shift so the district is centred in the free area right of the panel.
        cam.pan_by(left / 2.0, 0.0);
    });
}

// --- the component ----------------------------------------------------------------

#[component]
pub fn App() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let vs = ViewState::parse(&search, |id| pingan_model::layers::layer(id).is_some());
    let layers: &'static [LayerEntry] = Box::leak(
        LAYERS
            .iter()
            .map(|def| LayerEntry {
                def,
                status: RwSignal::new(LoadStatus::Pending),
                data: RwSignal::new(None),
                visible: RwSignal::new(match &vs.layers {
                    Some(ids) => ids.iter().any(|i| i == def.id.as_str()),
                    None => def.visible_by_default,
                }),
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    // A zoom without a centre is still a view: centred on the district.
    let has_view = vs.center.is_some() || vs.zoom.is_some();
    let mut cam = Camera {
        center: to_world(
            (DISTRICT_LONLAT_BBOX.0[0] + DISTRICT_LONLAT_BBOX.1[0]) / 2.0,
            (DISTRICT_LONLAT_BBOX.0[1] + DISTRICT_LONLAT_BBOX.1[1]) / 2.0,
        ),
        zoom: vs.zoom.unwrap_or(11.0),
        width: 1.0,
        height: 1.0,
    };
    if let Some((lon, lat)) = vs.center {
        cam.center = to_world(lon, lat);
    }
    let state = AppState {
        layers,
        camera: RwSignal::new(cam),
        dpr: RwSignal::new(1.0),
        lang: RwSignal::new(vs.lang.unwrap_or_default()),
        selected: RwSignal::new(None),
        hover: RwSignal::new(None),
        pointer_lonlat: RwSignal::new(None),
        grid_counts: RwSignal::new(Arc::new(Vec::new())),
        breaks: RwSignal::new(Arc::new(Vec::new())),
        admin: RwSignal::new(Arc::new(AdminSummary::default())),
        url_problems: RwSignal::new(vs.problems.clone()),
        sized: RwSignal::new(false),
        panel_open: RwSignal::new(false),
        live: LiveUi::new(),
        live_tab: RwSignal::new(None),
        fit_on_first_size: !has_view,
    };
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    STATE.with(|s| *s.borrow_mut() = Some((state, canvas_ref)));
    install_hooks(state);

    // Size the canvas once it is in the DOM, fit the district unless the URL
    // says otherwise, and follow window resizes.
    Effect::new(move |_| {
        if let Some(c) = canvas_ref.get() {
            measure(state, &c);
            leptos::task::spawn_local(load_all(state));
        }
    });
    let _resize = window_event_listener(leptos::ev::resize, move |_| {
        if let Some(c) = canvas_ref.get_untracked() {
            measure(state, &c);
        }
    });

    // Choropleth counts follow the grid and case layers.
    Effect::new(move |_| {
        let grids = state.entry(LayerId::Grids).and_then(|e| e.data.get());
        let cases = state.entry(LayerId::Cases).and_then(|e| e.data.get());
        if let Some(g) = grids {
            let counts = grid_counts(&g, cases.as_deref());
            let values: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
            state.breaks.set(Arc::new(quantile_breaks(&values, 5)));
            state.grid_counts.set(Arc::new(counts));
        }
    });

    // District-scale summary: per-subdistrict counts of the aggregated layers.
    Effect::new(move |_| {
        let subs = state
            .entry(LayerId::Subdistricts)
            .and_then(|e| e.data.get());
        let grids = state.entry(LayerId::Grids).and_then(|e| e.data.get());
        let Some(subs) = subs else { return };
        let LayerData::Areas(sa) = &*subs else { return };
        let ga = match grids.as_deref() {
            Some(LayerData::Areas(g)) => Some(g),
            _ => None,
        };
        let mut counts = Vec::new();
        for id in render::badge_layers() {
            if let Some(d) = state.entry(id).and_then(|e| e.data.get()) {
                if let LayerData::Points(p) = &*d {
                    counts.push((id, data::counts_by_subdistrict(sa, ga, p)));
                }
            }
        }
        state.admin.set(Arc::new(AdminSummary {
            names: sa
                .features
                .iter()
                .map(|f| {
                    (
                        f.str_prop("name").unwrap_or("").to_string(),
                        f.str_prop("name_en").unwrap_or("").to_string(),
                    )
                })
                .collect(),
            at: sa.label_at.clone(),
            bboxes: sa.bboxes.clone(),
            counts,
        }));
    });

    // The live client starts once the live layers have settled.
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let settled = [LayerId::Cases, LayerId::Sensors, LayerId::Hazards]
            .iter()
            .all(|id| {
                state
                    .entry(*id)
                    .is_none_or(|e| e.status.get() != LoadStatus::Pending)
            });
        if settled {
            live::start(state);
        }
        settled
    });
    // The case list: rebuilt from the layer when it is (re)loaded or the
    // filter changes; live events patch it (live::patch_rows).
    Effect::new(move |_| {
        state.live.filter.track();
        if let Some(e) = state.entry(LayerId::Cases) {
            e.data.track();
        }
        if let Some(e) = state.entry(LayerId::Grids) {
            e.data.track();
        }
        live::rebuild_rows(state);
    });

    // The one Effect that owns the canvas: anything drawn changes → a frame.
    Effect::new(move |_| {
        state.camera.track();
        state.dpr.track();
        state.lang.track();
        state.selected.track();
        state.grid_counts.track();
        state.breaks.track();
        state.admin.track();
        state.sized.track();
        for e in state.layers {
            e.visible.track();
            e.data.track();
            e.status.track();
        }
        request_frame();
    });

    // The URL follows the view; the page language follows the switch.
    Effect::new(move |prev: Option<()>| {
        state.camera.track();
        state.lang.track();
        for e in state.layers {
            e.visible.track();
        }
        if prev.is_some() {
            schedule_url_write(state);
        }
    });
    Effect::new(move |_| {
        let lang = state.lang.get();
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("lang", if lang == Lang::Zh { "zh-CN" } else { "en" });
        }
        document().set_title(t(lang, "title"));
    });

    // Keyboard: +/- zoom, arrows pan, Escape closes details.
    let _keys = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        let tag = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(|e| e.tag_name())
            .unwrap_or_default();
        if tag == "INPUT" || tag == "TEXTAREA" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let step = 120.0;
        let handled = match ev.key().as_str() {
            "+" | "=" => {
                state
                    .camera
                    .update(|c| c.zoom_at(1.0, [c.width / 2.0, c.height / 2.0]));
                true
            }
            "-" | "_" => {
                state
                    .camera
                    .update(|c| c.zoom_at(-1.0, [c.width / 2.0, c.height / 2.0]));
                true
            }
            "ArrowLeft" => {
                state.camera.update(|c| c.pan_by(step, 0.0));
                true
            }
            "ArrowRight" => {
                state.camera.update(|c| c.pan_by(-step, 0.0));
                true
            }
            "ArrowUp" => {
                state.camera.update(|c| c.pan_by(0.0, step));
                true
            }
            "ArrowDown" => {
                state.camera.update(|c| c.pan_by(0.0, -step));
                true
            }
            "Escape" => {
                state.selected.set(None);
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });

    let gesture = std::rc::Rc::new(RefCell::new(Gesture::default()));
    let (g1, g2, g3, g4) = (gesture.clone(), gesture.clone(), gesture.clone(), gesture);

    let on_pointerdown = move |ev: web_sys::PointerEvent| {
        let p = local_pos(&ev);
        if let Some(c) = canvas_ref.get_untracked() {
            let _ = c.set_pointer_capture(ev.pointer_id());
        }
        let mut g = g1.borrow_mut();
        g.pointers.insert(ev.pointer_id(), p);
        if g.pointers.len() == 1 {
            g.start = Some(p);
            g.panning = false;
            g.multi = false;
        } else {
            g.multi = true;
        }
        g.pinch = None;
        state.hover.set(None);
    };
    let on_pointermove = move |ev: web_sys::PointerEvent| {
        let p = local_pos(&ev);
        let cam = state.camera.get_untracked();
        let w = cam.to_world(p);
        state
            .pointer_lonlat
            .set(Some(pingan_model::projection::to_lonlat(
                pingan_model::projection::World { x: w[0], y: w[1] },
            )));
        let mut g = g2.borrow_mut();
        let Some(prev) = g.pointers.get(&ev.pointer_id()).copied() else {
            // Hover: tooltip for what is under the pointer.
            drop(g);
            let layers = state.scene_layers();
            let hit = inspect::hit_test(&cam, &layers, &state.admin.get_untracked(), p);
            state
                .hover
                .set(hit.map(|h| (p[0], p[1], hover_text(state, h))));
            return;
        };
        g.pointers.insert(ev.pointer_id(), p);
        if g.pointers.len() >= 2 {
            let pts: Vec<[f64; 2]> = g.pointers.values().take(2).copied().collect();
            let mid = [(pts[0][0] + pts[1][0]) / 2.0, (pts[0][1] + pts[1][1]) / 2.0];
            let dist = ((pts[0][0] - pts[1][0]).powi(2) + (pts[0][1] - pts[1][1]).powi(2))
                .sqrt()
                .max(1.0);
            if let Some((d0, m0)) = g.pinch {
                state.camera.update(|c| {
                    c.pan_by(mid[0] - m0[0], mid[1] - m0[1]);
                    c.zoom_at((dist / d0).log2(), mid);
                });
            }
            g.pinch = Some((dist, mid));
            // After a pinch a remaining finger pans from where it is.
            g.panning = true;
            return;
        }
        if g.panning {
            state
                .camera
                .update(|c| c.pan_by(p[0] - prev[0], p[1] - prev[1]));
        } else if let Some(s) = g.start {
            // Past the threshold the whole movement since the press applies,
            // so the map stays under the pointer.
            if (p[0] - s[0]).abs().max((p[1] - s[1]).abs()) > DRAG_PX {
                g.panning = true;
                state.camera.update(|c| c.pan_by(p[0] - s[0], p[1] - s[1]));
            }
        }
    };
    let on_pointerup = move |ev: web_sys::PointerEvent| {
        let p = local_pos(&ev);
        let mut g = g3.borrow_mut();
        g.pointers.remove(&ev.pointer_id());
        g.pinch = None;
        if g.pointers.is_empty() {
            let tap = !g.panning && !g.multi && g.start.is_some();
            g.start = None;
            drop(g);
            if tap {
                on_click(state, p);
            }
        }
    };
    let on_pointercancel = move |ev: web_sys::PointerEvent| {
        let mut g = g4.borrow_mut();
        g.pointers.remove(&ev.pointer_id());
        g.pinch = None;
        g.start = None;
    };
    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let p = local_pos(&ev);
        let unit = match ev.delta_mode() {
            1 => 33.0,
            2 => 400.0,
            _ => 1.0,
        };
        let dz = (-ev.delta_y() * unit / 240.0).clamp(-1.0, 1.0);
        state.camera.update(|c| c.zoom_at(dz, p));
    };
    let on_leave = move |_ev: web_sys::PointerEvent| {
        state.hover.set(None);
        state.pointer_lonlat.set(None);
    };

    let zoom_by = move |dz: f64| {
        state
            .camera
            .update(|c| c.zoom_at(dz, [c.width / 2.0, c.height / 2.0]))
    };
    let fit = move || fit_district(state);
    let lang = move || state.lang.get();

    view! {
        <div class="app">
            <canvas
                node_ref=canvas_ref
                class="map"
                data-testid="map-canvas"
                on:pointerdown=on_pointerdown
                on:pointermove=on_pointermove
                on:pointerup=on_pointerup
                on:pointercancel=on_pointercancel
                on:pointerleave=on_leave
                on:wheel=on_wheel
            ></canvas>
            <header class="topbar">
                <h1>{move || t(lang(), "title")}</h1>
                <Clock/>
                <ProgressBar state=state/>
                <button class="btn layers-btn" on:click=move |_| state.panel_open.update(|o| *o = !*o)>
                    {move || t(lang(), "layers")}
                </button>
                <button
                    class="btn"
                    data-testid="lang-toggle"
                    on:click=move |_| state.lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })
                >
                    {move || t(lang(), "lang")}
                </button>
            </header>
            <LayerPanel state=state/>
            <LivePanel state=state/>
            <DetailsPanel state=state/>
            <Tooltip state=state/>
            <div class="controls">
                <button class="btn round" data-testid="zoom-in" title=move || t(lang(), "zoom_in") on:click=move |_| zoom_by(1.0)>"+"</button>
                <button class="btn round" data-testid="zoom-out" title=move || t(lang(), "zoom_out") on:click=move |_| zoom_by(-1.0)>"−"</button>
                <button class="btn round fit" title=move || t(lang(), "fit") on:click=move |_| fit()>"⤢"</button>
            </div>
            <StatusBar state=state/>
        </div>
    }
}

#[component]
fn Clock() -> impl IntoView {
    let now = RwSignal::new(now_s());
    let tick = Closure::<dyn Fn()>::new(move || now.set(now_s()));
    let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        1000,
    );
    tick.forget();
    view! { <div class="clock">{move || pingan_model::time::format_cst(now.get())}" CST"</div> }
}

#[component]
fn ProgressBar(state: AppState) -> impl IntoView {
    let settled = move || {
        state
            .layers
            .iter()
            .filter(|e| e.status.get() != LoadStatus::Pending)
            .count()
    };
    let total = state.layers.len();
    view! {
        <Show when=move || { settled() < total }>
            <div class="progress" data-testid="progress" role="progressbar">
                <span>{move || format!("{} {}/{}", t(state.lang.get(), "loading"), settled(), total)}</span>
                <div class="bar"><div class="fill" style:width=move || format!("{}%", settled() * 100 / total)></div></div>
            </div>
        </Show>
    }
}

#[component]
fn LayerPanel(state: AppState) -> impl IntoView {
    let rows = state
        .layers
        .iter()
        .rev()
        .copied()
        .map(|e| {
            let id = e.def.id;
            let legend = move || {
                let lang = state.lang.get();
                let breaks = state.breaks.get();
                crate::layers::legend(id, lang, &breaks)
                    .into_iter()
                    .map(|item| {
                        let sw = match item.swatch {
                            Swatch::Fill(c) => view! { <span class="sw fill" style:background=c></span> }.into_any(),
                            Swatch::Line(c) => view! { <span class="sw line" style:border-color=c></span> }.into_any(),
                            Swatch::Dot { fill, ring } => view! {
                                <span class="sw dot" style:background=fill style:border-color=ring.unwrap_or_else(|| "transparent".into())></span>
                            }
                            .into_any(),
                        };
                        view! { <li>{sw}<span>{item.text}</span></li> }
                    })
                    .collect_view()
            };
            view! {
                <li class="layer" data-testid=format!("layer-{id}") class:off=move || !e.visible.get()>
                    <label class="layer-head">
                        <input
                            type="checkbox"
                            data-testid=format!("layer-toggle-{id}")
                            prop:checked=move || e.visible.get()
                            on:change=move |ev| e.visible.set(event_target_checked(&ev))
                        />
                        <span class="name">{move || state.lang.get().pick(e.def.name, e.def.name_en).to_string()}</span>
                        {move || match e.status.get() {
                            LoadStatus::Pending => view! { <span class="count pending">{t(state.lang.get(), "pending")}</span> }.into_any(),
                            LoadStatus::Loaded(n) => view! { <span class="count" data-testid=format!("layer-count-{id}")>{n.to_string()}</span> }.into_any(),
                            LoadStatus::Failed(_) => view! { <span class="count failed">{t(state.lang.get(), "failed")}</span> }.into_any(),
                        }}
                    </label>
                    {move || match e.status.get() {
                        LoadStatus::Failed(msg) => Some(view! { <div class="layer-error" data-testid=format!("layer-error-{id}")>{msg}</div> }),
                        _ => None,
                    }}
                    <Show when=move || e.visible.get() && matches!(e.status.get(), LoadStatus::Loaded(_))>
                        <ul class="legend">{legend}</ul>
                    </Show>
                </li>
            }
        })
        .collect_view();
    view! {
        <aside class="panel layers" class:open=move || state.panel_open.get()>
            <h2>{move || t(state.lang.get(), "layers")}</h2>
            <ul class="layer-list">{rows}</ul>
            {move || {
                let p = state.url_problems.get();
                (!p.is_empty()).then(|| view! { <div class="url-problems">{t(state.lang.get(), "url_problem")}": "{p.join("; ")}</div> })
            }}
        </aside>
    }
}

#[component]
fn DetailsPanel(state: AppState) -> impl IntoView {
    // Grid ids change only when the grid layer loads, not per live batch.
    let grid_ids = Memo::new(move |_| {
        if let Some(e) = state.entry(LayerId::Grids) {
            e.data.track();
        }
        grid_ids(state)
    });
    let details = move || {
        state.live.rev.track();
        let (layer, key) = state.selected.get()?;
        let lang = state.lang.get();
        let e = state.entry(layer)?;
        grid_ids
            .with(|ids| {
                e.data
                    .with(|d| inspect::details(layer, d.as_ref()?, key, lang, now_s(), ids))
            })
            .map(|d| (e, d))
    };
    view! {
        {move || details().map(|(e, d)| {
            let lang = state.lang.get();
            view! {
                <aside class="panel details" data-testid="details">
                    <div class="details-head">
                        <div>
                            <div class="kind">{lang.pick(e.def.name, e.def.name_en).to_string()}</div>
                            <h2>{d.title.clone()}</h2>
                            <div class="fid" data-testid="details-id">{d.id.clone()}</div>
                        </div>
                        <button class="btn close" title=t(lang, "close") on:click=move |_| state.selected.set(None)>"×"</button>
                    </div>
                    <table>
                        {d.rows.into_iter().map(|(k, label, v)| view! {
                            <tr data-testid=format!("details-row-{k}")><th>{label}</th><td>{v}</td></tr>
                        }).collect_view()}
                    </table>
                </aside>
            }
        })}
    }
}

#[component]
fn Tooltip(state: AppState) -> impl IntoView {
    view! {
        {move || state.hover.get().filter(|h| !h.2.is_empty()).map(|(x, y, text)| view! {
            <div class="tooltip" data-testid="tooltip" style:left=format!("{}px", x + 14.0) style:top=format!("{}px", y + 14.0)>{text}</div>
        })}
    }
}

#[component]
fn StatusBar(state: AppState) -> impl IntoView {
    let bar = move || {
        let cam = state.camera.get();
        let ui = render::ui_scale(cam.width);
        scale_bar(cam.metres_per_pixel(), 130.0 * ui)
    };
    view! {
        <div class="statusbar">
            <div class="scale">
                <div class="scale-line" style:width=move || format!("{:.1}px", bar().1)></div>
                <span data-testid="scale-bar">{move || bar().2}</span>
            </div>
            <span class="coords" data-testid="coords">
                {move || match state.pointer_lonlat.get() {
                    Some((lon, lat)) => format!("{lon:.5}°E  {lat:.5}°N"),
                    None => {
                        let (lon, lat) = state.camera.get().center_lonlat();
                        format!("{lon:.5}°E  {lat:.5}°N")
                    }
                }}
            </span>
            <span class="zoom">{move || format!("z {:.1}", state.camera.get().zoom)}</span>
            <ConnIndicator state=state/>
        </div>
    }
}

#[component]
fn ConnIndicator(state: AppState) -> impl IntoView {
    // A clock for the retry countdown (read only while offline).
    let now = RwSignal::new(js_sys::Date::now());
    let tick = Closure::<dyn Fn()>::new(move || now.set(js_sys::Date::now()));
    let _ = window()
        .set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 500);
    tick.forget();
    let text = move || {
        let lang = state.lang.get();
        match state.live.conn.get() {
            Conn::Live => t(lang, "live").to_string(),
            Conn::Idle | Conn::Connecting => t(lang, "connecting").to_string(),
            Conn::Static => t(lang, "static").to_string(),
            Conn::Offline { retry_at } => {
                let s = ((retry_at - now.get()) / 1000.0).ceil().max(0.0) as u32;
                if s == 0 {
                    t(lang, "connecting").to_string()
                } else {
                    match lang {
                        Lang::Zh => format!("离线 · {s} 秒后重连"),
                        Lang::En => format!("Offline · retry in {s} s"),
                    }
                }
            }
        }
    };
    view! {
        <span class="conn" data-testid="live-status" data-state=move || state.live.conn.get().code()>
            <i class="dot"></i>
            <span>{text}</span>
        </span>
    }
}

/// Hours:minutes:seconds in CST.
fn hms_cst(unix: i64) -> String {
    let t = pingan_model::time::cst(unix);
    format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second)
}

/// Month-day hours:minutes in CST.
fn md_hm_cst(unix: i64) -> String {
    let t = pingan_model::time::cst(unix);
    format!("{:02}-{:02} {:02}:{:02}", t.month, t.day, t.hour, t.minute)
}

/// A value as read on a sensor: no more decimals than it needs.
fn reading(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[component]
fn LivePanel(state: AppState) -> impl IntoView {
    let lang = move || state.lang.get();
    let tab = state.live_tab;
    let alerts_collapsed = RwSignal::new(false);
    let cases_collapsed = RwSignal::new(false);
    let toggle_tab =
        move |t: LiveTab| tab.update(|x| *x = if *x == Some(t) { None } else { Some(t) });

    let sensor_info = move |id: &str| -> (Option<u32>, String) {
        let lang = state.lang.get_untracked();
        state
            .entry(LayerId::Sensors)
            .and_then(|e| {
                e.data.with_untracked(|d| match d.as_deref() {
                    Some(LayerData::Points(p)) => {
                        let k = p.feature_key(id)?;
                        let f = p.features().get(k as usize)?;
                        Some((Some(k), render::label_text(f, lang)))
                    }
                    _ => None,
                })
            })
            .unwrap_or((None, String::new()))
    };
    let active_alerts = move || {
        state
            .live
            .alerts
            .with(|a| a.iter().filter(|a| a.is_active()).count())
    };
    let alert_rows = move || {
        let lang = lang();
        state
            .live
            .alerts
            .get()
            .into_iter()
            .map(|a| {
                let (key, name) = sensor_info(&a.sensor);
                let name = if name.is_empty() || lang == Lang::En && !name.is_ascii() {
                    format!("{} {}", a.sensor_type.label(lang), a.sensor)
                } else {
                    name
                };
                let level = if !a.is_active() {
                    "cleared"
                } else if a.level == pingan_model::live::Level::Alarm {
                    "alarm"
                } else {
                    "warn"
                };
                let level_text = t(lang, level);
                let value = format!("{} {}", reading(a.peak), a.sensor_type.unit());
                let (lon, lat) = (a.lon, a.lat);
                let sensor = a.sensor.clone();
                let on_click = move |_| {
                    match key {
                        Some(k) => fly_to_feature(state, LayerId::Sensors, k),
                        None => {
                            let w = to_world(lon, lat);
                            fly_to(state, [w.x, w.y], 14.0);
                        }
                    }
                    state.live_tab.set(None);
                };
                view! {
                    <li class="alert" data-testid="alert-item" data-level=level data-sensor=sensor on:click=on_click>
                        <span class=format!("lvl {level}")>{level_text}</span>
                        <span class="what">
                            <span class="name">{name}</span>
                            <span class="sub">{a.sensor_type.label(lang)}</span>
                        </span>
                        <span class="val">{value}</span>
                        <time>{hms_cst(a.raised_at)}</time>
                    </li>
                }
            })
            .collect_view()
    };
    let case_rows = move || {
        let lang = lang();
        let now_s = now_s();
        let grid_place = |g: u16| -> String {
            state
                .entry(LayerId::Grids)
                .and_then(|e| {
                    e.data.with_untracked(|d| match d.as_deref() {
                        Some(LayerData::Areas(a)) => {
                            let f = a.features.get(g as usize)?;
                            let sub = f.str_prop("subdistrict").unwrap_or("");
                            let com = f.str_prop("community").unwrap_or("");
                            Some(match lang {
                                Lang::Zh => format!("{sub} {com}"),
                                Lang::En => f.id.clone().unwrap_or_default(),
                            })
                        }
                        _ => None,
                    })
                })
                .unwrap_or_default()
        };
        state
            .live
            .rows
            .get()
            .into_iter()
            .map(|r| {
                let c = r.rec;
                let overdue = c.is_overdue(now_s);
                let status = if overdue {
                    format!("{} · {}", c.status.label(lang), t(lang, "overdue"))
                } else {
                    c.status.label(lang).to_string()
                };
                let state_class = if overdue {
                    "overdue"
                } else if c.status.is_open() {
                    "open"
                } else {
                    "closed"
                };
                let key = r.key;
                view! {
                    <li
                        class="case"
                        class:fresh=r.fresh
                        data-testid="case-item"
                        data-id=c.number()
                        data-status=c.status.code()
                        on:click=move |_| {
                            fly_to_feature(state, LayerId::Cases, key);
                            state.live_tab.set(None);
                        }
                    >
                        <div class="row1">
                            <span class="num">{c.number()}</span>
                            <span class="cat">{c.category.label(lang)}</span>
                            <span class=format!("st {state_class}") data-testid="case-status">{status}</span>
                        </div>
                        <div class="row2">
                            <span class="place">{grid_place(c.grid)}</span>
                            <time>{md_hm_cst(c.time)}</time>
                        </div>
                    </li>
                }
            })
            .collect_view()
    };
    let set_status = move |ev| {
        let v = event_target_value(&ev);
        state.live.filter.update(|f| {
            f.status = match v.as_str() {
                "overdue" => StatusFilter::Overdue,
                "all" => StatusFilter::All,
                _ => StatusFilter::Open,
            }
        });
    };
    let set_category = move |ev| {
        let v = event_target_value(&ev);
        state
            .live
            .filter
            .update(|f| f.category = pingan_model::domain::CaseCategory::from_code(&v));
    };
    let set_sub = move |ev| {
        let v = event_target_value(&ev);
        state
            .live
            .filter
            .update(|f| f.subdistrict = (!v.is_empty()).then_some(v));
    };
    let category_options = move || {
        let lang = lang();
        pingan_model::domain::CaseCategory::ALL
            .iter()
            .map(|c| view! { <option value=c.code()>{c.label(lang)}</option> })
            .collect_view()
    };
    let sub_options = move || {
        let lang = lang();
        state
            .admin
            .get()
            .names
            .iter()
            .map(|(zh, en)| {
                let label = if lang == Lang::En && !en.is_empty() {
                    en.clone()
                } else {
                    zh.clone()
                };
                view! { <option value=zh.clone()>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <aside
            class="panel live"
            data-testid="live-panel"
            data-tab=move || match tab.get() {
                Some(LiveTab::Alerts) => "alerts",
                Some(LiveTab::Cases) => "cases",
                None => "",
            }
        >
            <div class="live-tabs">
                <button class="btn" class:on=move || tab.get() == Some(LiveTab::Alerts) data-testid="live-tab-alerts" on:click=move |_| toggle_tab(LiveTab::Alerts)>
                    {move || t(lang(), "alerts")}<b>{move || active_alerts().to_string()}</b>
                </button>
                <button class="btn" class:on=move || tab.get() == Some(LiveTab::Cases) data-testid="live-tab-cases" on:click=move |_| toggle_tab(LiveTab::Cases)>
                    {move || t(lang(), "case_list")}<b>{move || render::thousands(state.live.matched.get())}</b>
                </button>
            </div>
            <section class="live-sec alerts" class:collapsed=move || alerts_collapsed.get()>
                <h2 on:click=move |_| alerts_collapsed.update(|c| *c = !*c)>
                    <span>{move || t(lang(), "alerts")}</span>
                    <span class="n">{move || format!("{} {}", active_alerts(), t(lang(), "active"))}</span>
                    <span class="chev"></span>
                </h2>
                <ul class="ticker" data-testid="alert-ticker">
                    {alert_rows}
                    <Show when=move || state.live.alerts.with(|a| a.is_empty())>
                        <li class="empty">{move || t(lang(), "no_alerts")}</li>
                    </Show>
                </ul>
            </section>
            <section class="live-sec cases" class:collapsed=move || cases_collapsed.get()>
                <h2 on:click=move |_| cases_collapsed.update(|c| *c = !*c)>
                    <span>{move || t(lang(), "case_list")}</span>
                    <span class="n" data-testid="case-matched">{move || render::thousands(state.live.matched.get())}</span>
                    <span class="chev"></span>
                </h2>
                <div class="filters">
                    <select data-testid="case-filter-status" on:change=set_status>
                        <option value="open">{move || t(lang(), "f_open")}</option>
                        <option value="overdue">{move || t(lang(), "f_overdue")}</option>
                        <option value="all">{move || t(lang(), "f_all")}</option>
                    </select>
                    <select data-testid="case-filter-category" on:change=set_category>
                        <option value="">{move || t(lang(), "all_categories")}</option>
                        {category_options}
                    </select>
                    <select data-testid="case-filter-subdistrict" on:change=set_sub>
                        <option value="">{move || t(lang(), "all_subdistricts")}</option>
                        {sub_options}
                    </select>
                </div>
                <ul class="case-list" data-testid="case-list">
                    {case_rows}
                </ul>
            </section>
        </aside>
    }
}
