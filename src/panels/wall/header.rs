//! The wall's title and clock (the server's clock, CST, to the second), who
//! the wall is signed in as (a wall device's name; a person's masked: a
//! public screen shows no one's name) — no sign-out: nothing to click —,
//! and under it the stale-data warning when there is one.

use super::stale::StaleWarning;
use crate::auth::Kind;
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
            <h1>{move || state.lang.get().pick("平安宝安 · 综治指挥", "Safe Bao'an")}</h1>
            <span class="w-clock" data-testid="wall-clock">{clock}" CST"</span>
            {move || {
                let lang = state.lang.get();
                state.session.with(|s| s.me().cloned()).map(|me| {
                    let device = me.kind == Kind::Device;
                    let name = if device {
                        me.display_name.clone()
                    } else {
                        pingan_model::privacy::mask_actor(&me.display_name)
                    };
                    view! {
                        <span class="w-account" data-testid="account" data-kind=if device { "device" } else { "user" }>
                            <span data-testid="account-name">{name}</span>" · "
                            <span data-testid="account-role">{me.role_text(lang)}</span>
                        </span>
                    }
                })
            }}
            <StaleWarning/>
        </div>
    }
}
