//! The alert ticker at distance: the active alerts, alarms before
//! warnings, newest first: level, sensor, value against its threshold and
//! since when (CST), in one line after the count; those that do not fit
//! wrap out of sight (never cut). When they do not all fit, the line moves
//! on by one alert every [`STEP_MS`] of server time (the same on every
//! page), so each is shown in turn.

use crate::data::LayerData;
use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::live::{thresholds, Level};

/// The ticker moves on by one alert this often (ms of server time) when
/// they do not all fit: long enough to read one from across the room.
pub const STEP_MS: f64 = 8_000.0;

/// The first of `n` alerts shown at server time `now_ms`: 0 while they all
/// fit, else one further every [`STEP_MS`] since the alerts last changed
/// (`changed_ms`, from the alerts themselves: the same on every page),
/// round and round. A change (a new alarm, an acknowledgement) starts the
/// line again from its front, where the newest unacknowledged alarm is.
fn first_shown(n: usize, overflowing: bool, now_ms: f64, changed_ms: f64) -> usize {
    if !overflowing || n < 2 {
        return 0;
    }
    (((now_ms - changed_ms) / STEP_MS).floor().max(0.0) as i64).rem_euclid(n as i64) as usize
}

/// When the alerts a page holds last changed (server ms): the latest raise,
/// escalation, acknowledgement or clearing among them.
fn last_change(alerts: &[pingan_model::live::Alert]) -> f64 {
    alerts
        .iter()
        .flat_map(|a| {
            [
                Some(a.raised_at * 1000),
                a.alarm_at_ms,
                a.acked_at.map(|s| s * 1000),
                a.cleared_at.map(|s| s * 1000),
            ]
        })
        .flatten()
        .max()
        .unwrap_or(0) as f64
}

#[component]
pub fn Ticker() -> impl IntoView {
    let state = use_app();
    let wall = crate::wall::use_wall();
    let list = NodeRef::<leptos::html::Ul>::new();
    let changed = Memo::new(move |_| state.live.alerts.with(|a| last_change(a)));
    // The step since the last change (changes every STEP_MS, not every
    // second).
    let step = Memo::new(move |_| ((wall.now_ms.get() - changed.get()) / STEP_MS).floor());
    // Whether the line hides some: looked at after it is drawn (a task
    // after this one, when the list has been drawn again), at every step
    // and change of the alerts or the language; set only when it changes.
    let hides = RwSignal::new(false);
    // The pending look (one at a time; dropped, hence cancelled, with the
    // next or with the component).
    let look = std::rc::Rc::new(std::cell::RefCell::new(
        None::<gloo_timers::callback::Timeout>,
    ));
    Effect::new(move |_| {
        // `get`, not `track`: a memo no one has read is never computed,
        // so it would never change.
        let _ = step.get();
        state.live.alerts.track();
        state.lang.track();
        let t = gloo_timers::callback::Timeout::new(0, move || {
            let h = list
                .get_untracked()
                .is_some_and(|ul| ul.scroll_height() > ul.client_height() + 1);
            if hides.try_get_untracked().is_some_and(|was| was != h) {
                hides.try_set(h);
            }
        });
        *look.borrow_mut() = Some(t);
    });
    let sensor_name = move |id: &str, lang: Lang| -> Option<String> {
        state
            .entry(LayerId::Sensors)?
            .data
            .with_untracked(|d| match d.as_deref() {
                Some(LayerData::Points(p)) => {
                    let f = p.features().get(p.feature_key(id)? as usize)?;
                    let zh = f.str_prop("name")?;
                    // The data's sensor names are Chinese only.
                    (lang == Lang::Zh).then(|| zh.to_string())
                }
                _ => None,
            })
    };
    let active = move || {
        let mut a: Vec<_> = state
            .live
            .alerts
            .with(|a| a.iter().filter(|a| a.is_active()).cloned().collect());
        // Unacknowledged first (an acknowledged alarm is someone's already).
        a.sort_by_key(|x| std::cmp::Reverse((x.acked_at.is_none(), x.level, x.raised_at, x.id)));
        a
    };
    let items = move || {
        let lang = state.lang.get();
        let mut all = active();
        // Only a line that hides some moves (and only then is the clock's
        // step a dependency: a line that fits is not drawn again).
        if hides.get() {
            let _ = step.get();
            let first = first_shown(
                all.len(),
                true,
                wall.now_ms.get_untracked(),
                changed.get_untracked(),
            );
            all.rotate_left(first);
        }
        let mut v: Vec<AnyView> = all
            .into_iter()
            .take(40)
            .map(|a| {
                let alarm = a.level == Level::Alarm;
                let th = thresholds(a.sensor_type);
                let limit = if alarm { th.alarm } else { th.warn };
                let unit = a.sensor_type.unit();
                let name = sensor_name(&a.sensor, lang)
                    .unwrap_or_else(|| format!("{} {}", a.sensor_type.label(lang), a.sensor));
                let level = if alarm { "alarm" } else { "warn" };
                let acked = a.acked_at.is_some();
                view! {
                    <li class=format!("w-alert {level}") class:acked=acked data-testid="wall-alert" data-sensor=a.sensor.clone() data-level=level>
                        // Acknowledged: grey, "已确认" instead of its level
                        // (someone has it; the room needs the rest).
                        <span class="lvl">{match (acked, alarm) {
                            (true, _) => lang.pick("已确认", "ACK'D"),
                            (false, true) => lang.pick("报警", "ALARM"),
                            (false, false) => lang.pick("预警", "WARN"),
                        }}</span>
                        <span class="name">{name}</span>
                        <span class="val">{format!("{} / {} {unit}", super::reading(a.peak), super::reading(limit))}</span>
                        <time>{super::hm_cst(a.raised_at)}</time>
                    </li>
                }
                .into_any()
            })
            .collect();
        if v.is_empty() {
            v.push(
                view! { <li class="w-none">{lang.pick("暂无未解除告警", "No active alerts")}</li> }
                    .into_any(),
            );
        }
        v
    };
    view! {
        <section class="w-panel w-ticker" data-testid="wall-ticker">
            <h2>{move || state.lang.get().pick("实时告警", "Live alerts")}
                <span class="n">{move || {
                    let n = state.live.alerts.with(|a| a.iter().filter(|a| a.is_active()).count());
                    match state.lang.get() {
                        Lang::Zh => format!("{n} 条未解除"),
                        Lang::En => format!("{n} active"),
                    }
                }}</span>
            </h2>
            <ul node_ref=list>{items}</ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::domain::SensorType;
    use pingan_model::live::Alert;

    #[test]
    fn the_line_moves_on_only_when_it_hides_some() {
        let c = 1_796_346_925_000.0;
        assert_eq!(first_shown(5, false, c + 1e9, c), 0, "all fit");
        assert_eq!(first_shown(1, true, c + 1e9, c), 0);
        assert_eq!(
            first_shown(5, true, c, c),
            0,
            "a change starts at the front"
        );
        assert_eq!(first_shown(5, true, c + STEP_MS - 1.0, c), 0);
        assert_eq!(first_shown(5, true, c + STEP_MS, c), 1);
        assert_eq!(
            first_shown(5, true, c + 6.0 * STEP_MS, c),
            1,
            "round and round"
        );
        assert_eq!(
            first_shown(5, true, c - 5_000.0, c),
            0,
            "a clock behind the change"
        );
    }

    #[test]
    fn the_last_change_is_the_latest_time_of_any_alert() {
        let a = Alert {
            id: 1,
            sensor: "S0001".into(),
            sensor_type: SensorType::ALL[0],
            level: Level::Warn,
            peak: 1.0,
            lon: 113.8,
            lat: 22.6,
            raised_at: 100,
            cleared_at: None,
            acked_at: Some(160),
            acked_by: None,
            alarm_at_ms: None,
        };
        assert_eq!(last_change(std::slice::from_ref(&a)), 160_000.0);
        let b = Alert {
            id: 2,
            alarm_at_ms: Some(170_500),
            ..a.clone()
        };
        let c = Alert {
            id: 3,
            cleared_at: Some(180),
            ..a.clone()
        };
        assert_eq!(last_change(&[a.clone(), b]), 170_500.0);
        assert_eq!(last_change(&[a, c]), 180_000.0, "a clearing is a change");
        assert_eq!(last_change(&[]), 0.0);
    }
}
