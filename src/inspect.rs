//! Hit testing (what is under the pointer) and feature details for the panel.

use crate::data::AdminSummary;
use crate::data::{LayerData, BIN_PX};
use crate::render::{
    admin_mode, badges, bin_below_zoom, effective_zoom, ui_scale, SceneLayer, AGGREGATED,
};
use pingan_model::domain::Lang;
use pingan_model::labels::{key_label, value_text};
use pingan_model::time::format_cst;
use pingan_model::viewport::Camera;
use serde_json::Value;

/// What a click or hover found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hit {
    Feature {
        layer: &'static str,
        key: u32,
    },
    /// An aggregate bin of a point layer (world centre, count).
    Bin {
        layer: &'static str,
        at: [f64; 2],
        count: u32,
    },
    /// A subdistrict's summary badge (index into the subdistrict layer).
    Admin {
        index: usize,
    },
}

/// Pick radius in CSS pixels for point symbols.
const PICK_PX: f64 = 8.0;

/// Order in which layers are hit-tested: points top-down as drawn, then the
/// most specific areas.
const HIT_ORDER: &[&str] = &[
    "sensors",
    "hazards",
    "sentinels",
    "cases",
    "areas",
    "parks",
    "greenspace",
    "grids",
    "communities",
    "subdistricts",
    "district",
];

pub fn hit_test(
    cam: &Camera,
    layers: &[SceneLayer],
    admin: &AdminSummary,
    screen: [f64; 2],
) -> Option<Hit> {
    let w = cam.to_world(screen);
    let ui = ui_scale(cam.width);
    let admin_view = admin_mode(cam, admin);
    if admin_view {
        let shown: Vec<&'static str> = AGGREGATED
            .iter()
            .copied()
            .filter(|id| layers.iter().any(|l| l.id == *id))
            .collect();
        let hit = badges(cam, admin, &shown).into_iter().find(|b| {
            screen[0] >= b.rect[0]
                && screen[0] <= b.rect[2]
                && screen[1] >= b.rect[1]
                && screen[1] <= b.rect[3]
        });
        if let Some(b) = hit {
            return Some(Hit::Admin { index: b.index });
        }
    }
    for id in HIT_ORDER {
        let Some(layer) = layers.iter().find(|l| l.id == *id) else {
            continue;
        };
        match &*layer.data {
            LayerData::Points(_) if admin_view && AGGREGATED.contains(id) => {}
            LayerData::Points(p) => {
                if effective_zoom(cam) < bin_below_zoom(id) {
                    let bins = p.bins(cam.zoom.floor() as i32, ui);
                    let r = BIN_PX * ui * 0.5 / cam.scale();
                    let best = bins
                        .in_box([w[0] - r, w[1] - r], [w[0] + r, w[1] + r])
                        .map(|b| (b, ((b.cx - w[0]).powi(2) + (b.cy - w[1]).powi(2)).sqrt()))
                        .filter(|(_, d)| *d * cam.scale() <= BIN_PX * ui * 0.5)
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((b, _)) = best {
                        return Some(Hit::Bin {
                            layer: id,
                            at: [b.cx, b.cy],
                            count: b.count,
                        });
                    }
                } else if let Some((key, _)) = p.index.nearest_within(w, PICK_PX * ui / cam.scale())
                {
                    return Some(Hit::Feature { layer: id, key });
                }
            }
            LayerData::Areas(a) => {
                if let Some(key) = a.index.locate(&a.world, w) {
                    return Some(Hit::Feature { layer: id, key });
                }
            }
        }
    }
    None
}

/// A feature's details: its id, a title and every property as (key, label, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Details {
    pub layer: &'static str,
    pub id: String,
    pub title: String,
    pub rows: Vec<(String, String, String)>,
}

pub fn details(
    layer: &'static str,
    data: &LayerData,
    key: u32,
    lang: Lang,
    now: i64,
    grid_ids: &[String],
) -> Option<Details> {
    match data {
        LayerData::Areas(a) => feature_details(layer, a.features.get(key as usize)?, lang),
        LayerData::Points(p) if !p.cases.is_empty() => {
            let c = p.cases.get(key as usize)?;
            let depts: Vec<&str> = c.departments.iter().map(|d| d.label(lang)).collect();
            let grid = grid_ids
                .get(c.grid as usize)
                .cloned()
                .unwrap_or_else(|| c.grid.to_string());
            let rows: Vec<(&str, String)> = vec![
                ("id", c.number()),
                ("category", c.category.label(lang).to_string()),
                ("status", c.status.label(lang).to_string()),
                ("time", format_cst(c.time)),
                ("due", format_cst(c.deadline())),
                (
                    "overdue",
                    lang.pick(
                        if c.is_overdue(now) { "是" } else { "否" },
                        if c.is_overdue(now) { "yes" } else { "no" },
                    )
                    .to_string(),
                ),
                ("departments", depts.join("、")),
                ("grid", grid),
                ("lonlat", format!("{:.6}, {:.6}", c.lon, c.lat)),
            ];
            Some(Details {
                layer,
                id: c.number(),
                title: format!("{} {}", c.category.label(lang), c.number()),
                rows: rows
                    .into_iter()
                    .map(|(k, v)| {
                        let label = if k == "lonlat" {
                            lang.pick("经纬度", "Lon/lat").to_string()
                        } else {
                            key_label(k, lang)
                        };
                        (k.to_string(), label, v)
                    })
                    .collect(),
            })
        }
        LayerData::Points(p) => feature_details(layer, p.features.get(key as usize)?, lang),
    }
}

fn feature_details(
    layer: &'static str,
    f: &pingan_model::geojson_io::Feature,
    lang: Lang,
) -> Option<Details> {
    let id = f.id.clone().unwrap_or_default();
    let title = crate::render::label_text(f, lang);
    let mut rows: Vec<(String, String, String)> = Vec::new();
    if !f.properties.contains_key("id") && !id.is_empty() {
        rows.push(("id".into(), key_label("id", lang), id.clone()));
    }
    for (k, v) in &f.properties {
        if matches!(v, Value::Null) {
            continue;
        }
        rows.push((k.clone(), key_label(k, lang), value_text(k, v, lang)));
    }
    if let pingan_model::geojson_io::Geom::Point(p) = &f.geometry {
        rows.push((
            "lonlat".into(),
            lang.pick("经纬度", "Lon/lat").into(),
            format!("{:.6}, {:.6}", p.x(), p.y()),
        ));
    }
    Some(Details {
        layer,
        title: if title.is_empty() { id.clone() } else { title },
        id,
        rows,
    })
}
