//! The layer panel: one row per layer (toggle, name, count or failure and
//! its explanation, legend), and the URL's problems.

use crate::i18n::t;
use crate::state::{use_app, LoadStatus};
use crate::style::Swatch;
use leptos::prelude::*;

#[component]
pub fn LayerPanel() -> impl IntoView {
    let state = use_app();
    let rows = state
        .layers
        .iter()
        .rev()
        .copied()
        .map(|e| {
            let id = e.def.id;
            let legend = move || {
                let lang = state.lang.get();
                let breaks = state.breaks.get();
                crate::layers::legend(id, lang, &breaks)
                    .into_iter()
                    .map(|item| {
                        let sw = match item.swatch {
                            Swatch::Fill(c) => view! { <span class="sw fill" style:background=c></span> }.into_any(),
                            Swatch::Line(c) => view! { <span class="sw line" style:border-color=c></span> }.into_any(),
                            Swatch::Dot { fill, ring } => view! {
                                <span class="sw dot" style:background=fill style:border-color=ring.unwrap_or_else(|| "transparent".into())></span>
                            }
                            .into_any(),
                        };
                        view! { <li>{sw}<span>{item.text}</span></li> }
                    })
                    .collect_view()
            };
            view! {
                <li class="layer" data-testid=format!("layer-{id}") class:off=move || !e.visible.get()>
                    <label class="layer-head">
                        <input
                            type="checkbox"
                            data-testid=format!("layer-toggle-{id}")
                            prop:checked=move || e.visible.get()
                            on:change=move |ev| e.visible.set(event_target_checked(&ev))
                        />
                        <span class="name">{move || state.lang.get().pick(e.def.name, e.def.name_en).to_string()}</span>
                        {move || match e.status.get() {
                            LoadStatus::Pending => view! { <span class="count pending">{t(state.lang.get(), "pending")}</span> }.into_any(),
                            LoadStatus::Loaded(n) => view! { <span class="count" data-testid=format!("layer-count-{id}")>{n.to_string()}</span> }.into_any(),
                            LoadStatus::Failed(_) => view! { <span class="count failed">{t(state.lang.get(), "failed")}</span> }.into_any(),
                        }}
                    </label>
                    {move || match e.status.get() {
                        LoadStatus::Failed(msg) => Some(view! { <div class="layer-error" data-testid=format!("layer-error-{id}")>{msg}</div> }),
                        _ => None,
                    }}
                    {move || match e.without_geometry.get() {
                        0 => None,
                        n => Some(view! { <div class="layer-note" data-testid=format!("layer-note-{id}")>{format!("{n} {}", t(state.lang.get(), "without_geometry"))}</div> }),
                    }}
                    <Show when=move || e.visible.get() && matches!(e.status.get(), LoadStatus::Loaded(_))>
                        <ul class="legend">{legend}</ul>
                    </Show>
                </li>
            }
        })
        .collect_view();
    view! {
        <aside class="panel layers" class:open=move || state.panel_open.get()>
            <h2>{move || t(state.lang.get(), "layers")}</h2>
            <ul class="layer-list">{rows}</ul>
            {move || {
                let p = state.url_problems.get();
                (!p.is_empty()).then(|| view! { <div class="url-problems">{t(state.lang.get(), "url_problem")}": "{p.join("; ")}</div> })
            }}
        </aside>
    }
}
