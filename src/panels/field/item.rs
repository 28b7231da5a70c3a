//! One item in the field sheet: its title, what it is and how far (东北 120
//! 米), its details rows, its contacts as `tel:` links (a hazard's four
//! contacts, read unmasked for the officer and audited — kept by the service
//! worker for a basement), "navigate" hand-offs (`geo:`, Amap in GCJ-02,
//! Baidu in BD-09: the model's `navigate`), and for a hazard the status
//! change (rectifying / rectified, a note, an optional photo) sent through
//! the outbox.

use super::use_field;
use crate::data::LayerData;
use crate::field::outbox::{self, Write};
use crate::field::photo::Photo;
use crate::field::View;
use crate::inspect;
use crate::panels::actions::{offer, Offer};
use crate::panels::contacts::{self, Contact};
use crate::state::use_app;
use crate::web::fetch::{send_json, FetchError, Method};
use crate::web::time::now_s;
use leptos::prelude::*;
use pingan_model::access::Permission;
use pingan_model::layers::LayerId;
use pingan_model::navigate::{amap_uri, baidu_uri, geo_uri, heading_text};
use pingan_model::projection::{to_lonlat, World};
use serde_json::json;

use super::report::PhotoPicker;

#[component]
pub fn ItemView() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    let lang = move || state.lang.get();
    // What the item is (not its live rows): the view, the contacts and the
    // form below are built once per item, not per live batch — a typed note,
    // a photo being prepared and the contacts read stay.
    let ident = Memo::new(move |_| {
        let (layer, key) = state.selected.get()?;
        let e = state.entry(layer)?;
        let lang = lang();
        e.data.with(|d| {
            let d = d.as_ref()?;
            let title = inspect::title(d, key, lang)?;
            let lonlat = match &**d {
                LayerData::Points(p) => {
                    let w = p.world.get(key as usize)?;
                    let (lon, lat) = to_lonlat(World { x: w[0], y: w[1] });
                    Some([lon, lat])
                }
                LayerData::Areas(_) => None,
            };
            let id = match d.item(key)? {
                crate::layers::rows::Item::Feature(f) => f.id.clone(),
                crate::layers::rows::Item::Case(_) => None,
            };
            Some((layer, key, title, lonlat, id))
        })
    });
    // The rows follow live changes.
    let rows = move || {
        state.live.rev.track();
        let (layer, key) = state.selected.get()?;
        let e = state.entry(layer)?;
        e.data
            .with(|d| inspect::details(layer, d.as_ref()?, key, lang(), now_s(), &[]))
            .map(|d| d.rows)
    };
    // A hazard's contacts, asked once per item.
    let contacts: RwSignal<Option<Result<Vec<Contact>, String>>> = RwSignal::new(None);
    Effect::new(move |_| {
        contacts.set(None);
        let Some((LayerId::Hazards, _, _, _, Some(id))) = ident.get() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let url = format!(
                "api/contacts/hazards/{}",
                String::from(js_sys::encode_uri_component(&id))
            );
            let got = match send_json(Method::Get, &url, None).await {
                Ok(text) => contacts::parse(&text),
                Err(FetchError::Network { .. }) => Err("offline".into()),
                Err(e) => Err(e.to_string()),
            };
            let _ = contacts.try_set(Some(got));
        });
    });
    let back = move |_| {
        state.selected.set(None);
        f.view.set(View::List);
    };
    // The status change of a hazard (through the outbox: works offline).
    let note = RwSignal::new(String::new());
    let photo: RwSignal<Option<Photo>> = RwSignal::new(None);
    let photo_busy = RwSignal::new(false);
    let sent: RwSignal<Option<String>> = RwSignal::new(None);
    // What may be done, re-read per live batch but told only when it changes.
    let offered = Memo::new(move |_| {
        state.live.rev.track();
        let (layer, key) = state.selected.get()?;
        let e = state.entry(layer)?;
        let scope = crate::auth::scope(state.session);
        e.data.with(|d| {
            offer(
                layer,
                d.as_ref()?,
                key,
                &[],
                |p| p == Permission::HazardsStatus && crate::auth::permits(state.session, p),
                scope.as_deref(),
            )
        })
    });
    let set_status =
        move |id: String, title: String, status: pingan_model::domain::HazardStatus| {
            let ph = photo.get_untracked();
            let mut body = json!({ "status": status.code(), "note": note.get_untracked() });
            if let Some(p) = &ph {
                body["photo"] = json!(p.sha256);
            }
            let w = Write {
                kind: outbox::Kind::HazardStatus,
                path: format!(
                    "api/hazards/{}/status",
                    String::from(js_sys::encode_uri_component(&id))
                ),
                body,
                subject: Some(format!("hazard:{id}")),
                summary: format!("{title} → {}", status.label(state.lang.get_untracked())),
            };
            outbox::submit(state, f, w, ph);
            note.set(String::new());
            photo.set(None);
            sent.set(Some(status.label(state.lang.get_untracked()).to_string()));
        };
    view! {
        <div class="item" data-testid="item">
            <button class="btn back" data-testid="back" on:click=back>{move || lang().pick("‹ 返回列表", "‹ Back to the list")}</button>
            {move || ident.get().map(|(layer, _key, title, lonlat, id)| {
                let heading = move || match (f.at(), lonlat) {
                    (Some(a), Some(b)) => heading_text(a, b, lang()),
                    _ => String::new(),
                };
                view! {
                    <h2 data-testid="item-title">{title.clone()}</h2>
                    <p class="item-heading" data-testid="item-heading">{heading}</p>
                    {lonlat.map(|[lon, lat]| {
                        let t = title.clone();
                        view! {
                            <div class="navigate" data-testid="navigate">
                                <a class="btn big" data-testid="nav-geo" href=geo_uri(lon, lat, &t)>{lang().pick("导航", "Navigate")}</a>
                                <a class="btn big" data-testid="nav-amap" href=amap_uri(lon, lat, &t) target="_blank" rel="noopener">{lang().pick("高德地图", "Amap")}</a>
                                <a class="btn big" data-testid="nav-baidu" href=baidu_uri(lon, lat, &t) target="_blank" rel="noopener">{lang().pick("百度地图", "Baidu Maps")}</a>
                            </div>
                        }
                    })}
                    {(layer == LayerId::Hazards).then(|| view! {
                        <div class="contacts" data-testid="item-contacts">
                            {move || match contacts.get() {
                                None => view! { <p class="muted">{lang().pick("正在读取联系人…", "Reading the contacts…")}</p> }.into_any(),
                                Some(Err(e)) if e == "offline" => view! { <p class="muted">{lang().pick("离线：联系人需联网读取（读过的会保存）", "Offline: contacts need the network (ones read before are kept)")}</p> }.into_any(),
                                Some(Err(e)) => view! { <p class="muted">{e}</p> }.into_any(),
                                Some(Ok(list)) if list.is_empty() => view! { <p class="muted" data-testid="no-contacts">{lang().pick("此隐患点未登记联系人（可联系网格员）", "No contacts recorded for this site (call the grid worker)")}</p> }.into_any(),
                                Some(Ok(list)) => list.into_iter().map(|c| view! {
                                    <a class="call" data-testid="contact" href=contacts::tel(&c.phone)>
                                        <span class="role">{c.role.clone()}</span>
                                        <span>{c.name.clone()}</span>
                                        <span class="phone">{c.phone.clone()}</span>
                                    </a>
                                }).collect_view().into_any(),
                            }}
                        </div>
                    })}
                    {move || match (offered.get(), id.clone()) {
                        (Some(Offer::Hazard { to, .. }), Some(id)) => {
                            let title = title.clone();
                            Some(view! {
                                <div class="act" data-testid="hazard-actions">
                                    <textarea class="note" data-testid="status-note" rows="2"
                                        placeholder=move || lang().pick("整改说明（可选）", "Note (optional)")
                                        prop:value=move || note.get()
                                        on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                                    <PhotoPicker photo=photo busy=photo_busy/>
                                    <div class="action-row">
                                        {to.into_iter().map(|s| {
                                            let (id, title) = (id.clone(), title.clone());
                                            view! {
                                                <button class="btn big" data-testid=format!("set-{}", s.code())
                                                    disabled=move || photo_busy.get()
                                                    on:click=move |_| set_status(id.clone(), title.clone(), s)>{s.label(lang())}</button>
                                            }
                                        }).collect_view()}
                                    </div>
                                    {move || sent.get().map(|s| view! {
                                        <p class="ok" data-testid="status-sent">{format!("{} {s}", lang().pick("已记录：", "Recorded:"))}</p>
                                    })}
                                </div>
                            })
                        }
                        _ => None,
                    }}
                    <table class="rows-table">
                        {move || rows().unwrap_or_default().into_iter().map(|(k, label, v)| view! {
                            <tr data-testid=format!("details-row-{k}")><th>{label}</th><td>{v}</td></tr>
                        }).collect_view()}
                    </table>
                }
            })}
        </div>
    }
}
