//! Cases of the last 30 days (近30天事件): dots coloured by state (open,
//! overdue, closed); bins below z15 and badges at district scale (the
//! catalogue's level-of-detail rule).

use super::*;
use crate::style::dot;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Cases,
    hit_rank: 3,
    fetch_rank: 1,
    // Drawn on its own from effective z15.
    fly_min_eff: 15.6,
    legend,
    draw: Draw::Point(PointSpec {
        // Cases are classed from their records, never from a feature.
        class: |_| (0, 0),
        symbol: |_, state, big| Symbol::Circle {
            r: 3.2 * big,
            fill: colour(state),
            ring: Some(("rgba(0,0,0,0.6)", 0.8)),
        },
        bin_colour: "rgba(77,171,247,0.55)",
        badge: Some(BadgeSpec {
            name: |lang| lang.pick("事件", "Cases"),
            colour: "#4dabf7",
        }),
    }),
};

/// Case colours by state: open, overdue, closed.
fn colour(state: u8) -> &'static str {
    match state {
        0 => "#4dabf7",
        1 => "#ff3b3b",
        _ => "#7d8ba1",
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    vec![
        dot(colour(0), None, lang.pick("办理中", "Open")),
        dot(colour(1), None, lang.pick("已超期", "Overdue")),
        dot(colour(2), None, lang.pick("已办结", "Closed")),
    ]
}
