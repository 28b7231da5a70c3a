//! The focus callout, beside the focused item (the model's layout puts the
//! item at its anchor and the box next to it): what (an alarm of a sensor,
//! an urgent case), where (the sensor or the place, and the area's name),
//! the value against its threshold (or the departments a case went to),
//! since when (CST), and "2/3" when several queue. A pushed scene says who
//! pushed it and until when. Hidden otherwise.

use crate::data::LayerData;
use crate::state::{use_app, AppState};
use crate::wall::{focus, scenes, use_wall};
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::live::{thresholds, Level};
use pingan_model::wall::focus::{FocusKey, Showing};

/// What the callout says.
#[derive(Clone, Debug, PartialEq)]
struct Card {
    tone: &'static str,
    title: String,
    lines: Vec<(String, String)>,
    counter: Option<String>,
}

fn feature_prop(state: AppState, layer: LayerId, id: &str, key: &str) -> Option<String> {
    state
        .entry(layer)?
        .data
        .with_untracked(|d| match d.as_deref() {
            Some(LayerData::Points(p)) => {
                let f = p.features().get(p.feature_key(id)? as usize)?;
                f.str_prop(key).map(str::to_string)
            }
            Some(LayerData::Areas(a)) => a
                .features
                .iter()
                .find(|f| f.id.as_deref() == Some(id))?
                .str_prop(key)
                .map(str::to_string),
            None => None,
        })
}

fn alert_card(state: AppState, id: u64, lang: Lang) -> Option<Card> {
    let a = state
        .live
        .alerts
        .with_untracked(|v| v.iter().find(|a| a.id == id).cloned())?;
    let zh = lang == Lang::Zh;
    let th = thresholds(a.sensor_type);
    let alarm = a.level == Level::Alarm || a.peak >= th.alarm;
    let unit = a.sensor_type.unit();
    let name = feature_prop(state, LayerId::Sensors, &a.sensor, "name")
        .filter(|_| zh)
        .unwrap_or_else(|| format!("{} {}", a.sensor_type.label(lang), a.sensor));
    let area_id = feature_prop(state, LayerId::Sensors, &a.sensor, "area");
    let area_key = if zh { "name" } else { "name_en" };
    let area = area_id
        .and_then(|id| feature_prop(state, LayerId::Areas, &id, area_key))
        .unwrap_or_default();
    let sub = feature_prop(state, LayerId::Sensors, &a.sensor, "subdistrict").unwrap_or_default();
    let sub = match lang {
        Lang::Zh => sub,
        Lang::En => super::subdistrict_en(state, &sub).unwrap_or(sub),
    };
    let place = [sub, area]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let limit = if alarm { th.alarm } else { th.warn };
    Some(Card {
        tone: if alarm { "alarm" } else { "warn" },
        title: format!(
            "{} · {}",
            if alarm {
                lang.pick("报警", "Alarm")
            } else {
                lang.pick("预警", "Warning")
            },
            a.sensor_type.label(lang)
        ),
        lines: vec![
            (lang.pick("位置", "Where").into(), name),
            (lang.pick("区域", "Area").into(), place),
            (
                lang.pick("读数", "Reading").into(),
                format!(
                    "{} {unit} {} {} {unit}",
                    super::reading(a.peak),
                    lang.pick("/ 阈值", "vs threshold"),
                    super::reading(limit)
                ),
            ),
            (
                lang.pick("开始", "Since").into(),
                // Since it became an alarm (a warning escalated later was
                // raised earlier): the focus's start too.
                format!(
                    "{} CST",
                    super::hms_cst(a.alarm_at_ms.map_or(a.raised_at, |ms| ms.div_euclid(1000)))
                ),
            ),
        ],
        counter: None,
    })
}

fn case_card(state: AppState, id: u32, lang: Lang) -> Option<Card> {
    let c = focus::urgent_case(id)?;
    let place = match lang {
        Lang::Zh => [c.subdistrict.clone(), c.community.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        // Short (subdistrict · community): the box holds two lines a row.
        Lang::En => c
            .grid_index
            .map(|g| super::short_place(state, g, lang))
            .unwrap_or_default(),
    };
    let depts: Vec<&str> = c.departments.iter().map(|d| d.label(lang)).collect();
    Some(Card {
        tone: "alarm",
        title: format!(
            "{} · {}",
            lang.pick("紧急事件", "Urgent case"),
            c.category.label(lang)
        ),
        lines: vec![
            (lang.pick("编号", "Case").into(), c.number()),
            (lang.pick("地点", "Where").into(), place),
            (
                lang.pick("分拨", "Routed to").into(),
                depts.join(lang.pick("、", ", ")),
            ),
            (
                lang.pick("上报", "Reported").into(),
                format!("{} CST", super::hms_cst(c.reported_at)),
            ),
        ],
        counter: None,
    })
}

fn scene_card(state: AppState, lang: Lang) -> Option<Card> {
    let (s, ended) = scenes::current()?;
    let until = s
        .duration_s
        .map(|d| s.started_ms + i64::from(d) * 1000)
        .into_iter()
        .chain(ended)
        .min();
    let mut lines = Vec::new();
    if let Some(h) = &s.highlight {
        let name = h.layer.parse::<LayerId>().ok().and_then(|l| {
            let key = if lang == Lang::En { "name_en" } else { "name" };
            feature_prop(state, l, &h.id, key).or_else(|| feature_prop(state, l, &h.id, "name"))
        });
        lines.push((
            lang.pick("对象", "Showing").into(),
            name.unwrap_or_else(|| h.id.clone()),
        ));
    }
    lines.push((
        lang.pick("推送", "Pushed by").into(),
        if s.by.is_empty() {
            lang.pick("指挥席", "the desk").into()
        } else {
            s.by.clone()
        },
    ));
    lines.push((
        lang.pick("开始", "Since").into(),
        format!("{} CST", super::hms_cst(s.started_ms / 1000)),
    ));
    if let Some(u) = until {
        lines.push((
            lang.pick("至", "Until").into(),
            format!("{} CST", super::hms_cst(u / 1000)),
        ));
    }
    Some(Card {
        tone: "scene",
        title: lang.pick("指挥席推送画面", "Shown from the desk").into(),
        lines,
        counter: None,
    })
}

/// A tour stop: the subdistrict with its safety index and its terms.
fn tour_card(wall: crate::wall::Wall, stop: usize, lang: Lang) -> Option<Card> {
    let code = crate::wall::focus::stop_code(stop)?;
    let row = wall
        .kpis
        .safety
        .with_untracked(|rows| rows.iter().find(|r| r.subdistrict == code).cloned())?;
    let name = if lang == Lang::En && !row.name_en.is_empty() {
        row.name_en.clone()
    } else {
        row.name.clone()
    };
    let t = row.terms;
    Some(Card {
        tone: "tour",
        title: name,
        lines: vec![
            (
                lang.pick("平安指数", "Safety index").into(),
                match lang {
                    Lang::Zh => format!("{:.1} · 第 {} 名", row.score, row.rank),
                    Lang::En => format!("{:.1} · rank {}", row.score, row.rank),
                },
            ),
            (
                lang.pick("事件/千人·30天", "Cases/1,000, 30 d").into(),
                format!("{:.1}", t.cases_per_1000.value),
            ),
            (
                lang.pick("超期占比", "Overdue share").into(),
                format!("{:.0}%", t.overdue_share.value * 100.0),
            ),
            (
                lang.pick("报警", "Alarms").into(),
                format!("{:.0}", t.active_alarms.value),
            ),
            (
                lang.pick("隐患/km²", "Hazards/km²").into(),
                format!("{:.1}", t.hazards_per_km2.value),
            ),
        ],
        counter: None,
    })
}

#[component]
pub fn Callout() -> impl IntoView {
    let state = use_app();
    let wall = use_wall();
    let card = Memo::new(move |_| {
        let lang = state.lang.get();
        // Details follow the live state (an alert's peak rising).
        state.live.rev.track();
        let fs = wall.focus.get()?;
        match fs.showing {
            Showing::Focus { key, index, total } => {
                let mut c = match key {
                    FocusKey::Alert(id) => alert_card(state, id, lang),
                    FocusKey::Case(id) => case_card(state, id, lang),
                }?;
                c.counter = (total > 1).then(|| format!("{index}/{total}"));
                Some(c)
            }
            Showing::Scene => scene_card(state, lang),
            Showing::Tour { stop } => {
                wall.kpis.safety.track();
                tour_card(wall, stop, lang)
            }
            Showing::Overview => None,
        }
    });
    view! {
        <Show when=move || card.with(Option::is_some)>
            <section class=move || format!("w-panel w-callout {}", card.with(|c| c.as_ref().map_or("", |c| c.tone)))
                data-testid="wall-callout">
                {move || card.get().map(|c| view! {
                    <h2>
                        <span>{c.title}</span>
                        {c.counter.map(|n| view! { <span class="n" data-testid="wall-callout-counter">{n}</span> })}
                    </h2>
                    <dl>
                        {c.lines.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                    </dl>
                })}
            </section>
        </Show>
    }
}
