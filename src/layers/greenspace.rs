//! Other green space (其他绿地): filled like parks of the "green" tier, no outline, no names.

use super::*;
use crate::style::Swatch;
use pingan_model::domain::ParkTier;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Greenspace,
    hit_rank: 6,
    fetch_rank: 4,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: super::parks::tier_class,
        paint: AreaPaint::Grouped {
            fill: Fill::Class(super::parks::fill),
            alpha: |_| 1.0,
            outline: |_| None,
            glow: false,
        },
        label: None,
    }),
};

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    vec![LegendItem {
        swatch: Swatch::Fill(super::parks::fill(ParkTier::Green.index() as u8).into()),
        text: ParkTier::Green.label(lang).into(),
    }]
}
