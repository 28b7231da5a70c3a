//! The KPI band: cases today (reported and closed with the same weekday's
//! mean of the last 4 weeks beside them, open, overdue), active alerts by
//! level, hazards open / rectifying / rectified this year, sensors
//! reporting / silent, after the title and the clock; in one row, or two on
//! a portrait screen. Figures from `wall::kpi` (equal to `GET /api/kpi` at
//! the same seq).

use super::header::WallHeader;
use crate::render::thousands;
use crate::state::use_app;
use crate::wall::use_wall;
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::wall::kpi::Kpis;

/// One figure: its key (tests), label, value, the typical beside it, and a
/// tone (`alarm`, `warn` or none).
struct Figure {
    key: &'static str,
    label: (&'static str, &'static str),
    value: u32,
    typical: Option<f64>,
    tone: &'static str,
}

fn groups(k: &Kpis) -> Vec<((&'static str, &'static str), Vec<Figure>)> {
    let typical_weeks = k.cases.typical.weeks > 0;
    let f = |key, label, value, typical, tone| Figure {
        key,
        label,
        value,
        typical,
        tone,
    };
    vec![
        (
            ("今日事件", "Cases today"),
            vec![
                f(
                    "cases.reported",
                    ("上报", "Reported"),
                    k.cases.reported,
                    typical_weeks.then_some(k.cases.typical.reported),
                    "",
                ),
                f(
                    "cases.closed",
                    ("办结", "Closed"),
                    k.cases.closed,
                    typical_weeks.then_some(k.cases.typical.closed),
                    "",
                ),
                f("cases.open", ("在办", "Open"), k.cases.open, None, ""),
                f(
                    "cases.overdue",
                    ("超期", "Overdue"),
                    k.cases.overdue,
                    None,
                    if k.cases.overdue > 0 { "warn" } else { "" },
                ),
            ],
        ),
        (
            ("实时告警", "Active alerts"),
            vec![
                f(
                    "alerts_active.alarm",
                    ("报警", "Alarm"),
                    k.alerts_active.alarm,
                    None,
                    if k.alerts_active.alarm > 0 {
                        "alarm"
                    } else {
                        ""
                    },
                ),
                f(
                    "alerts_active.warn",
                    ("预警", "Warning"),
                    k.alerts_active.warn,
                    None,
                    if k.alerts_active.warn > 0 { "warn" } else { "" },
                ),
            ],
        ),
        (
            ("安全隐患", "Hazards"),
            vec![
                f("hazards.open", ("未整改", "Open"), k.hazards.open, None, ""),
                f(
                    "hazards.rectifying",
                    ("整改中", "Rectifying"),
                    k.hazards.rectifying,
                    None,
                    "",
                ),
                f(
                    "hazards.rectified_this_year",
                    ("今年已整改", "Rectified this year"),
                    k.hazards.rectified_this_year,
                    None,
                    "",
                ),
            ],
        ),
        (
            ("物联感知", "Sensors"),
            vec![
                f(
                    "sensors.reporting",
                    ("在线", "Reporting"),
                    k.sensors.reporting,
                    None,
                    "",
                ),
                f(
                    "sensors.silent",
                    ("离线", "Silent"),
                    k.sensors.silent,
                    None,
                    if k.sensors.silent > 0 { "warn" } else { "" },
                ),
            ],
        ),
    ]
}

#[component]
pub fn KpiBand(
    /// Rows of the band (the model's layout: 2 on a portrait screen).
    rows: Signal<u32>,
) -> impl IntoView {
    let state = use_app();
    let wall = use_wall();
    let body = move || {
        let lang = state.lang.get();
        let Some(k) = wall.kpis.figures.get() else {
            return view! { <div class="w-kpi-wait">{lang.pick("指标加载中…", "Loading the figures…")}</div> }
                .into_any();
        };
        groups(&k)
            .into_iter()
            .map(|(title, figures)| {
                let figures = figures
                    .into_iter()
                    .map(|f| {
                        let typical = f.typical.map(|t| {
                            let t = thousands(t.round() as u32);
                            match lang {
                                Lang::Zh => format!("常态 {t}"),
                                Lang::En => format!("usual {t}"),
                            }
                        });
                        view! {
                            <div class=format!("w-fig {}", f.tone) data-kpi=f.key>
                                <span class="lbl">{lang.pick(f.label.0, f.label.1)}</span>
                                <span class="num" data-testid="kpi-figure" data-kpi=f.key>{thousands(f.value)}</span>
                                {typical.map(|t| view! { <span class="typ">{t}</span> })}
                            </div>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="w-kgroup">
                        <h3>{lang.pick(title.0, title.1)}</h3>
                        <div class="w-figs">{figures}</div>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="w-panel w-kpi" data-testid="wall-kpi" data-rows=move || rows.get().to_string()>
            <WallHeader/>
            {body}
        </section>
    }
}
