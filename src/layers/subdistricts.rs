//! Subdistricts (街道): gold outlines; their names are drawn per frame above
//! the points (the landmarks a wall is read by) until z14.

use super::*;

const STROKE: &str = "#ffe08a";

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Subdistricts,
    hit_rank: 9,
    fetch_rank: 7,
    fly_min_eff: 14.0,
    legend,
    rows: rows::feature,
    draw: Draw::Area(AreaSpec {
        class: no_class,
        paint: outline_only(|_| solid(STROKE, 2.2), false),
        label: Some(LabelSpec {
            rank: 0,
            size: 18.0,
            weight: "700",
            colour: "#ffe9a8",
            shown: |z| z < 14.0,
            always_fits: true,
            per_frame: true,
        }),
    }),
};

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    line_legend(STROKE, lang.pick("街道界", "Subdistrict boundary"))
}
