//! What the pointer, the wheel and the keyboard do to the map: press-drag
//! pans (past a 4 px threshold), two pointers pinch, a tap selects (or zooms
//! into a cluster, or fits a subdistrict badge), hover shows a tooltip, the
//! wheel zooms at the pointer, keys zoom, pan and close the details.

use crate::i18n::t;
use crate::inspect::{self, Hit};
use crate::render;
use crate::state::AppState;
use leptos::prelude::*;
use pingan_model::projection::{to_lonlat, World};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;

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
    if state.picking.get_untracked() {
        // The field mode's "tap the map to set where you are".
        let [x, y] = cam.to_world(p);
        let (lon, lat) = to_lonlat(World { x, y });
        state.picking.set(false);
        state.picked.set(Some([lon, lat]));
        return;
    }
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
                let (lon0, lat1) = to_lonlat(World {
                    x: b.min[0],
                    y: b.min[1],
                });
                let (lon1, lat0) = to_lonlat(World {
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

/// The canvas's pointer and wheel handlers, sharing one gesture.
pub struct Handlers {
    pub down: Box<dyn FnMut(web_sys::PointerEvent)>,
    pub moved: Box<dyn FnMut(web_sys::PointerEvent)>,
    pub up: Box<dyn FnMut(web_sys::PointerEvent)>,
    pub cancel: Box<dyn FnMut(web_sys::PointerEvent)>,
    pub leave: Box<dyn FnMut(web_sys::PointerEvent)>,
    pub wheel: Box<dyn FnMut(web_sys::WheelEvent)>,
}

/// The handlers for the map canvas.
pub fn handlers(state: AppState, canvas_ref: NodeRef<leptos::html::Canvas>) -> Handlers {
    let gesture = Rc::new(RefCell::new(Gesture::default()));
    let (g1, g2, g3, g4) = (gesture.clone(), gesture.clone(), gesture.clone(), gesture);

    let down = move |ev: web_sys::PointerEvent| {
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
    let moved = move |ev: web_sys::PointerEvent| {
        let p = local_pos(&ev);
        let cam = state.camera.get_untracked();
        let w = cam.to_world(p);
        state
            .pointer_lonlat
            .set(Some(to_lonlat(World { x: w[0], y: w[1] })));
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
                state.panned.update(|n| *n += 1);
                state.camera.update(|c| c.pan_by(p[0] - s[0], p[1] - s[1]));
            }
        }
    };
    let up = move |ev: web_sys::PointerEvent| {
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
    let cancel = move |ev: web_sys::PointerEvent| {
        let mut g = g4.borrow_mut();
        g.pointers.remove(&ev.pointer_id());
        g.pinch = None;
        g.start = None;
    };
    let wheel = move |ev: web_sys::WheelEvent| {
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
    let leave = move |_ev: web_sys::PointerEvent| {
        state.hover.set(None);
        state.pointer_lonlat.set(None);
    };
    Handlers {
        down: Box::new(down),
        moved: Box::new(moved),
        up: Box::new(up),
        cancel: Box::new(cancel),
        leave: Box::new(leave),
        wheel: Box::new(wheel),
    }
}

/// Keyboard: +/- zoom, arrows pan, Escape closes details.
pub fn on_key(state: AppState, ev: &web_sys::KeyboardEvent) {
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
}
