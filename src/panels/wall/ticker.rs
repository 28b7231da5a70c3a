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
/// fit, else one further every [`STEP_MS`], round and round.
fn first_shown(n: usize, overflowing: bool, now_ms: f64) -> usize {
    if !overflowing || n < 2 {
        return 0;
    }
    ((now_ms / STEP_MS).floor() as i64).rem_euclid(n as i64) as usize
}

#[component]
pub fn Ticker() -> impl IntoView {
    let state = use_app();
    let wall = crate::wall::use_wall();
    let list = NodeRef::<leptos::html::Ul>::new();
    // The step of the server clock (changes every STEP_MS, not every second).
    let step = Memo::new(move |_| (wall.now_ms.get() / STEP_MS).floor());
    // Whether the line hides some, looked at after it is drawn (at every
    // step and change of the alerts; set only when it changes).
    let hides = RwSignal::new(false);
    Effect::new(move |_| {
        step.track();
        state.live.alerts.track();
        let h = list
            .get()
            .is_some_and(|ul| ul.scroll_height() > ul.client_height() + 1);
        if hides.get_untracked() != h {
            hides.set(h);
        }
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
            let first = first_shown(all.len(), true, step.get() * STEP_MS);
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

    #[test]
    fn the_line_moves_on_only_when_it_hides_some() {
        assert_eq!(first_shown(5, false, 1e12), 0, "all fit");
        assert_eq!(first_shown(1, true, 1e12), 0);
        assert_eq!(first_shown(5, true, 0.0), 0);
        assert_eq!(first_shown(5, true, STEP_MS - 1.0), 0);
        assert_eq!(first_shown(5, true, STEP_MS), 1);
        assert_eq!(first_shown(5, true, 6.0 * STEP_MS), 1, "round and round");
        // The same server time, the same first alert on every page.
        assert_eq!(
            first_shown(7, true, 1_796_346_925_000.0),
            first_shown(7, true, 1_796_346_925_000.0)
        );
    }
}
