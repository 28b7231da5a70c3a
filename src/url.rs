//! The URL follows the view: centre, zoom, visible layers, language and
//! mode, written with `replaceState` 250 ms after the last change (it is
//! rate-limited). Read once at mount (`ViewState::parse`, in the model).

use crate::state::AppState;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use pingan_model::viewport::ViewState;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// The view the page's URL describes.
pub fn read() -> ViewState {
    let search = window().location().search().unwrap_or_default();
    ViewState::parse(&search, |id| pingan_model::layers::layer(id).is_some())
}

fn write(state: AppState) {
    let cam = state.camera.get_untracked();
    let (lon, lat) = cam.center_lonlat();
    let q = ViewState::to_query_in(
        state.mode,
        lon,
        lat,
        cam.zoom,
        &state.visible_ids(),
        state.lang.get_untracked(),
    );
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&q));
    }
}

/// Keeps the URL following the view; the pending write is cancelled with
/// the Effect (at unmount).
pub fn follow(state: AppState) {
    let pending: Rc<RefCell<Option<Timeout>>> = Rc::default();
    // Armed once a run has seen the canvas sized: the first size (and the fit
    // to the district it brings) is not a change of the user's, so the URL
    // stays as typed until the view really changes — whichever of the mount
    // and this Effect's first run comes first.
    Effect::new(move |armed: Option<bool>| {
        state.camera.track();
        state.lang.track();
        for e in state.layers {
            e.visible.track();
        }
        if armed == Some(true) {
            // A new timeout replaces (drops: cancels) the pending one.
            let timeout = Timeout::new(250, move || write(state));
            *pending.borrow_mut() = Some(timeout);
        }
        state.sized.get_untracked()
    });
}
