//! The layouts, one file per mode (`?mode=`), each composing the shared
//! map and panels: `desk`, `wall` and `field`; `plan` falls back to the
//! desk until its own layout lands.

mod desk;
mod field;
mod wall;

use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::viewport::Mode;

/// The layout of the app's mode.
#[component]
pub fn Layout() -> impl IntoView {
    match use_app().mode {
        Mode::Wall => wall::Wall().into_any(),
        Mode::Field => field::Field().into_any(),
        // Not built yet: the desk layout stands in.
        Mode::Desk | Mode::Plan => desk::Desk().into_any(),
    }
}
