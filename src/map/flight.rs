//! Camera moves that are not gestures: a flight to a point (0.6 s, ease
//! in-out by `pingan_model::flight::eased`, in animation frames; a new
//! flight replaces one under way), a flight to a layer's point with its selection, and fitting the district
//! into the part of the map the panels leave free. [`stop`] ends a flight
//! at unmount.

use crate::data::LayerData;
use crate::render;
use crate::state::AppState;
use crate::web::time::now_ms;
use leptos::prelude::*;
use pingan_model::flight::{eased, View};
use pingan_model::layers::LayerId;
use pingan_model::projection::World;
use pingan_model::viewport::{DISTRICT_LONLAT_BBOX, MAX_ZOOM};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A camera flight (world centre and zoom, from → to, over `FLY_MS`).
struct Flight {
    from: (World, f64),
    to: (World, f64),
    t0: f64,
}

const FLY_MS: f64 = 600.0;

/// The flight under way, its pending frame and the frame callback that
/// moves it (made at the first flight of a mount; it holds the state).
#[derive(Default)]
struct FlightLoop {
    flight: Option<Flight>,
    frame: Option<i32>,
    callback: Option<Closure<dyn FnMut(f64)>>,
}

thread_local! {
    static FLIGHT: RefCell<FlightLoop> = RefCell::new(FlightLoop::default());
}

/// Ends a flight under way and drops its callback (at unmount).
pub fn stop() {
    let old = FLIGHT.with(|f| std::mem::take(&mut *f.borrow_mut()));
    if let (Some(id), Some(w)) = (old.frame, web_sys::window()) {
        let _ = w.cancel_animation_frame(id);
    }
}

fn step(state: AppState) {
    let step = FLIGHT.with(|f| {
        let mut f = f.borrow_mut();
        f.frame = None;
        let fl = f.flight.as_ref()?;
        let u = ((now_ms() - fl.t0) / FLY_MS).clamp(0.0, 1.0);
        Some((fl.from, fl.to, u))
    });
    let Some((from, to, u)) = step else { return };
    let view = |(center, zoom): (World, f64)| View { center, zoom };
    let v = eased(view(from), view(to), u);
    state.camera.update(|c| {
        c.zoom = v.zoom;
        c.center = v.center;
    });
    FLIGHT.with(|f| {
        let mut f = f.borrow_mut();
        if u >= 1.0 {
            f.flight = None;
        } else {
            next_frame(&mut f);
        }
    });
}

fn next_frame(f: &mut FlightLoop) {
    if let (Some(cb), Some(w)) = (f.callback.as_ref(), web_sys::window()) {
        f.frame = w.request_animation_frame(cb.as_ref().unchecked_ref()).ok();
    }
}

/// Flies the camera to a world point, ending at least at `min_zoom`, over
/// 0.6 s (ease in-out, in requestAnimationFrame); a new flight replaces one
/// under way.
pub fn fly_to(state: AppState, at: [f64; 2], min_zoom: f64) {
    let cam = state.camera.get_untracked();
    let to_zoom = cam.zoom.max(min_zoom).min(MAX_ZOOM);
    FLIGHT.with(|f| {
        let mut f = f.borrow_mut();
        let running = f.frame.is_some();
        f.flight = Some(Flight {
            from: (cam.center, cam.zoom),
            to: (World { x: at[0], y: at[1] }, to_zoom),
            t0: now_ms(),
        });
        if f.callback.is_none() {
            f.callback = Some(Closure::new(move |_t: f64| step(state)));
        }
        if !running {
            next_frame(&mut f);
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
    let cam = state.camera.get_untracked();
    let ui = render::ui_scale(cam.width, cam.height);
    let min_eff = crate::layers::spec(layer).fly_min_eff;
    fly_to(state, at, min_eff + ui.log2());
    state.selected.set(Some((layer, key)));
    state.panel_open.set(false);
}

/// Fits the whole district into the part of the map the panels leave free.
pub fn fit_district(state: AppState) {
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
