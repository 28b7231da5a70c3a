//! The stale-data warning: discreet, under the clock, once the stream has
//! been silent for more than a minute: how old the newest data is.

use crate::state::use_app;
use crate::wall::stale::{age_text, newest_text};
use crate::wall::use_wall;
use leptos::prelude::*;
use pingan_model::domain::Lang;

#[component]
pub fn StaleWarning() -> impl IntoView {
    let state = use_app();
    let wall = use_wall();
    let text = move || {
        let age = wall.stale.get()?;
        let zh = state.lang.get() == Lang::Zh;
        let now = wall.now_ms.get_untracked();
        let since = newest_text(((now - age) / 1000.0) as i64, (now / 1000.0) as i64);
        Some(if zh {
            format!("数据中断 {} · 最新 {}", age_text(age, true), since)
        } else {
            format!("No data for {} · newest {}", age_text(age, false), since)
        })
    };
    view! {
        <Show when=move || wall.stale.get().is_some()>
            <div class="w-stale" data-testid="wall-stale">{text}</div>
        </Show>
    }
}
