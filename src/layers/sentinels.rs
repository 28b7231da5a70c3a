//! Electronic sentinels (电子哨兵): diamonds by kind; bins below z13 and
//! badges at district scale.

use super::*;
use crate::style::dot;
use pingan_model::domain::SentinelKind;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Sentinels,
    hit_rank: 2,
    fetch_rank: 5,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Point(PointSpec {
        class: |f| {
            (
                code_class(
                    f,
                    "kind",
                    |c| SentinelKind::from_code(c).map(|k| k.index()),
                    0,
                ),
                0,
            )
        },
        symbol: |class, _, big| Symbol::Diamond {
            r: 5.0 * big,
            fill: colour(class),
        },
        bin_colour: "rgba(177,151,252,0.8)",
        badge: Some(BadgeSpec {
            name: |lang| lang.pick("哨兵", "Sentinels"),
            colour: "#b197fc",
        }),
    }),
};

fn colour(kind: u8) -> &'static str {
    if kind == 0 {
        "#b197fc"
    } else {
        "#e599f7"
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    SentinelKind::ALL
        .iter()
        .map(|k| dot(colour(k.index() as u8), None, k.label(lang)))
        .collect()
}
