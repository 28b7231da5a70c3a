//! Hazard sites (隐患点): dots by type with a ring by status (rectified: a
//! small hollow ring, hidden until z15 — the catalogue's rule); badges at
//! district scale.

use super::*;
use crate::style::dot;
use pingan_model::domain::{HazardStatus, HazardType};

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Hazards,
    hit_rank: 1,
    fetch_rank: 0,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Point(PointSpec {
        class: |f| {
            (
                code_class(
                    f,
                    "type",
                    |c| HazardType::from_code(c).map(|t| t.index()),
                    0,
                ),
                code_class(
                    f,
                    "status",
                    |c| HazardStatus::from_code(c).map(|s| s.index()),
                    0,
                ),
            )
        },
        symbol,
        bin_colour: "rgba(255,122,69,0.80)",
        badge: Some(BadgeSpec {
            name: |lang| lang.pick("隐患", "Hazards"),
            colour: "#ff7a45",
        }),
    }),
};

fn symbol(class: u8, state: u8, big: f64) -> Symbol {
    match ring(state) {
        Some(ring) => Symbol::Circle {
            r: 4.5 * big,
            fill: colour(class),
            ring: Some((ring, 2.2 * big)),
        },
        // Rectified: a small hollow ring, unlike any case dot.
        None => Symbol::Circle {
            r: 3.2 * big,
            fill: "rgba(0,0,0,0)",
            ring: Some(("rgba(170,180,195,0.8)", 1.4)),
        },
    }
}

/// Hazard type colours (fill), 11 distinct hues.
fn colour(t: u8) -> &'static str {
    const C: [&str; 11] = [
        "#3fa9f5", "#ff4d4f", "#ff7a45", "#ffc53d", "#f759ab", "#a0d911", "#9254de", "#36cfc9",
        "#ff9c6e", "#ffd666", "#bfbfbf",
    ];
    C[(t as usize).min(C.len() - 1)]
}

/// Hazard status ring: open = bright red ring, rectifying = amber, rectified = none (dimmed).
fn ring(status: u8) -> Option<&'static str> {
    match HazardStatus::from_index(status as usize) {
        Some(HazardStatus::Open) => Some("#ff2d2d"),
        Some(HazardStatus::Rectifying) => Some("#ffb020"),
        _ => None,
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    let mut items: Vec<LegendItem> = HazardStatus::ALL
        .iter()
        .map(|s| match ring(s.index() as u8) {
            Some(ring) => dot("#8c96a8", Some(ring), s.label(lang)),
            None => dot("transparent", Some("#aab4c3"), s.label(lang)),
        })
        .collect();
    items.extend(
        HazardType::ALL
            .iter()
            .map(|t| dot(colour(t.index() as u8), None, t.label(lang))),
    );
    items
}
