//! The field mode's status line: the position's accuracy ("±12 米", amber
//! and a warning past the threshold; "手动位置" for a tapped one; what to do
//! when there is no permission or no fix), the network and the data's age
//! (实时 / 离线 · 数据 12-04 10:32), the writes waiting in the outbox, and
//! the language switch.

use super::use_field;
use crate::field::geo::GeoStatus;
use crate::field::View;
use crate::i18n::t;
use crate::state::{use_app, Conn};
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::field::position::ACCURACY_WARN_M;
use pingan_model::time::cst;

/// `12-04 10:32` (CST).
fn short(unix: i64) -> String {
    let t = cst(unix);
    format!("{:02}-{:02} {:02}:{:02}", t.month, t.day, t.hour, t.minute)
}

#[component]
pub fn FieldBar() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    let accuracy = move || {
        let lang = state.lang.get();
        if f.manual.get().is_some() {
            return (lang.pick("手动位置", "Set by hand").to_string(), "manual");
        }
        match (f.fix.get(), f.geo.get()) {
            (Some(x), _) => (
                match lang {
                    Lang::Zh => format!("精度 {:.0} 米", x.accuracy_m.round()),
                    Lang::En => format!("±{:.0} m", x.accuracy_m.round()),
                },
                if f.poor() { "poor" } else { "good" },
            ),
            (None, GeoStatus::Waiting | GeoStatus::Watching) => {
                (lang.pick("定位中…", "Locating…").to_string(), "wait")
            }
            (None, _) => (lang.pick("无定位", "No position").to_string(), "none"),
        }
    };
    let network = move || {
        let lang = state.lang.get();
        let live = state.live.conn.get() == Conn::Live;
        if f.online.get() && live {
            (lang.pick("实时", "Live").to_string(), "live")
        } else {
            let age = f
                .stored_at
                .get()
                .map(|ms| {
                    format!(
                        " · {} {}",
                        lang.pick("数据", "data"),
                        short((ms / 1000.0) as i64)
                    )
                })
                .unwrap_or_default();
            let what = if f.online.get() {
                lang.pick("连接中", "Connecting")
            } else {
                lang.pick("离线", "Offline")
            };
            (format!("{what}{age}"), "offline")
        }
    };
    let waiting = move || f.outbox.waiting();
    let problem = move || {
        let lang = state.lang.get();
        if f.manual.get().is_some() {
            return None;
        }
        match (f.fix.get(), f.geo.get()) {
            (Some(x), _) if f.poor() => Some(format!(
                "{} ±{:.0} {}",
                lang.pick("定位精度差，列表可能不准：", "Poor accuracy, the list may be wrong:"),
                x.accuracy_m,
                lang.pick(
                    &format!("米（好于 {ACCURACY_WARN_M:.0} 米才可靠）。可点击地图设置位置。"),
                    &format!("m (reliable below {ACCURACY_WARN_M:.0} m). Tap the map to set where you are."),
                ),
            )),
            (None, GeoStatus::Denied) => Some(lang.pick(
                "未获定位权限。请在浏览器设置中允许定位，或点击地图设置您的位置。",
                "No permission to use your location. Allow it in the browser's settings, or tap the map to set where you are.",
            ).to_string()),
            (None, GeoStatus::Unavailable | GeoStatus::Unsupported) => Some(lang.pick(
                "暂时无法定位（室内或无信号）。点击地图设置您的位置。",
                "No position fix (indoors or no signal). Tap the map to set where you are.",
            ).to_string()),
            _ => None,
        }
    };
    // The "tap the map" offer goes with its warning (a fix came back): the
    // next tap selects again.
    Effect::new(move |_| {
        if problem().is_none() && state.picking.get_untracked() {
            state.picking.set(false);
        }
    });
    let toggle_lang = move |_| {
        state.lang.update(|l| {
            *l = match l {
                Lang::Zh => Lang::En,
                Lang::En => Lang::Zh,
            }
        })
    };
    view! {
        <header class="field-bar" data-testid="field-bar">
            <span class="chip" data-testid="accuracy" data-state=move || accuracy().1>{move || accuracy().0}</span>
            <span class="chip" data-testid="network" data-state=move || network().1>{move || network().0}</span>
            {move || (waiting() > 0).then(|| view! {
                <button class="chip outbox-chip" data-testid="outbox-chip" on:click=move |_| {
                    f.view.set(View::Outbox);
                    f.sheet.set(crate::field::Sheet::Half);
                }>
                    {move || format!("{} {}", state.lang.get().pick("待发送", "Waiting"), waiting())}
                </button>
            })}
            {move || (f.manual.get().is_some() && f.fix.get().is_some()).then(|| view! {
                <button class="chip" data-testid="use-gps" on:click=move |_| f.manual.set(None)>
                    {move || state.lang.get().pick("改用定位", "Use GPS")}
                </button>
            })}
            <button class="chip lang" data-testid="lang" on:click=toggle_lang>{move || t(state.lang.get(), "lang")}</button>
        </header>
        {move || problem().map(|p| view! {
            <div class="field-warning" data-testid="position-warning" role="alert">
                <span>{p}</span>
                <button class="btn big" data-testid="pick-position" on:click=move |_| {
                    state.picking.set(true);
                }>{move || if state.picking.get() {
                    state.lang.get().pick("请点击地图…", "Tap the map…")
                } else {
                    state.lang.get().pick("点击地图设置位置", "Tap the map to set it")
                }}</button>
            </div>
        })}
    }
}
