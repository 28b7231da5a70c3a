//! Where I am and what is nearest: the grid, community and subdistrict at
//! the position with the grid worker's call button, then the nearest
//! hazards (a type filter; open and rectifying before rectified), sensors in
//! warning or alarm and open cases, each with its distance and direction.
//! A row opens the item.

use super::use_field;
use crate::field::near::Row;
use crate::field::View;
use crate::panels::contacts::{self, Contact};
use crate::state::use_app;
use crate::web::fetch::{send_json, Method};
use leptos::prelude::*;
use pingan_model::domain::HazardType;
use pingan_model::layers::LayerId;

fn section_name(id: LayerId, lang: pingan_model::domain::Lang) -> &'static str {
    match id {
        LayerId::Hazards => lang.pick("附近隐患", "Hazards nearby"),
        LayerId::Sensors => lang.pick("预警/报警传感器", "Sensors in warning or alarm"),
        _ => lang.pick("未办结事件", "Open cases"),
    }
}

#[component]
pub fn NearList() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    // The grid worker of the grid I am in (unmasked for the officer, audited).
    let worker: RwSignal<Option<(String, Vec<Contact>)>> = RwSignal::new(None);
    Effect::new(move |_| {
        let grid = f.near.with(|n| n.place.grid.as_ref().map(|g| g.0.clone()));
        let Some(id) = grid else { return };
        if worker.with_untracked(|w| w.as_ref().is_some_and(|w| w.0 == id)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let url = format!(
                "api/contacts/grids/{}",
                String::from(js_sys::encode_uri_component(&id))
            );
            if let Ok(text) = send_json(Method::Get, &url, None).await {
                if let Ok(list) = contacts::parse(&text) {
                    let _ = worker.try_set(Some((id, list)));
                }
            }
        });
    });
    let place_line = move || f.near.with(|n| n.place.line());
    let open = move |r: &Row| {
        state.selected.set(Some((r.layer, r.key)));
        f.view.set(View::Item);
    };
    let lang = move || state.lang.get();
    view! {
        <div class="near" data-testid="near">
            <div class="where" data-testid="where">
                {move || match f.at() {
                    None => view! { <p class="muted">{lang().pick("等待位置…", "Waiting for a position…")}</p> }.into_any(),
                    Some(_) => view! {
                        <p class="place" data-testid="place">{place_line}</p>
                        {move || worker.get().and_then(|(_, list)| list.into_iter().next()).map(|c| view! {
                            <a class="call" data-testid="grid-worker" href=contacts::tel(&c.phone)>
                                {format!("{} {} · {}", lang().pick("网格员", "Grid worker"), c.name, c.phone)}
                            </a>
                        })}
                    }.into_any(),
                }}
            </div>
            <div class="filters" data-testid="hazard-filter">
                <button class="chip" aria-pressed=move || f.hazard_type.get().is_none().to_string()
                    on:click=move |_| f.hazard_type.set(None)>{move || lang().pick("全部", "All")}</button>
                {HazardType::ALL.iter().map(|t| {
                    let t = *t;
                    view! {
                        <button class="chip" data-code=t.code()
                            aria-pressed=move || (f.hazard_type.get() == Some(t)).to_string()
                            on:click=move |_| f.hazard_type.set(Some(t))>{move || t.label(lang())}</button>
                    }
                }).collect_view()}
            </div>
            {move || f.near.with(|n| n.sections.clone()).into_iter().map(|(id, rows)| view! {
                <h3 class="section">{section_name(id, lang())}{format!(" ({})", rows.len())}</h3>
                <ul class="rows" data-testid=format!("near-{}", id.as_str())>
                    {if rows.is_empty() {
                        view! { <li class="muted">{lang().pick("5 公里内没有", "None within 5 km")}</li> }.into_any()
                    } else {
                        rows.into_iter().map(|r| {
                            let r2 = r.clone();
                            view! {
                                <li>
                                    <button class="row" class:done=r.done data-testid="near-row"
                                        data-layer=r.layer.as_str() data-key=r.key.to_string() data-id=r.id.clone()
                                        data-metres=format!("{:.1}", r.metres)
                                        on:click=move |_| open(&r2)>
                                        <span class="row-title">{r.title.clone()}</span>
                                        <span class="row-what">{r.what.clone()}</span>
                                        <span class="row-dist" data-testid="near-heading">{r.heading.clone()}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view().into_any()
                    }}
                </ul>
            }).collect_view()}
            {move || f.at().is_some().then(|| view! {
                <p class="muted small" data-testid="near-ms">{move || format!("{:.1} ms", f.near_ms.get())}</p>
            })}
        </div>
    }
}
