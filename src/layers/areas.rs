//! Monitored areas (监测区域): a translucent fill and dashed outline in the colour of their risk domain.

use super::*;
use crate::style::Swatch;
use pingan_model::domain::RiskDomain;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Areas,
    hit_rank: 4,
    fetch_rank: 9,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: |f| {
            code_class(
                f,
                "domain",
                |c| RiskDomain::from_code(c).map(|d| d.index()),
                0,
            )
        },
        paint: AreaPaint::Dashed { colour },
        label: None,
    }),
};

/// Colour per risk domain.
fn colour(d: u8) -> &'static str {
    match RiskDomain::from_index(d as usize) {
        Some(RiskDomain::Emergency) => "#ff6b6b",
        Some(RiskDomain::Water) => "#4dabf7",
        Some(RiskDomain::Ecology) => "#94d82d",
        _ => "#fcc419",
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    RiskDomain::ALL
        .iter()
        .map(|d| LegendItem {
            swatch: Swatch::Line(colour(d.index() as u8).into()),
            text: d.label(lang).into(),
        })
        .collect()
}
