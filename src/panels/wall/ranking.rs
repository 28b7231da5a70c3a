//! The safety index ranking (平安指数, contract 7): every subdistrict, safest
//! first, its score (0–100, higher = safer) with a bar, and its trend
//! against 7 days before (▲ up, ▼ down, – within 2 points). Method:
//! docs/safety-index.md.

use crate::state::use_app;
use crate::wall::use_wall;
use leptos::prelude::*;
use pingan_model::domain::Lang;
use pingan_model::wall::safety::Trend;

#[component]
pub fn Ranking() -> impl IntoView {
    let state = use_app();
    let wall = use_wall();
    let rows = move || {
        let lang = state.lang.get();
        let mut rows = wall.kpis.safety.get();
        rows.sort_by_key(|r| r.rank);
        rows.into_iter()
            .map(|r| {
                let (arrow, tone, trend) = match r.trend {
                    Trend::Up => ("▲", "up", "up"),
                    Trend::Down => ("▼", "down", "down"),
                    Trend::Flat => ("–", "flat", "flat"),
                };
                let name = if lang == Lang::En && !r.name_en.is_empty() {
                    r.name_en.trim_end_matches(" Subdistrict").to_string()
                } else {
                    r.name.clone()
                };
                let delta = r.score - r.before;
                view! {
                    <li class="w-rank" data-testid="wall-rank" data-code=r.subdistrict.clone() data-trend=trend>
                        <span class="rk">{r.rank}</span>
                        <span class="nm">{name}</span>
                        <span class="bar"><i style:width=format!("{:.1}%", r.score.clamp(0.0, 100.0))></i></span>
                        <span class="sc">{format!("{:.1}", r.score)}</span>
                        <span class=format!("tr {tone}") title=format!("{delta:+.1}")>{arrow}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="w-panel w-ranking" data-testid="wall-ranking">
            <h2>{move || state.lang.get().pick("平安指数", "Safety index")}
                <span class="n">{move || state.lang.get().pick("较7天前", "vs 7 days ago")}</span>
            </h2>
            <ul>{rows}</ul>
        </section>
    }
}
