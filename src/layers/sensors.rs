//! IoT sensors (物联感知): squares coloured by level (normal, above warning,
//! above alarm), always drawn one by one.

use super::*;
use crate::style::dot;
use pingan_model::domain::SensorType;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Sensors,
    hit_rank: 0,
    fetch_rank: 8,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Point(PointSpec {
        class,
        symbol: |_, state, big| Symbol::Square {
            r: 4.0 * big,
            fill: colour(state),
        },
        bin_colour: "rgba(46,230,214,0.8)",
        badge: None,
    }),
};

/// (type, level) of a sensor: its value against its own warn/alarm bounds.
fn class(f: &Feature) -> (u8, u8) {
    let v = f.num_prop("value").unwrap_or(0.0);
    let warn = f.num_prop("warn").unwrap_or(f64::MAX);
    let alarm = f.num_prop("alarm").unwrap_or(f64::MAX);
    let state = if v >= alarm {
        2
    } else if v >= warn {
        1
    } else {
        0
    };
    (
        code_class(
            f,
            "type",
            |c| SensorType::from_code(c).map(|t| t.index()),
            0,
        ),
        state,
    )
}

/// Colour per level: normal, above warning, above alarm.
pub fn colour(state: u8) -> &'static str {
    match state {
        2 => "#ff2d2d",
        1 => "#ffb020",
        _ => "#2ee6d6",
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    vec![
        dot(colour(0), None, lang.pick("正常", "Normal")),
        dot(colour(1), None, lang.pick("超预警值", "Above warning")),
        dot(colour(2), None, lang.pick("超报警值", "Above alarm")),
    ]
}
