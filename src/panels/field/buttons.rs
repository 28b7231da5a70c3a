//! The field map's own buttons, big enough for a thumb (≥ 44 px): follow me
//! (the map keeps the position in view; a pan turns it off), and 上报 /
//! Report, which opens the report form where the officer stands.

use super::use_field;
use crate::field::{Sheet, View};
use crate::state::use_app;
use leptos::prelude::*;

#[component]
pub fn MapButtons() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    // A pan by hand stops following (a pinch only zooms: it does not).
    Effect::new(move |first: Option<()>| {
        state.panned.track();
        if first.is_some() {
            f.follow.set(false);
        }
    });
    view! {
        <div class="field-buttons">
            <button
                class="fab follow"
                data-testid="follow"
                aria-pressed=move || f.follow.get().to_string()
                title=move || state.lang.get().pick("跟随我的位置", "Follow my position")
                on:click=move |_| f.follow.update(|v| *v = !*v)
            >{move || if f.follow.get() { "◉" } else { "◎" }}</button>
            <button
                class="fab report"
                data-testid="report"
                on:click=move |_| {
                    f.view.set(View::Report);
                    f.sheet.set(Sheet::Full);
                }
            >{move || state.lang.get().pick("上报", "Report")}</button>
        </div>
    }
}
