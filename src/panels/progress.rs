//! The loading progress bar (layers settled / all), gone once all settled.

use crate::i18n::t;
use crate::state::{use_app, LoadStatus};
use leptos::prelude::*;

#[component]
pub fn ProgressBar() -> impl IntoView {
    let state = use_app();
    let settled = move || {
        state
            .layers
            .iter()
            .filter(|e| e.status.get() != LoadStatus::Pending)
            .count()
    };
    let total = state.layers.len();
    view! {
        <Show when=move || { settled() < total }>
            <div class="progress" data-testid="progress" role="progressbar">
                <span>{move || format!("{} {}/{}", t(state.lang.get(), "loading"), settled(), total)}</span>
                <div class="bar"><div class="fill" style:width=move || format!("{}%", settled() * 100 / total)></div></div>
            </div>
        </Show>
    }
}
