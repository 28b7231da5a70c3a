//! Communities (社区): thin outlines (wider from z13), names between z12.3 and z16.5.

use super::*;

const STROKE: &str = "rgba(220,230,255,0.55)";

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Communities,
    hit_rank: 8,
    fetch_rank: 6,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: no_class,
        paint: outline_only(|z| solid(STROKE, if z >= 13.0 { 1.2 } else { 0.8 }), false),
        label: Some(LabelSpec {
            rank: 1,
            size: 13.0,
            weight: "500",
            colour: "#dbe6ff",
            shown: |z| (12.3..16.5).contains(&z),
            always_fits: false,
            per_frame: false,
        }),
    }),
};

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    line_legend(STROKE, lang.pick("社区界", "Community boundary"))
}
