//! The outbox as the officer sees it: every write kept on the phone, newest
//! first, with its state — 等待网络 (queued, and why the last try failed),
//! 发送中, 已送达 (a report with its case number and the departments it was
//! routed to), 需重新登录, 被拒绝 (the server's reason; it may be deleted).

use super::use_field;
use crate::field::outbox::{self, Kept};
use crate::field::View;
use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::domain::{Department, Lang};
use pingan_model::field::outbox::State;

/// "AJ01000123 · 派至 公安、城管" from a report's answer (the stored case).
pub fn confirmation(answer: &str, lang: Lang) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(answer).ok()?;
    let case = v.get("case").unwrap_or(&v);
    let id = case.get("id")?.as_u64()?;
    let depts: Vec<&str> = case
        .get("departments")?
        .as_array()?
        .iter()
        .filter_map(|d| d.as_str())
        .map(|c| Department::from_code(c).map_or(c, |d| d.label(lang)))
        .collect();
    Some(format!(
        "AJ{id:08} · {} {}",
        lang.pick("派至", "routed to"),
        depts.join(lang.pick("、", ", "))
    ))
}

fn state_text(k: &Kept, lang: Lang) -> (String, &'static str) {
    match &k.entry.state {
        State::Queued => {
            let why = k
                .entry
                .last_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            (
                format!("{}{why}", lang.pick("等待网络", "Waiting for the network")),
                "queued",
            )
        }
        State::Sending => (lang.pick("发送中…", "Sending…").into(), "sending"),
        State::Sent { .. } => {
            let c = k
                .answer
                .as_deref()
                .and_then(|a| confirmation(a, lang))
                .unwrap_or_default();
            (format!("{} {c}", lang.pick("已送达", "Delivered")), "sent")
        }
        State::NeedsSignIn => (
            lang.pick("登录已失效，重新登录后自动发送", "Sign in again to send")
                .into(),
            "sign-in",
        ),
        State::Rejected { status, error } => (
            format!("{} ({status} {error})", lang.pick("被拒绝", "Refused")),
            "rejected",
        ),
    }
}

#[component]
pub fn OutboxView() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    let lang = move || state.lang.get();
    view! {
        <div class="outbox" data-testid="outbox">
            <div class="report-head">
                <h2>{move || lang().pick("发件箱", "Outbox")}</h2>
                <button class="btn" data-testid="outbox-back" on:click=move |_| f.view.set(View::List)>{move || lang().pick("返回", "Back")}</button>
            </div>
            {move || f.outbox.volatile.get().then(|| view! {
                <p class="error">{lang().pick("本机无法保存离线记录：关闭页面前请联网发送。", "This browser cannot keep writes: send them before closing the page.")}</p>
            })}
            <ul class="rows">
                {move || {
                    state.session.track();
                    let mut items = f.outbox.mine();
                    items.reverse();
                    if items.is_empty() {
                        return view! { <li class="muted">{lang().pick("没有记录", "Nothing here")}</li> }.into_any();
                    }
                    items.into_iter().map(|k| {
                        let (text, st) = state_text(&k, lang());
                        let key = k.entry.key.clone();
                        let deletable = matches!(k.entry.state, State::Rejected { .. });
                        view! {
                            <li class="outbox-item" data-testid="outbox-item" data-state=st data-key=k.entry.key.clone()>
                                <span class="row-title">{k.summary.clone()}</span>
                                <span class="row-what" data-testid="outbox-state">{text}</span>
                                {k.entry.photo.is_some().then(|| view! { <span class="muted">{lang().pick("含照片", "with photo")}</span> })}
                                {deletable.then(|| view! {
                                    <button class="btn" on:click=move |_| outbox::remove(f, key.clone())>{lang().pick("删除", "Delete")}</button>
                                })}
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </div>
    }
}
