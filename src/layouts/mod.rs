//! The layouts, one file per mode (`?mode=`), each composing the shared
//! map and panels. Only `desk` exists so far: `wall`, `field` and `plan`
//! fall back to it until their own layouts land.

mod desk;

use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::viewport::Mode;

/// The layout of the app's mode.
#[component]
pub fn Layout() -> impl IntoView {
    match use_app().mode {
        // Not built yet: the desk layout stands in.
        Mode::Desk | Mode::Wall | Mode::Field | Mode::Plan => desk::Desk().into_any(),
    }
}
