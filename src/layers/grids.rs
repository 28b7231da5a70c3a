//! Grid cells (网格): the case choropleth, faint outlines from z12.5, names from z16.5.

use super::*;
use crate::style::Swatch;

/// Grid choropleth: 5 classes, dark to hot, readable on the dark theme.
pub const CHOROPLETH: [&str; 5] = ["#0f2745", "#16405f", "#245f77", "#8d7138", "#b9502f"];

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Grids,
    hit_rank: 7,
    fetch_rank: 2,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: no_class,
        paint: AreaPaint::Grouped {
            fill: Fill::Choropleth(&CHOROPLETH),
            // The choropleth fades as points take over when zooming in.
            alpha: |z| {
                if z >= 15.0 {
                    0.45
                } else if z >= 13.0 {
                    0.65
                } else {
                    1.0
                }
            },
            outline: |z| {
                (z >= 12.5).then_some(Outline {
                    stroke: "rgba(180,200,230,0.22)",
                    width: 0.6,
                    dash: &[],
                })
            },
            glow: false,
        },
        label: Some(LabelSpec {
            rank: 3,
            size: 11.0,
            weight: "400",
            colour: "#c7d3ea",
            shown: |z| z >= 16.5,
            always_fits: false,
            per_frame: false,
        }),
    }),
};

fn legend(lang: Lang, breaks: &[f64]) -> Vec<LegendItem> {
    let mut items = Vec::new();
    let mut lo = 0.0;
    for (i, c) in CHOROPLETH.iter().enumerate().take(breaks.len() + 1) {
        let text = match breaks.get(i) {
            Some(hi) => format!("{lo:.0}–{:.0}", hi - 1.0),
            None => format!("≥ {lo:.0}"),
        };
        items.push(LegendItem {
            swatch: Swatch::Fill((*c).into()),
            text: format!("{text} {}", lang.pick("件/30天", "cases/30 d")),
        });
        if let Some(hi) = breaks.get(i) {
            lo = *hi;
        }
    }
    items
}
