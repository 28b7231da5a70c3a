//! The top bar: title, clock, loading progress, the layer-panel button
//! (phones) and the language switch.

use super::{clock::Clock, progress::ProgressBar};
use crate::i18n::t;
use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::domain::Lang;

#[component]
pub fn TopBar() -> impl IntoView {
    let state = use_app();
    let lang = move || state.lang.get();
    view! {
        <header class="topbar">
            <h1>{move || t(lang(), "title")}</h1>
            <Clock/>
            <ProgressBar/>
            <button class="btn layers-btn" on:click=move |_| state.panel_open.update(|o| *o = !*o)>
                {move || t(lang(), "layers")}
            </button>
            <button
                class="btn"
                data-testid="lang-toggle"
                on:click=move |_| state.lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })
            >
                {move || t(lang(), "lang")}
            </button>
        </header>
    }
}
