//! The wall's title and clock (the server's clock, CST, to the second), and
//! under it the stale-data warning when there is one.

use super::stale::StaleWarning;
use crate::state::use_app;
use crate::wall::use_wall;
use leptos::prelude::*;

#[component]
pub fn WallHeader() -> impl IntoView {
    let state = use_app();
    let wall = use_wall();
    let clock = move || {
        let t = (wall.now_ms.get() / 1000.0) as i64;
        let d = pingan_model::time::cst(t);
        format!(
            "{:04}-{:02}-{:02} {}",
            d.year,
            d.month,
            d.day,
            super::hms_cst(t)
        )
    };
    view! {
        <div class="w-header">
            <h1>{move || state.lang.get().pick("平安宝安 · 综治指挥", "Safe Bao'an · Command centre")}</h1>
            <span class="w-clock" data-testid="wall-clock">{clock}" CST"</span>
            <StaleWarning/>
        </div>
    }
}
