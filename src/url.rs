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

/// The query string of the view now (tracked: camera, language, layers).
/// Rounded as the URL is (`ViewState::to_query_in`), so a resize that keeps
/// the centre and zoom gives the same string.
fn query(state: AppState) -> String {
    for e in state.layers {
        e.visible.track();
    }
    let cam = state.camera.get();
    let (lon, lat) = cam.center_lonlat();
    ViewState::to_query_in(
        state.mode,
        lon,
        lat,
        cam.zoom,
        &state.visible_ids(),
        state.lang.get(),
    )
}

fn write(q: &str) {
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(q));
    }
}

/// Keeps the URL following the view; the pending write is cancelled with
/// the Effect (at unmount).
pub fn follow(state: AppState) {
    let pending: Rc<RefCell<Option<Timeout>>> = Rc::default();
    // Armed once a run has seen the canvas sized: the first size (and the fit
    // to the district it brings) is not a change of the user's, so the URL
    // stays as typed until the view really changes — whichever of the mount
    // and this Effect's first run comes first. Once armed, a run writes only
    // when the query string changed: a resize (or the phone's drawer) changes
    // the camera's size, not the view.
    Effect::new(move |prev: Option<(bool, String)>| {
        let q = query(state);
        if let Some((true, last)) = &prev {
            if *last != q {
                let written = q.clone();
                // A new timeout replaces (drops: cancels) the pending one.
                let timeout = Timeout::new(250, move || write(&written));
                *pending.borrow_mut() = Some(timeout);
            }
        }
        (state.sized.get_untracked(), q)
    });
}
