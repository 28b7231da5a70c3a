//! The wall layout (`?mode=wall`): the map full-screen, dark, with no
//! panel, button, cursor or scrollbar; read-only overlays (title and clock,
//! KPI band, safety ranking, case flow, cases per hour, alert ticker, the
//! focus callout, the stale-data warning) placed on the virtual canvas in
//! virtual CSS px by the wall's layout and shifted by this tile's origin.
//! Text is sized from one wall text size (`--wall-px`: 22 px at 1080p,
//! twice that at 4K), so it reads the same from across the room on every
//! screen. The runtime behind it is `crate::wall`.

use crate::map::canvas::MapCanvas;
use crate::panels::wall::{
    case_flow::CaseFlow, header::WallHeader, hourly_chart::HourlyChart, stale::StaleWarning,
    ticker::Ticker,
};
use crate::state::use_app;
use crate::wall;
use leptos::prelude::*;

/// A box of the layout, virtual CSS px.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The overlays the layout places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Header,
    Kpi,
    Ranking,
    Flow,
    Chart,
    Ticker,
    Callout,
}

/// The wall's text size for a screen of this size: 22 px at 1080p, up to
/// twice that at 4K (by the screen's shorter side, so a wall two screens wide
/// reads as one screen does).
pub fn text_px(w: f64, h: f64) -> f64 {
    22.0 * (w / 1920.0).min(h / 1080.0).clamp(1.0, 2.0)
}

/// Where each overlay goes on a `vw`×`vh` virtual canvas whose screens are
/// `tw`×`th`.
fn layout(vw: f64, vh: f64, px: f64) -> Vec<(Slot, Rect)> {
    let u = px / 22.0;
    let m = 20.0 * u;
    let col = 520.0 * u;
    let head = 56.0 * u;
    let kpi_h = 150.0 * u;
    let top = m + head + 8.0 * u + kpi_h + 16.0 * u;
    let body = vh - top - m;
    vec![
        (Slot::Header, Rect { x: m, y: m, w: vw - 2.0 * m, h: head }),
        (Slot::Kpi, Rect { x: m, y: m + head + 8.0 * u, w: vw - 2.0 * m, h: kpi_h }),
        (Slot::Ranking, Rect { x: m, y: top, w: col, h: body * 0.58 }),
        (Slot::Chart, Rect { x: m, y: top + body * 0.58 + m, w: col, h: body * 0.42 - m }),
        (Slot::Flow, Rect { x: vw - m - col, y: top, w: col, h: body * 0.55 }),
        (Slot::Ticker, Rect { x: vw - m - col, y: top + body * 0.55 + m, w: col, h: body * 0.45 - m }),
        (Slot::Callout, Rect { x: vw / 2.0 - 400.0 * u, y: top, w: 800.0 * u, h: 190.0 * u }),
    ]
}

fn place(r: Rect) -> String {
    format!(
        "left:{:.1}px;top:{:.1}px;width:{:.1}px;height:{:.1}px",
        r.x, r.y, r.w, r.h
    )
}

#[component]
pub fn Wall() -> impl IntoView {
    let state = use_app();
    let wall = wall::start(state);
    let px = Memo::new(move |_| {
        let win = wall.window.get();
        text_px(win.size[0], win.size[1])
    });
    let boxes = Memo::new(move |_| {
        let win = wall.window.get();
        layout(win.virtual_size[0], win.virtual_size[1], px.get())
    });
    let rect = move |s: Slot| {
        boxes
            .get()
            .into_iter()
            .find(|(k, _)| *k == s)
            .map(|(_, r)| r)
            .unwrap_or(Rect { x: 0.0, y: 0.0, w: 0.0, h: 0.0 })
    };
    // Rows that fit: a row is about 2.1 lines of text, the title 2 more.
    let rows_of = move |s: Slot, row_em: f64| {
        Signal::derive(move || {
            let r = rect(s);
            (((r.h / px.get()) - 2.4) / row_em).floor().max(0.0) as usize
        })
    };
    let chart_size = Signal::derive(move || {
        let r = rect(Slot::Chart);
        let p = px.get();
        ((r.w - 1.6 * p).max(0.0), (r.h - 4.6 * p).max(0.0))
    });
    let text = Signal::derive(move || px.get());
    let overlays_style = move || {
        let win = wall.window.get();
        format!(
            "width:{:.0}px;height:{:.0}px;transform:translate({:.0}px,{:.0}px)",
            win.virtual_size[0], win.virtual_size[1], -win.origin[0], -win.origin[1]
        )
    };
    view! {
        <div class="app wall" data-testid="wall" style=move || format!("--wall-px:{:.2}px", px.get())>
            <MapCanvas/>
            <div class="w-overlays" style=overlays_style>
                <div class="w-box" style=move || place(rect(Slot::Header))><WallHeader/></div>
                <div class="w-box" style=move || place(rect(Slot::Flow))><CaseFlow rows=rows_of(Slot::Flow, 2.3)/></div>
                <div class="w-box" style=move || place(rect(Slot::Chart))><HourlyChart size=chart_size text_px=text/></div>
                <div class="w-box" style=move || place(rect(Slot::Ticker))><Ticker rows=rows_of(Slot::Ticker, 1.6)/></div>
            </div>
            <StaleWarning/>
        </div>
    }
}
