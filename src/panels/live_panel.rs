//! The live panel: the alert ticker and the case list with its filters
//! (on phones, two tabs). A click flies to the sensor or case.

use crate::data::LayerData;
use crate::i18n::t;
use crate::map::flight::{fly_to, fly_to_feature};
use crate::render;
use crate::state::live::StatusFilter;
use crate::state::{use_app, LiveTab};
use crate::web::time::now_s;
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::projection::to_world;

/// Hours:minutes:seconds in CST.
fn hms_cst(unix: i64) -> String {
    let t = pingan_model::time::cst(unix);
    format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second)
}

/// Month-day hours:minutes in CST.
fn md_hm_cst(unix: i64) -> String {
    let t = pingan_model::time::cst(unix);
    format!("{:02}-{:02} {:02}:{:02}", t.month, t.day, t.hour, t.minute)
}

/// A value as read on a sensor: no more decimals than it needs.
fn reading(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[component]
pub fn LivePanel() -> impl IntoView {
    let state = use_app();
    let lang = move || state.lang.get();
    let tab = state.live_tab;
    let alerts_collapsed = RwSignal::new(false);
    let cases_collapsed = RwSignal::new(false);
    let toggle_tab =
        move |t: LiveTab| tab.update(|x| *x = if *x == Some(t) { None } else { Some(t) });

    let sensor_info = move |id: &str| -> (Option<u32>, String) {
        let lang = state.lang.get_untracked();
        state
            .entry(LayerId::Sensors)
            .and_then(|e| {
                e.data.with_untracked(|d| match d.as_deref() {
                    Some(LayerData::Points(p)) => {
                        let k = p.feature_key(id)?;
                        let f = p.features().get(k as usize)?;
                        Some((Some(k), render::label_text(f, lang)))
                    }
                    _ => None,
                })
            })
            .unwrap_or((None, String::new()))
    };
    let active_alerts = move || {
        state
            .live
            .alerts
            .with(|a| a.iter().filter(|a| a.is_active()).count())
    };
    let alert_rows = move || {
        let lang = lang();
        state
            .live
            .alerts
            .get()
            .into_iter()
            .map(|a| {
                let (key, name) = sensor_info(&a.sensor);
                let name = if name.is_empty() || lang == Lang::En && !name.is_ascii() {
                    format!("{} {}", a.sensor_type.label(lang), a.sensor)
                } else {
                    name
                };
                let level = if !a.is_active() {
                    "cleared"
                } else if a.level == pingan_model::live::Level::Alarm {
                    "alarm"
                } else {
                    "warn"
                };
                let level_text = t(lang, level);
                // Acknowledged (by whom, masked as the server sent it) or not.
                let acked = a.acked_at.is_some();
                let kind = a.sensor_type.label(lang);
                let sub = match (&a.acked_by, acked) {
                    (Some(by), true) => match lang {
                        Lang::Zh => format!("{kind} · 已确认（{by}）"),
                        Lang::En => format!("{kind} · acknowledged by {by}"),
                    },
                    (None, true) => format!("{kind} · {}", lang.pick("已确认", "acknowledged")),
                    _ => kind.to_string(),
                };
                let value = format!("{} {}", reading(a.peak), a.sensor_type.unit());
                let (lon, lat) = (a.lon, a.lat);
                let sensor = a.sensor.clone();
                let on_click = move |_| {
                    match key {
                        Some(k) => fly_to_feature(state, LayerId::Sensors, k),
                        None => {
                            let w = to_world(lon, lat);
                            fly_to(state, [w.x, w.y], 14.0);
                        }
                    }
                    state.live_tab.set(None);
                };
                view! {
                    <li class="alert" data-testid="alert-item" data-level=level data-sensor=sensor data-acked=acked.to_string() on:click=on_click>
                        <span class=format!("lvl {level}")>{level_text}</span>
                        <span class="what">
                            <span class="name">{name}</span>
                            <span class="sub">{sub}</span>
                        </span>
                        <span class="val">{value}</span>
                        <time>{hms_cst(a.raised_at)}</time>
                    </li>
                }
            })
            .collect_view()
    };
    let case_rows = move || {
        let lang = lang();
        let now_s = now_s();
        let grid_place = |g: u16| -> String {
            state
                .entry(LayerId::Grids)
                .and_then(|e| {
                    e.data.with_untracked(|d| match d.as_deref() {
                        Some(LayerData::Areas(a)) => {
                            let f = a.features.get(g as usize)?;
                            let sub = f.str_prop("subdistrict").unwrap_or("");
                            let com = f.str_prop("community").unwrap_or("");
                            Some(match lang {
                                Lang::Zh => format!("{sub} {com}"),
                                Lang::En => f.id.clone().unwrap_or_default(),
                            })
                        }
                        _ => None,
                    })
                })
                .unwrap_or_default()
        };
        state
            .live
            .rows
            .get()
            .into_iter()
            .map(|r| {
                let c = r.rec;
                let overdue = c.is_overdue(now_s);
                let status = if overdue {
                    format!("{} · {}", c.status.label(lang), t(lang, "overdue"))
                } else {
                    c.status.label(lang).to_string()
                };
                let state_class = if overdue {
                    "overdue"
                } else if c.status.is_open() {
                    "open"
                } else {
                    "closed"
                };
                let key = r.key;
                view! {
                    <li
                        class="case"
                        class:fresh=r.fresh
                        data-testid="case-item"
                        data-id=c.number()
                        data-status=c.status.code()
                        on:click=move |_| {
                            fly_to_feature(state, LayerId::Cases, key);
                            state.live_tab.set(None);
                        }
                    >
                        <div class="row1">
                            <span class="num">{c.number()}</span>
                            <span class="cat">{c.category.label(lang)}</span>
                            <span class=format!("st {state_class}") data-testid="case-status">{status}</span>
                        </div>
                        <div class="row2">
                            <span class="place">{grid_place(c.grid)}</span>
                            <time>{md_hm_cst(c.time)}</time>
                        </div>
                    </li>
                }
            })
            .collect_view()
    };
    let set_status = move |ev| {
        let v = event_target_value(&ev);
        state.live.filter.update(|f| {
            f.status = match v.as_str() {
                "overdue" => StatusFilter::Overdue,
                "all" => StatusFilter::All,
                _ => StatusFilter::Open,
            }
        });
    };
    let set_category = move |ev| {
        let v = event_target_value(&ev);
        state
            .live
            .filter
            .update(|f| f.category = pingan_model::domain::CaseCategory::from_code(&v));
    };
    let set_sub = move |ev| {
        let v = event_target_value(&ev);
        state
            .live
            .filter
            .update(|f| f.subdistrict = (!v.is_empty()).then_some(v));
    };
    let category_options = move || {
        let lang = lang();
        pingan_model::domain::CaseCategory::ALL
            .iter()
            .map(|c| view! { <option value=c.code()>{c.label(lang)}</option> })
            .collect_view()
    };
    let sub_options = move || {
        let lang = lang();
        state
            .admin
            .get()
            .names
            .iter()
            .map(|(zh, en)| {
                let label = if lang == Lang::En && !en.is_empty() {
                    en.clone()
                } else {
                    zh.clone()
                };
                view! { <option value=zh.clone()>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <aside
            class="panel live"
            data-testid="live-panel"
            data-tab=move || match tab.get() {
                Some(LiveTab::Alerts) => "alerts",
                Some(LiveTab::Cases) => "cases",
                None => "",
            }
        >
            <div class="live-tabs">
                <button class="btn" class:on=move || tab.get() == Some(LiveTab::Alerts) data-testid="live-tab-alerts" on:click=move |_| toggle_tab(LiveTab::Alerts)>
                    {move || t(lang(), "alerts")}<b>{move || active_alerts().to_string()}</b>
                </button>
                <button class="btn" class:on=move || tab.get() == Some(LiveTab::Cases) data-testid="live-tab-cases" on:click=move |_| toggle_tab(LiveTab::Cases)>
                    {move || t(lang(), "case_list")}<b>{move || render::thousands(state.live.matched.get())}</b>
                </button>
            </div>
            <section class="live-sec alerts" class:collapsed=move || alerts_collapsed.get()>
                <h2 on:click=move |_| alerts_collapsed.update(|c| *c = !*c)>
                    <span>{move || t(lang(), "alerts")}</span>
                    <span class="n">{move || format!("{} {}", active_alerts(), t(lang(), "active"))}</span>
                    <span class="chev"></span>
                </h2>
                <ul class="ticker" data-testid="alert-ticker">
                    {alert_rows}
                    <Show when=move || state.live.alerts.with(|a| a.is_empty())>
                        <li class="empty">{move || t(lang(), "no_alerts")}</li>
                    </Show>
                </ul>
            </section>
            <section class="live-sec cases" class:collapsed=move || cases_collapsed.get()>
                <h2 on:click=move |_| cases_collapsed.update(|c| *c = !*c)>
                    <span>{move || t(lang(), "case_list")}</span>
                    <span class="n" data-testid="case-matched">{move || render::thousands(state.live.matched.get())}</span>
                    <span class="chev"></span>
                </h2>
                <div class="filters">
                    <select data-testid="case-filter-status" on:change=set_status>
                        <option value="open">{move || t(lang(), "f_open")}</option>
                        <option value="overdue">{move || t(lang(), "f_overdue")}</option>
                        <option value="all">{move || t(lang(), "f_all")}</option>
                    </select>
                    <select data-testid="case-filter-category" on:change=set_category>
                        <option value="">{move || t(lang(), "all_categories")}</option>
                        {category_options}
                    </select>
                    <select data-testid="case-filter-subdistrict" on:change=set_sub>
                        <option value="">{move || t(lang(), "all_subdistricts")}</option>
                        {sub_options}
                    </select>
                </div>
                <ul class="case-list" data-testid="case-list">
                    {case_rows}
                </ul>
            </section>
        </aside>
    }
}
