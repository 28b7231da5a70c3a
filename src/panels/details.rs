//! The details panel of the selected feature (its rows follow live changes),
//! with its contacts and the actions the session may take on it.

use super::{actions::Actions, contacts::Contacts};
use crate::data::LayerData;
use crate::i18n::t;
use crate::inspect;
use crate::state::{use_app, AppState};
use crate::web::time::now_s;
use leptos::prelude::*;
use pingan_model::layers::LayerId;

fn grid_ids(state: AppState) -> Vec<String> {
    state
        .entry(LayerId::Grids)
        .and_then(|e| {
            e.data.with_untracked(|d| match d.as_deref() {
                Some(LayerData::Areas(a)) => Some(
                    a.features
                        .iter()
                        .map(|f| f.id.clone().unwrap_or_default())
                        .collect(),
                ),
                _ => None,
            })
        })
        .unwrap_or_default()
}

#[component]
pub fn DetailsPanel() -> impl IntoView {
    let state = use_app();
    // Grid ids change only when the grid layer loads, not per live batch.
    let grid_ids = Memo::new(move |_| {
        if let Some(e) = state.entry(LayerId::Grids) {
            e.data.track();
        }
        grid_ids(state)
    });
    let details = move || {
        state.live.rev.track();
        let (layer, key) = state.selected.get()?;
        let lang = state.lang.get();
        let e = state.entry(layer)?;
        grid_ids
            .with(|ids| {
                e.data
                    .with(|d| inspect::details(layer, d.as_ref()?, key, lang, now_s(), ids))
            })
            .map(|d| (e, d))
    };
    // The panel stays while something is selected (its rows follow live
    // changes; the actions and contacts below keep their state).
    let shown = Memo::new(move |_| details().is_some());
    view! {
        <Show when=move || shown.get()>
            <aside class="panel details" data-testid="details">
                {move || details().map(|(e, d)| {
                    let lang = state.lang.get();
                    view! {
                        <div class="details-head">
                            <div>
                                <div class="kind">{lang.pick(e.def.name, e.def.name_en).to_string()}</div>
                                <h2>{d.title.clone()}</h2>
                                <div class="fid" data-testid="details-id">{d.id.clone()}</div>
                            </div>
                            <button class="btn close" title=t(lang, "close") on:click=move |_| state.selected.set(None)>"×"</button>
                        </div>
                        <table>
                            {d.rows.into_iter().map(|(k, label, v)| view! {
                                <tr data-testid=format!("details-row-{k}")><th>{label}</th><td>{v}</td></tr>
                            }).collect_view()}
                        </table>
                    }
                })}
                <Contacts/>
                <Actions/>
            </aside>
        </Show>
    }
}
