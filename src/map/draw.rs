//! One frame: the live events queued since the last frame applied as a
//! batch, the `Scene` built from the state (untracked), drawn by the
//! `Renderer`, and the counters the test hooks read. Registered with
//! `crate::frame` at mount; [`reset`] drops the renderer at unmount. A frame
//! asks for the next only while pulses run, the camera is moving (to settle
//! once it rests) or a loading layer waits to be rendered: with nothing
//! changing, no frame is drawn.

use crate::live;
use crate::render::{Composed, FrameStats, Renderer, Scene};
use crate::state::AppState;
use crate::web::{self, time::now_ms};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::VecDeque;
use wasm_bindgen::JsValue;

/// The renderer and what the frames measured.
#[derive(Default)]
pub struct Frames {
    pub renderer: Option<Renderer>,
    pub stats: FrameStats,
    pub frame_ms: VecDeque<f64>,
    first_frame_ms: Option<f64>,
    /// How often each cached surface was re-rendered (polygons, points).
    pub surface_renders: [u32; 2],
    /// Frames that patched the points surface instead of re-rendering it,
    /// and the places patched; the same for the base surface (grids whose
    /// choropleth class changed).
    pub surface_patches: [u32; 4],
    pub frame_count: u64,
    /// Frames by what they composed on screen: [all of it, some squares,
    /// nothing, moving (the last pictures placed for a moving camera)].
    pub composed: [u32; 4],
    /// Whole-frame cost (apply + draw) of frames that applied live events.
    pub live_frame_ms: VecDeque<f64>,
}

thread_local! {
    static FRAMES: RefCell<Frames> = RefCell::new(Frames::default());
}

/// Reads the frames' state (test hooks).
pub fn with_frames<R>(f: impl FnOnce(&mut Frames) -> R) -> R {
    FRAMES.with(|fr| f(&mut fr.borrow_mut()))
}

/// Drops the renderer and the counters (at unmount).
pub fn reset() {
    let old = FRAMES.with(|f| std::mem::take(&mut *f.borrow_mut()));
    drop(old);
}

/// Draws one frame onto `canvas`.
pub fn draw_frame(state: AppState, canvas_ref: NodeRef<leptos::html::Canvas>) {
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
    // A moving frame asks for the next: the first in which the camera rests
    // renders the surfaces for it.
    let mut settling = false;
    let all_settled = state.all_settled();
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
        wall: state.wall_view.get_untracked(),
        position: state.position.get_untracked(),
        loading: !all_settled,
        now_ms: t_now,
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
        let kind = match stats.composed {
            _ if stats.moving => 3,
            Composed::Full => 0,
            Composed::Part(..) => 1,
            Composed::Nothing => 2,
        };
        f.composed[kind] += 1;
        settling = stats.moving || stats.deferred;
        f.surface_renders[0] += stats.base_rendered as u32;
        f.surface_renders[1] += stats.points_rendered as u32;
        if stats.points_patched > 0 {
            f.surface_patches[0] += 1;
            f.surface_patches[1] += stats.points_patched as u32;
        }
        if stats.base_patched > 0 {
            f.surface_patches[2] += 1;
            f.surface_patches[3] += stats.base_patched as u32;
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
        if all_settled && f.first_frame_ms.is_none() {
            let t = now_ms();
            f.first_frame_ms = Some(t);
            web::set_hook_value("firstFrameMs", &JsValue::from_f64(t));
            if let Some(el) = document().document_element() {
                let _ = el.set_attribute("data-ready", "true");
            }
        }
    });
    if animating || settling {
        crate::frame::request_frame();
    }
}
