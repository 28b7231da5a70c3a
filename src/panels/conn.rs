//! The connection indicator (live, connecting, offline with the retry
//! countdown, static).

use crate::i18n::t;
use crate::state::{use_app, Conn};
use crate::web;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use pingan_model::domain::Lang;

#[component]
pub fn ConnIndicator() -> impl IntoView {
    let state = use_app();
    // A clock for the retry countdown (read only while offline).
    let now = RwSignal::new(js_sys::Date::now());
    web::hold(Interval::new(500, move || now.set(js_sys::Date::now())));
    let text = move || {
        let lang = state.lang.get();
        match state.live.conn.get() {
            Conn::Live => t(lang, "live").to_string(),
            Conn::Idle | Conn::Connecting => t(lang, "connecting").to_string(),
            Conn::Static => t(lang, "static").to_string(),
            Conn::Offline { retry_at } => {
                let s = ((retry_at - now.get()) / 1000.0).ceil().max(0.0) as u32;
                if s == 0 {
                    t(lang, "connecting").to_string()
                } else {
                    match lang {
                        Lang::Zh => format!("离线 · {s} 秒后重连"),
                        Lang::En => format!("Offline · retry in {s} s"),
                    }
                }
            }
        }
    };
    view! {
        <span class="conn" data-testid="live-status" data-state=move || state.live.conn.get().code()>
            <i class="dot"></i>
            <span>{text}</span>
        </span>
    }
}
