//! The map's buttons: zoom in, zoom out, fit the district.

use crate::i18n::t;
use crate::map::flight::fit_district;
use crate::state::use_app;
use leptos::prelude::*;

#[component]
pub fn MapControls() -> impl IntoView {
    let state = use_app();
    let zoom_by = move |dz: f64| {
        state
            .camera
            .update(|c| c.zoom_at(dz, [c.width / 2.0, c.height / 2.0]))
    };
    let fit = move || fit_district(state);
    let lang = move || state.lang.get();
    view! {
        <div class="controls">
            <button class="btn round" data-testid="zoom-in" title=move || t(lang(), "zoom_in") on:click=move |_| zoom_by(1.0)>"+"</button>
            <button class="btn round" data-testid="zoom-out" title=move || t(lang(), "zoom_out") on:click=move |_| zoom_by(-1.0)>"−"</button>
            <button class="btn round fit" title=move || t(lang(), "fit") on:click=move |_| fit()>"⤢"</button>
        </div>
    }
}
