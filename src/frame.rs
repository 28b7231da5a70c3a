//! The frame scheduler: [`request_frame`] asks for one animation frame
//! (coalesced: at most one pending), which runs the draw callback the app
//! registered at mount ([`register`]). Code that changes what is drawn (live
//! events, loading) only asks for a frame; it never imports the drawing.
//! [`unregister`] (at unmount) cancels a pending frame and drops the callback.
//!
//! Hand-written rather than `gloo-render`: one reused closure for the page's
//! frames instead of a new boxed closure per frame.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Default)]
struct Scheduler {
    draw: Option<Rc<dyn Fn()>>,
    /// The pending animation frame's id.
    pending: Option<i32>,
    callback: Option<Closure<dyn FnMut(f64)>>,
}

thread_local! {
    static FRAME: RefCell<Scheduler> = RefCell::new(Scheduler::default());
}

/// Registers the draw callback (at mount; replaces any earlier one).
pub fn register(draw: impl Fn() + 'static) {
    FRAME.with(|f| f.borrow_mut().draw = Some(Rc::new(draw)));
}

/// Cancels a pending frame and drops the draw callback (at unmount).
pub fn unregister() {
    let old = FRAME.with(|f| std::mem::take(&mut *f.borrow_mut()));
    if let (Some(id), Some(w)) = (old.pending, web_sys::window()) {
        let _ = w.cancel_animation_frame(id);
    }
}

/// Asks for a frame (no-op when one is pending or nothing is registered).
pub fn request_frame() {
    FRAME.with(|f| {
        let mut f = f.borrow_mut();
        if f.pending.is_some() || f.draw.is_none() {
            return;
        }
        let cb = f
            .callback
            .get_or_insert_with(|| Closure::new(|_t: f64| run()));
        let id = web_sys::window()
            .and_then(|w| w.request_animation_frame(cb.as_ref().unchecked_ref()).ok());
        f.pending = id;
    });
}

fn run() {
    let draw = FRAME.with(|f| {
        let mut f = f.borrow_mut();
        f.pending = None;
        f.draw.clone()
    });
    if let Some(draw) = draw {
        draw();
    }
}
