//! "Show this on the wall" (投屏, the desk, `wall:drive` only): pushes the
//! desk's view to a wall group (`PUT /api/walls/{group}/scene`): its centre,
//! its zoom as at the design width (`Scene::design_zoom`), the visible
//! layers, the selected feature highlighted, for a chosen time (or until
//! cleared); and clears it (`DELETE`). Every wall of the group follows over
//! the stream; the answer here only says whether it was accepted.

use super::actions::describe;
use crate::auth;
use crate::data::LayerData;
use crate::state::{use_app, AppState};
use crate::web::fetch::{send_json, Method};
use leptos::prelude::*;
use pingan_model::access::Permission;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::live::Scene;
use pingan_model::wall::{valid_group, DEFAULT_GROUP};
use serde_json::json;

/// The durations offered (seconds; 0 = until cleared).
const DURATIONS: &[(u32, &str, &str)] = &[
    (60, "1 分钟", "1 min"),
    (300, "5 分钟", "5 min"),
    (900, "15 分钟", "15 min"),
    (3600, "1 小时", "1 hour"),
    (0, "直到清除", "until cleared"),
];

/// The id of feature `key` of `layer` as a scene names it (a case's number).
fn feature_id(state: AppState, layer: LayerId, key: u32) -> Option<String> {
    state
        .entry(layer)?
        .data
        .with_untracked(|d| match d.as_deref()? {
            LayerData::Points(p) if layer == LayerId::Cases => {
                p.cases().get(key as usize).map(|c| c.number())
            }
            LayerData::Points(p) => p.features().get(key as usize).and_then(|f| {
                f.id.clone()
                    .or_else(|| f.str_prop("id").map(str::to_string))
            }),
            LayerData::Areas(a) => a.features.get(key as usize).and_then(|f| {
                f.id.clone()
                    .or_else(|| f.str_prop("id").map(str::to_string))
            }),
        })
}

/// The body of the push: the view now.
fn scene_body(state: AppState, duration_s: u32, highlight: bool) -> serde_json::Value {
    let cam = state.camera.get_untracked();
    let (lon, lat) = cam.center_lonlat();
    let hl = highlight
        .then(|| state.selected.get_untracked())
        .flatten()
        .and_then(|(l, k)| Some(json!({"layer": l.as_str(), "id": feature_id(state, l, k)?})));
    json!({
        "lon": (lon * 1e6).round() / 1e6,
        "lat": (lat * 1e6).round() / 1e6,
        "zoom": (Scene::design_zoom(cam.zoom, cam.width) * 100.0).round() / 100.0,
        "layers": state.visible_ids(),
        "highlight": hl,
        "duration_s": (duration_s > 0).then_some(duration_s),
    })
}

#[component]
pub fn ShowOnWall() -> impl IntoView {
    let state = use_app();
    let allowed = move || auth::permits(state.session, Permission::WallDrive);
    let open = RwSignal::new(false);
    let group = RwSignal::new(DEFAULT_GROUP.to_string());
    let duration = RwSignal::new(300u32);
    let highlight = RwSignal::new(true);
    let busy = RwSignal::new(false);
    // The last answer: Ok(message) or Err(message).
    let result = RwSignal::new(None::<Result<String, String>>);
    let lang = move || state.lang.get();
    let send = move |clear: bool| {
        let g = group.get_untracked().trim().to_string();
        let lang = state.lang.get_untracked();
        if !valid_group(&g) {
            result.set(Some(Err(lang
                .pick(
                    "大屏分组：1–40 个字母、数字、- 或 _",
                    "Wall group: 1–40 letters, digits, - or _",
                )
                .into())));
            return;
        }
        let url = format!("api/walls/{}/scene", js_sys::encode_uri_component(&g));
        let body = (!clear)
            .then(|| scene_body(state, duration.get_untracked(), highlight.get_untracked()));
        busy.set(true);
        leptos::task::spawn_local(async move {
            let method = if clear { Method::Delete } else { Method::Put };
            let got = send_json(method, &url, body.as_ref()).await;
            if let Err(e) = &got {
                if e.is_unauthenticated() {
                    auth::lost(state.session);
                }
            }
            let _ = busy.try_set(false);
            let _ = result.try_set(Some(match got {
                Ok(_) if clear => Ok(match lang {
                    Lang::Zh => format!("已清除「{g}」大屏画面"),
                    Lang::En => format!("Cleared the scene of wall group “{g}”"),
                }),
                Ok(_) => Ok(match lang {
                    Lang::Zh => format!("已推送到「{g}」大屏"),
                    Lang::En => format!("Shown on wall group “{g}”"),
                }),
                Err(e) => Err(describe(lang, &e)),
            }));
        });
    };
    view! {
        <Show when=allowed>
            <div class="panel wall-push" class:open=move || open.get() data-testid="wall-push">
                <button class="btn" data-testid="wall-push-open" on:click=move |_| open.update(|o| *o = !*o)>
                    {move || lang().pick("投屏到大屏", "Show on the wall")}
                </button>
                <Show when=move || open.get()>
                    <label>
                        <span>{move || lang().pick("大屏分组", "Wall group")}</span>
                        <input data-testid="wall-push-group" prop:value=group
                            on:input=move |ev| group.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span>{move || lang().pick("时长", "For")}</span>
                        <select data-testid="wall-push-duration"
                            on:change=move |ev| duration.set(event_target_value(&ev).parse().unwrap_or(300))>
                            {move || DURATIONS.iter().map(|(s, zh, en)| view! {
                                <option value=s.to_string() selected=*s == duration.get_untracked()>{lang().pick(zh, en)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=highlight
                            on:change=move |ev| highlight.set(event_target_checked(&ev))/>
                        <span>{move || lang().pick("突出显示所选对象", "Highlight the selection")}</span>
                    </label>
                    <div class="row">
                        <button class="btn" data-testid="wall-push-send" disabled=busy on:click=move |_| send(false)>
                            {move || lang().pick("推送当前画面", "Show this view")}
                        </button>
                        <button class="btn" data-testid="wall-push-clear" disabled=busy on:click=move |_| send(true)>
                            {move || lang().pick("清除", "Clear")}
                        </button>
                    </div>
                    {move || result.get().map(|r| match r {
                        Ok(m) => view! { <p class="wall-push-result" data-testid="wall-push-result" data-state="sent">{m}</p> }.into_any(),
                        Err(m) => view! { <p class="wall-push-result error" data-testid="wall-push-result" data-state="failed">{m}</p> }.into_any(),
                    })}
                </Show>
            </div>
        </Show>
    }
}
