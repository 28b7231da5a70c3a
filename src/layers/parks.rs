//! Parks (公园): filled by tier, outlined from z13, names from z14.5.

use super::*;
use crate::style::Swatch;
use pingan_model::domain::ParkTier;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Parks,
    hit_rank: 5,
    fetch_rank: 3,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: tier_class,
        paint: AreaPaint::Grouped {
            fill: Fill::Class(fill),
            alpha: |_| 1.0,
            outline: |z| {
                (z >= 13.0).then_some(Outline {
                    stroke: "rgba(20,90,30,0.9)",
                    width: 0.8,
                    dash: &[],
                })
            },
            glow: false,
        },
        label: Some(LabelSpec {
            rank: 2,
            size: 12.0,
            weight: "500",
            colour: "#b8f5b0",
            shown: |z| z >= 14.5,
            always_fits: false,
            per_frame: false,
        }),
    }),
};

/// A park's (or green space's) tier, other green space when unknown.
pub(super) fn tier_class(f: &Feature) -> u8 {
    code_class(
        f,
        "tier",
        |c| ParkTier::from_code(c).map(|t| t.index()),
        ParkTier::Green as u8,
    )
}

/// Fill per park tier.
pub(super) fn fill(tier: u8) -> &'static str {
    match ParkTier::from_index(tier as usize) {
        Some(ParkTier::Country) => "rgba(34,139,34,0.55)",
        Some(ParkTier::City) => "rgba(60,179,90,0.70)",
        Some(ParkTier::Community) => "rgba(110,205,110,0.80)",
        Some(ParkTier::Pocket) => "rgba(170,230,120,0.85)",
        _ => "rgba(80,160,90,0.35)",
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    [
        ParkTier::Country,
        ParkTier::City,
        ParkTier::Community,
        ParkTier::Pocket,
    ]
    .iter()
    .map(|t| LegendItem {
        swatch: Swatch::Fill(fill(t.index() as u8).into()),
        text: t.label(lang).into(),
    })
    .collect()
}
