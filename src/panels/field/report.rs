//! The report form of the field sheet: where (the position, or a point
//! tapped on the map), a category (the common ones first: one tap), an
//! optional description (left empty it is the category and the place) and
//! an optional photo — 上报 → category → 发送 is three taps. The report goes
//! through the outbox (kept offline, sent exactly once); the confirmation
//! shows the departments the server routed it to, or that it waits for the
//! network. `PhotoPicker` (camera or gallery, shrunk in the browser) is
//! shared with the hazard status change.

use super::use_field;
use crate::field::outbox::{self, Write};
use crate::field::photo::{self, Photo};
use crate::field::View;
use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::domain::CaseCategory;
use serde_json::json;
use wasm_bindgen::JsCast;

/// The categories an officer in the street reports most, first.
const COMMON: [CaseCategory; 6] = [
    CaseCategory::SafetyHazard,
    CaseCategory::CityAppearance,
    CaseCategory::PublicFacilities,
    CaseCategory::FireSafety,
    CaseCategory::TrafficSafety,
    CaseCategory::Dispute,
];

/// Longest description sent (the server's limit is larger).
const MAX_CHARS: usize = 500;

#[component]
pub fn PhotoPicker(
    photo: RwSignal<Option<Photo>>,
    /// A photo is being prepared (what sends it waits).
    busy: RwSignal<bool>,
) -> impl IntoView {
    let state = use_app();
    let problem: RwSignal<Option<String>> = RwSignal::new(None);
    let preview: RwSignal<Option<String>> = RwSignal::new(None);
    // The preview's object URL is released when replaced or unmounted.
    let release = move || {
        if let Some(u) = preview.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&u);
        }
    };
    on_cleanup(release);
    let picked = move |ev: web_sys::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let got = photo::prepare(file.into()).await;
            if busy.try_set(false).is_some() {
                return;
            }
            match got {
                Ok(p) => {
                    release();
                    let blob = js_sys::Uint8Array::from(p.bytes.as_slice());
                    let parts = js_sys::Array::of1(&blob);
                    let opts = web_sys::BlobPropertyBag::new();
                    opts.set_type("image/jpeg");
                    let url = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
                        .ok()
                        .and_then(|b| web_sys::Url::create_object_url_with_blob(&b).ok());
                    preview.set(url);
                    photo.set(Some(p));
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let lang = move || state.lang.get();
    view! {
        <div class="photo" data-testid="photo">
            <label class="btn big">
                {move || if photo.with(Option::is_some) { lang().pick("换一张照片", "Another photo") } else { lang().pick("拍照 / 选照片（可选）", "Photo (optional)") }}
                <input type="file" accept="image/*" capture="environment" data-testid="photo-input" on:change=picked/>
            </label>
            {move || busy.get().then(|| view! { <span class="muted">{lang().pick("正在处理照片…", "Preparing the photo…")}</span> })}
            {move || problem.get().map(|p| view! { <span class="error">{p}</span> })}
            {move || photo.get().map(|p| view! {
                <span class="photo-info" data-testid="photo-info">{format!("{}×{} · {} KB", p.width, p.height, p.bytes.len() / 1024)}</span>
                <button class="btn" on:click=move |_| { release(); preview.set(None); photo.set(None); }>{lang().pick("移除", "Remove")}</button>
            })}
            {move || preview.get().map(|u| view! { <img class="preview" src=u alt=""/> })}
        </div>
    }
}

#[component]
pub fn ReportForm() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    let category: RwSignal<Option<CaseCategory>> = RwSignal::new(None);
    let description = RwSignal::new(String::new());
    let photo: RwSignal<Option<Photo>> = RwSignal::new(None);
    let photo_busy = RwSignal::new(false);
    let all = RwSignal::new(false);
    let lang = move || state.lang.get();
    let place = move || f.near.with(|n| n.place.line());
    let send = move |_| {
        let (Some(c), Some([lon, lat])) = (category.get_untracked(), f.at_untracked()) else {
            return;
        };
        let lang = state.lang.get_untracked();
        let typed: String = description
            .get_untracked()
            .trim()
            .chars()
            .take(MAX_CHARS)
            .collect();
        let text = if typed.is_empty() {
            format!(
                "{}（{}）",
                c.label(lang),
                lang.pick("现场上报", "reported on the spot")
            )
        } else {
            typed
        };
        let ph = photo.get_untracked();
        let mut body = json!({
            "category": c.code(),
            "lon": (lon * 1e7).round() / 1e7,
            "lat": (lat * 1e7).round() / 1e7,
            "description": text,
        });
        if let Some(p) = &ph {
            body["photo"] = json!(p.sha256);
        }
        let summary = format!("{} · {}", c.label(lang), place());
        outbox::submit(
            state,
            f,
            Write {
                kind: outbox::Kind::Report,
                path: "api/cases".into(),
                body,
                subject: None,
                summary,
            },
            ph,
        );
        category.set(None);
        description.set(String::new());
        photo.set(None);
        f.view.set(View::Outbox);
    };
    let cats = move || {
        let mut v: Vec<CaseCategory> = COMMON.to_vec();
        if all.get() {
            v.extend(CaseCategory::ALL.iter().filter(|c| !COMMON.contains(c)));
        }
        v
    };
    view! {
        <div class="report" data-testid="report-form">
            <div class="report-head">
                <h2>{move || lang().pick("上报事件", "Report a case")}</h2>
                <button class="btn" data-testid="report-cancel" on:click=move |_| f.view.set(View::List)>{move || lang().pick("取消", "Cancel")}</button>
            </div>
            <p class="where" data-testid="report-where">
                {move || match (f.at(), f.manual.get().is_some()) {
                    (None, _) => lang().pick("还没有位置：请点击地图设置位置", "No position yet: tap the map to set it").to_string(),
                    (Some(_), true) => format!("{} {}", lang().pick("地图点选位置：", "At the tapped point:"), place()),
                    (Some(_), false) => format!("{} {}", lang().pick("我的位置：", "Where I am:"), place()),
                }}
            </p>
            <div class="categories" data-testid="categories">
                {move || cats().into_iter().map(|c| view! {
                    <button class="chip big" data-testid="category" data-code=c.code()
                        aria-pressed=move || (category.get() == Some(c)).to_string()
                        on:click=move |_| category.set(Some(c))>{c.label(lang())}</button>
                }).collect_view()}
                {move || (!all.get()).then(|| view! {
                    <button class="chip big" data-testid="more-categories" on:click=move |_| all.set(true)>{lang().pick("更多…", "More…")}</button>
                })}
            </div>
            <textarea class="note" data-testid="description" rows="3"
                placeholder=move || lang().pick("描述（可选）", "Description (optional)")
                prop:value=move || description.get()
                on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            <PhotoPicker photo=photo busy=photo_busy/>
            <button class="btn big primary" data-testid="send"
                disabled=move || category.get().is_none() || f.at().is_none() || photo_busy.get()
                on:click=send>{move || lang().pick("发送", "Send")}</button>
        </div>
    }
}
