//! `window.__pingan`: the test hooks (view, project, setView, visibleLayers,
//! drawn, frameTimes, surfaceRenders, surfacePatches, composed, pointsCanvas,
//! forcePointsRender, frames, liveFrameMs, hit, gridClass, firstFrameMs,
//! and `live` from the live client). Installed at mount, removed at unmount.

use crate::inspect::{self, Hit};
use crate::live;
use crate::map::draw::with_frames;
use crate::state::AppState;
use leptos::prelude::*;
use pingan_model::projection::to_world;
use wasm_bindgen::prelude::*;

/// Installs `window.__pingan` for `state`; removed when the owner is cleaned up.
pub fn install(state: AppState) {
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
            for id in state.visible_ids() {
                arr.push(&JsValue::from_str(id));
            }
            arr.into()
        })
        .into_js_value(),
    );
    set(
        "drawn",
        Closure::<dyn Fn(String) -> f64>::new(move |id: String| {
            with_frames(|f| {
                f.stats
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
            with_frames(|f| {
                for v in &f.frame_ms {
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
            let [base, points] = with_frames(|f| f.surface_renders);
            js_sys::Array::of2(&base.into(), &points.into()).into()
        })
        .into_js_value(),
    );
    set(
        "surfacePatches",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let arr = js_sys::Array::new();
            for n in with_frames(|f| f.surface_patches) {
                arr.push(&JsValue::from(n));
            }
            arr.into()
        })
        .into_js_value(),
    );
    // Frames by what they composed: [all of the screen, some squares, nothing,
    // moving (the last pictures placed for a moving camera)].
    set(
        "composed",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let arr = js_sys::Array::new();
            for n in with_frames(|f| f.composed) {
                arr.push(&JsValue::from(n));
            }
            arr.into()
        })
        .into_js_value(),
    );
    // The points surface's offscreen canvas (tests compare its pixels).
    set(
        "pointsCanvas",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            with_frames(|f| {
                f.renderer
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
            with_frames(|f| {
                if let Some(r) = f.renderer.as_mut() {
                    r.invalidate_points();
                }
            });
            crate::frame::request_frame();
        })
        .into_js_value(),
    );
    set(
        "frames",
        Closure::<dyn Fn() -> f64>::new(move || with_frames(|f| f.frame_count as f64))
            .into_js_value(),
    );
    set(
        "liveFrameMs",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let arr = js_sys::Array::new();
            with_frames(|f| {
                for v in &f.live_frame_ms {
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
    // Gone with the app: the hooks hold its state.
    on_cleanup(|| {
        if let Some(w) = web_sys::window() {
            let _ = js_sys::Reflect::delete_property(&w, &JsValue::from_str("__pingan"));
        }
    });
}
