//! The layouts, one file per mode (`?mode=`), each composing the shared
//! map and panels: `desk` and `wall`; `field` and `plan` fall back to the
//! desk until their own layouts land.

mod desk;
mod wall;

use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::viewport::Mode;

/// The layout of the app's mode.
#[component]
pub fn Layout() -> impl IntoView {
    match use_app().mode {
        Mode::Wall => wall::Wall().into_any(),
        // Not built yet: the desk layout stands in.
        Mode::Desk | Mode::Field | Mode::Plan => desk::Desk().into_any(),
    }
}
