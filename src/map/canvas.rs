//! The map canvas (`MapCanvas`): sized from the layout (and on window
//! resizes), the pointer and wheel gestures and the keyboard bound to it,
//! the frame callback registered with `crate::frame` at mount, and the
//! layers' loading started once it is in the DOM. Everything it started is
//! released on unmount.

use super::{draw, flight, gestures, loader};
use crate::frame;
use crate::state::{use_app, AppState};
use crate::web;
use gloo_events::{EventListener, EventListenerOptions};
use leptos::prelude::*;
use pingan_model::viewport::Mode;
use wasm_bindgen::JsCast;

/// The field mode's largest device pixel ratio.
const FIELD_MAX_DPR: f64 = 2.0;

fn measure(state: AppState, canvas: &web_sys::HtmlCanvasElement) {
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    if w <= 0.0 || h <= 0.0 {
        return;
    }
    let dpr = window().device_pixel_ratio().max(1.0);
    // A phone's 3× screen would make each cached surface ~55 MB at 390×844
    // (measured, bench-field): the field mode draws at most 2× (text still
    // sharp; a quarter of the pixels to render and keep).
    let cap = if state.mode == Mode::Field {
        FIELD_MAX_DPR
    } else {
        f64::INFINITY
    };
    state.dpr.set(dpr.min(cap));
    let first = !state.sized.get_untracked();
    state.camera.update(|c| {
        c.width = w;
        c.height = h;
    });
    if first {
        // The first real size: fit the district now (not on the 1×1 placeholder)
        // unless the URL gave a view.
        if state.fit_on_first_size {
            flight::fit_district(state);
        }
        state.sized.set(true);
    }
}

#[component]
pub fn MapCanvas() -> impl IntoView {
    let state = use_app();
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    frame::register(move || draw::draw_frame(state, canvas_ref));
    on_cleanup(|| {
        frame::unregister();
        flight::stop();
        draw::reset();
    });

    // Size the canvas once it is in the DOM, fit the district unless the URL
    // says otherwise, start loading; follow window resizes.
    Effect::new(move |_| {
        if let Some(c) = canvas_ref.get() {
            measure(state, &c);
            leptos::task::spawn_local(loader::load_all(state));
        }
    });
    let w = window();
    web::hold(EventListener::new(&w, "resize", move |_| {
        if let Some(c) = canvas_ref.get_untracked() {
            measure(state, &c);
        }
    }));
    web::hold(EventListener::new_with_options(
        &w,
        "keydown",
        EventListenerOptions::enable_prevent_default(),
        move |ev| {
            if let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() {
                gestures::on_key(state, ev);
            }
        },
    ));

    let h = gestures::handlers(state, canvas_ref);
    view! {
        <canvas
            node_ref=canvas_ref
            class="map"
            data-testid="map-canvas"
            on:pointerdown=h.down
            on:pointermove=h.moved
            on:pointerup=h.up
            on:pointercancel=h.cancel
            on:pointerleave=h.leave
            on:wheel=h.wheel
        ></canvas>
    }
}
