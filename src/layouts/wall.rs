//! The wall layout (`?mode=wall`): the map full-screen, dark, with no
//! panel, button, cursor or scrollbar; read-only overlays (KPI band with the
//! title and clock, safety ranking, case flow, cases per hour, alert ticker,
//! the focus callout) placed on the virtual canvas by the model's layout
//! (`pingan_model::wall::tiling::layout`: landscape, wide and portrait
//! arrangements, every box inside one screen, none across a seam) and
//! shifted by this tile's origin. Text sizes are the model's `WallText` (≥ 20 px at 1080p, figures
//! 56 px, twice at 4K) as CSS variables. Everything drawn shifts with the
//! burn-in offset; night dimming is a dark veil. The runtime is `crate::wall`.

use crate::map::canvas::MapCanvas;
use crate::panels::wall::{
    callout::Callout, case_flow::CaseFlow, hourly_chart::HourlyChart, kpi_band::KpiBand,
    ranking::Ranking, ticker::Ticker,
};
use crate::state::use_app;
use crate::wall;
use leptos::prelude::*;
use pingan_model::wall::tiling::{BoxId, Rect, WallText};

fn px(v: f64) -> String {
    format!("{v:.1}px")
}

/// The wall's text sizes as CSS variables (set through the CSSOM: the
/// page's CSP allows no inline style attribute).
fn text_vars(t: &WallText) -> [(&'static str, f64); 7] {
    [
        ("--t-label", t.label),
        ("--t-body", t.body),
        ("--t-title", t.title),
        ("--t-ticker", t.ticker),
        ("--t-figure", t.figure),
        ("--t-ctitle", t.callout_title),
        ("--t-cbody", t.callout_body),
    ]
}

#[component]
pub fn Wall() -> impl IntoView {
    let state = use_app();
    let wall = wall::start(state);
    let lay = wall.layout;
    let rect = move |b: BoxId| {
        lay.with(|l| l.get(b))
            .unwrap_or(Rect::new(0.0, 0.0, 0.0, 0.0))
    };
    let chart_size = Signal::derive(move || {
        let r = rect(BoxId::Chart);
        let t = WallText::at(lay.with(|l| l.ui));
        // The panel's padding, its title and legend lines.
        (
            (r.w - 1.4 * t.body).max(0.0),
            (r.h - 1.1 * t.body - 1.5 * t.title - 1.3 * t.label - 4.0).max(0.0),
        )
    });
    let kpi_rows = Signal::derive(move || lay.with(|l| l.kpi_rows));
    let label_px = Signal::derive(move || WallText::at(lay.with(|l| l.ui)).label);
    let root = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let ui = lay.with(|l| l.ui);
        if let Some(el) = root.get() {
            let style = web_sys::HtmlElement::style(&el);
            for (k, v) in text_vars(&WallText::at(ui)) {
                let _ = style.set_property(k, &px(v));
            }
        }
    });
    let shift = move || {
        let (dx, dy) = wall.shift.get();
        format!("translate({dx:.0}px,{dy:.0}px)")
    };
    let size = move || wall.tiling.get().virtual_size();
    let origin = move || {
        let (ox, oy) = wall::origin(wall);
        format!("translate({:.0}px,{:.0}px)", -ox, -oy)
    };
    let slot = move |b: BoxId, inner: AnyView| {
        view! {
            <div class="w-box" data-slot=b.code()
                style:left=move || px(rect(b).x) style:top=move || px(rect(b).y)
                style:width=move || px(rect(b).w) style:height=move || px(rect(b).h)
                class:w-empty=move || rect(b).w <= 0.0>
                {inner}
            </div>
        }
    };
    view! {
        <div class="app wall" data-testid="wall" data-shape=move || format!("{:?}", lay.with(|l| l.shape)).to_lowercase()
            node_ref=root>
            <div class="w-shifted" style:transform=shift>
                <MapCanvas/>
                <div class="w-overlays" style:width=move || px(size().0) style:height=move || px(size().1)
                    style:transform=origin>
                    {slot(BoxId::KpiBand, view! { <KpiBand rows=kpi_rows/> }.into_any())}
                    {slot(BoxId::Ranking, view! { <Ranking/> }.into_any())}
                    {slot(BoxId::CaseFlow, view! { <CaseFlow/> }.into_any())}
                    {slot(BoxId::Chart, view! { <HourlyChart size=chart_size text_px=label_px/> }.into_any())}
                    {slot(BoxId::Ticker, view! { <Ticker/> }.into_any())}
                    {slot(BoxId::Callout, view! { <Callout/> }.into_any())}
                </div>
            </div>
            <Show when=move || !wall.problems.with(Vec::is_empty)>
                <div class="w-problems" role="alert" data-testid="wall-problems">
                    // The heading in the wall's language; the items name the
                    // parameter as typed (for whoever set the address up).
                    <p>{move || state.lang.get().pick("地址参数有误，已按默认值显示：", "Wall address: these parameters were ignored (defaults kept):")}</p>
                    <ul>
                        {move || wall.problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                    </ul>
                </div>
            </Show>
            <div class="w-dim" style:opacity=move || format!("{:.2}", 1.0 - wall.brightness.get())></div>
        </div>
    }
}
