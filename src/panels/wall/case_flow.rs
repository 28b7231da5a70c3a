//! The case flow: the newest cases as they come in (time, category, place,
//! the departments they were routed to), newest first; as many as the box
//! holds (rows that do not fit wrap out of sight, never cut; a long place
//! or list of departments takes a second line rather than an ellipsis). From the live case list (its filter set to every status by the
//! wall), so a new case shows at the frame that applies it.

use crate::state::use_app;
use leptos::prelude::*;
use pingan_model::domain::Lang;

#[component]
pub fn CaseFlow() -> impl IntoView {
    let state = use_app();
    let wall = crate::wall::use_wall();
    // The CST day of the server clock (changes once a day, not every second).
    let today = Memo::new(move |_| {
        pingan_model::time::cst_day_start((wall.now_ms.get() / 1000.0).floor() as i64)
    });
    let items = move || {
        let lang = state.lang.get();
        let today = today.get();
        // More than any box holds (the list keeps 80).
        let n = 40;
        state.live.rows.with(|all| {
            all.iter()
                .take(n)
                .map(|r| {
                    let c = r.rec;
                    let depts: Vec<&str> = c.departments.iter().map(|d| d.label(lang)).collect();
                    let depts = if depts.is_empty() {
                        lang.pick("待分拨", "not yet routed").to_string()
                    } else {
                        depts.join(lang.pick("、", ", "))
                    };
                    view! {
                        <li class="w-case" class:fresh=r.fresh data-testid="wall-case" data-id=c.number()>
                            <time>{when(c.time, today, lang)}</time>
                            // One run of text: a long place wraps under the
                            // category, not in a column of its own.
                            <span class="what">
                                <span class="cat">{c.category.label(lang)}</span>" "
                                <span class="place">{super::short_place(state, c.grid, lang)}</span>
                            </span>
                            <span class="depts">{depts}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="w-panel w-flow" data-testid="wall-flow">
            <h2>{move || state.lang.get().pick("事件流转", "Case flow")}
                <span class="n">{move || match state.lang.get() {
                    Lang::Zh => "最新上报".to_string(),
                    Lang::En => "newest first".to_string(),
                }}</span>
            </h2>
            <ul>{items}</ul>
        </section>
    }
}

/// "23:58" today; "昨 23:58" / "yest. 23:58" the day before; "11-30" before
/// that (a list across midnight must not read as out of order).
fn when(t: i64, today: i64, lang: Lang) -> String {
    let hm = super::hm_cst(t);
    if t >= today {
        hm
    } else if t >= today - 86_400 {
        format!("{}{hm}", lang.pick("昨 ", "yest. "))
    } else {
        let d = pingan_model::time::cst(t);
        format!("{:02}-{:02}", d.month, d.day)
    }
}
