//! The small web layer the rest of the app uses: the clocks (`time`),
//! fetching bytes with typed errors (`fetch`), and tying a browser resource
//! (a timer, a listener) to the mounted app (`hold`). Timers and listeners
//! are `gloo` RAII handles: dropping one cancels or removes it. Nothing here
//! knows the app's state.

pub mod fetch;
pub mod idb;
pub mod time;

use leptos::prelude::on_cleanup;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};

/// Keeps `resource` (a `gloo` `Interval`, `Timeout` or `EventListener`, …)
/// alive until the current reactive owner is cleaned up (the component
/// unmounts), then drops it, which releases it.
pub fn hold<T: 'static>(resource: T) {
    let kept = SendWrapper::new(resource);
    on_cleanup(move || drop(kept));
}

/// The `window.__pingan` test-hook object, if installed.
pub fn hook_object() -> Option<js_sys::Object> {
    let w = web_sys::window()?;
    js_sys::Reflect::get(&w, &JsValue::from_str("__pingan"))
        .ok()?
        .dyn_into()
        .ok()
}

/// Sets one value on `window.__pingan` (when installed).
pub fn set_hook_value(name: &str, v: &JsValue) {
    if let Some(o) = hook_object() {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), v);
    }
}

/// Removes `window.__pingan[name]` (a mode's hooks at its unmount: they
/// hold closures over the mode's signals, which are gone then).
pub fn remove_hook_value(name: &str) {
    if let Some(o) = hook_object() {
        let _ = js_sys::Reflect::delete_property(&o, &JsValue::from_str(name));
    }
}
