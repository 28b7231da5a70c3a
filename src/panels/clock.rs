//! The clock in the top bar (CST, ticking each second while mounted).

use crate::web::{self, time::now_s};
use gloo_timers::callback::Interval;
use leptos::prelude::*;

#[component]
pub fn Clock() -> impl IntoView {
    let now = RwSignal::new(now_s());
    web::hold(Interval::new(1000, move || now.set(now_s())));
    view! { <div class="clock">{move || pingan_model::time::format_cst(now.get())}" CST"</div> }
}
