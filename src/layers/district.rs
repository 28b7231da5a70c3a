//! The district boundary (区界): a white outline with a blue glow.

use super::*;

const STROKE: &str = "#ffffff";

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::District,
    hit_rank: 10,
    fetch_rank: 10,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: no_class,
        paint: outline_only(|_| solid(STROKE, 3.0), true),
        label: None,
    }),
};

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    line_legend(STROKE, lang.pick("区界", "District boundary"))
}
