//! Cases per hour over the last 24 h against the typical day: a small SVG
//! chart drawn by the app (bars: this hour and the 23 before it; line: the
//! mean of the same hour over the 28 days before,
//! `pingan_model::wall::kpi::hourly_flow`).

use crate::state::use_app;
use crate::wall::use_wall;
use leptos::prelude::*;
use pingan_model::domain::Lang;

#[component]
pub fn HourlyChart(
    /// The chart's drawing area (CSS px) and the wall's text size (px).
    size: Signal<(f64, f64)>,
    text_px: Signal<f64>,
) -> impl IntoView {
    let state = use_app();
    let wall = use_wall();
    let chart = move || {
        let (w, h) = size.get();
        let fs = text_px.get();
        let data = wall.hourly.get();
        let n = data.counts.len();
        let hour_of = |i: usize| pingan_model::time::cst(data.start + i as i64 * 3600).hour;
        let top_value = data
            .counts
            .iter()
            .map(|c| *c as f64)
            .chain(data.typical.iter().copied())
            .fold(1.0, f64::max);
        // Room for the hour labels below and the scale at the left.
        let (left, bottom, top) = (fs * 2.6, fs * 1.6, fs * 1.0);
        let (pw, ph) = ((w - left).max(10.0), (h - bottom - top).max(10.0));
        let max = nice_max(top_value);
        let y = move |v: f64| top + ph - v / max * ph;
        let slot = pw / n as f64;
        let bars = data
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let x = left + i as f64 * slot + slot * 0.12;
                let top_y = y(*c as f64);
                view! {
                    <rect class=if i + 1 == n { "bar now" } else { "bar" }
                        x=format!("{x:.1}") y=format!("{top_y:.1}")
                        width=format!("{:.1}", slot * 0.76) height=format!("{:.1}", (top + ph - top_y).max(0.0))/>
                }
            })
            .collect_view();
        let line: String = data
            .typical
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", left + (i as f64 + 0.5) * slot, y(*v)))
            .collect::<Vec<_>>()
            .join(" ");
        let labels = (0..n)
            .filter(|i| hour_of(*i) % 6 == 0)
            .map(|i| {
                let x = left + (i as f64 + 0.5) * slot;
                view! {
                    <text class="axis" x=format!("{x:.1}") y=format!("{:.1}", h - fs * 0.45)
                        text-anchor="middle" font-size=format!("{fs:.1}")>{format!("{:02}", hour_of(i))}</text>
                }
            })
            .collect_view();
        view! {
            <svg class="w-chart" width=format!("{w:.0}") height=format!("{h:.0}") viewBox=format!("0 0 {w:.0} {h:.0}")>
                <line class="grid" x1=format!("{left:.1}") x2=format!("{w:.1}") y1=format!("{:.1}", y(max)) y2=format!("{:.1}", y(max))/>
                <line class="base" x1=format!("{left:.1}") x2=format!("{w:.1}") y1=format!("{:.1}", y(0.0)) y2=format!("{:.1}", y(0.0))/>
                <text class="axis" x=format!("{:.1}", left - fs * 0.3) y=format!("{:.1}", y(max) + fs * 0.35)
                    text-anchor="end" font-size=format!("{fs:.1}")>{format!("{max:.0}")}</text>
                <text class="axis" x=format!("{:.1}", left - fs * 0.3) y=format!("{:.1}", y(0.0) + fs * 0.35)
                    text-anchor="end" font-size=format!("{fs:.1}")>"0"</text>
                {bars}
                <polyline class="typical" points=line/>
                {labels}
            </svg>
        }
    };
    let total = move || wall.hourly.with(|h| h.counts.iter().sum::<u32>());
    view! {
        <section class="w-panel w-hourly" data-testid="wall-hourly">
            <h2>{move || state.lang.get().pick("近24小时事件", "Cases, last 24 h")}
                <span class="n">{move || match state.lang.get() {
                    Lang::Zh => format!("共 {}", crate::render::thousands(total())),
                    Lang::En => format!("{} in all", crate::render::thousands(total())),
                }}</span>
            </h2>
            <div class="legend">
                <span class="key bar"></span>{move || state.lang.get().pick("每小时", "per hour")}
                <span class="key typical"></span>{move || match (state.lang.get(), wall.hourly.with(|h| h.days)) {
                    (Lang::Zh, 0) => "常态（尚无往日数据）".to_string(),
                    (Lang::Zh, d) => format!("常态（前{d}天同时段均值）"),
                    (Lang::En, 0) => "typical (no earlier days yet)".to_string(),
                    (Lang::En, 1) => "typical (same hour, 1 day)".to_string(),
                    (Lang::En, d) => format!("typical (same hour, {d} days)"),
                }}
            </div>
            {chart}
        </section>
    }
}

/// A round top for the scale: 1, 2 or 5 × 10ⁿ at or above `v`.
fn nice_max(v: f64) -> f64 {
    let v = v.max(1.0);
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|x| *x >= v)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scale_tops_are_round() {
        assert_eq!(super::nice_max(0.0), 1.0);
        assert_eq!(super::nice_max(3.2), 5.0);
        assert_eq!(super::nice_max(120.0), 200.0);
        assert_eq!(super::nice_max(500.0), 500.0);
    }
}
