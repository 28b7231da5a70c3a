//! Ping'an Map (平安地图): the browser app. A thin shell around
//! `pingan-model`: signals own the data, one Effect owns the canvas.
//!
//! Modules: `auth` (who is signed in, the sign-in calls), `state` (the
//! app's signals), `web` (clocks, fetch, timers),
//! `frame` (the frame scheduler), `map` (canvas, gestures, flights,
//! loading, drawing a frame), `url`, `hooks` (test hooks), `panels` (one
//! component per file), `layouts` (one per mode), `live` (the live client),
//! `sync` and `wire` (its pure bookkeeping and protocol), and the drawing
//! and data modules `data`, `render`, `style`, `inspect`, `i18n`.

mod app;
mod auth;
mod data;
mod field;
mod frame;
mod hooks;
mod i18n;
mod inspect;
mod layers;
mod layouts;
mod live;
mod map;
mod panels;
mod render;
mod state;
mod style;
mod sync;
mod url;
mod wall;
mod web;
mod wire;

use std::any::Any;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The mounted app; dropping it unmounts it (`__pingan.unmount()`).
    static MOUNTED: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

fn main() {
    console_error_panic_hook::set_once();
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    let handle = leptos::mount::mount_to(body, app::App);
    MOUNTED.with(|m| *m.borrow_mut() = Some(Box::new(handle)));
    // Tests: unmount the app (every timer, listener, frame and socket it
    // started is released).
    web::set_hook_value(
        "unmount",
        &Closure::<dyn Fn()>::new(|| {
            let handle = MOUNTED.with(|m| m.borrow_mut().take());
            drop(handle);
        })
        .into_js_value(),
    );
}
