//! Hit testing (what is under the pointer) and feature details for the panel
//! (id and title here; the rows come from the layer's spec).

use crate::data::AdminSummary;
use crate::data::{LayerData, BIN_PX};
use crate::layers::rows::{Item, Row, RowCtx};
use crate::layers::{ranked, spec};
use crate::render::points::point_shown;
use crate::render::{admin_mode, badge_layers, badges, SceneLayer};
use pingan_model::domain::Lang;
use pingan_model::layers::LayerId;
use pingan_model::lod::{effective_zoom, ui_scale};
use pingan_model::viewport::Camera;

/// What a click or hover found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hit {
    Feature {
        layer: LayerId,
        key: u32,
    },
    /// An aggregate bin of a point layer (world centre, count).
    Bin {
        layer: LayerId,
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

pub fn hit_test(
    cam: &Camera,
    layers: &[SceneLayer],
    admin: &AdminSummary,
    screen: [f64; 2],
) -> Option<Hit> {
    let w = cam.to_world(screen);
    let ui = ui_scale(cam.width, cam.height);
    let admin_view = admin_mode(cam, admin);
    if admin_view {
        let shown: Vec<LayerId> = badge_layers()
            .into_iter()
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
    // Points top-down as drawn, then the most specific areas (each layer's
    // `hit_rank`).
    let order = ranked(layers.iter().map(|l| l.id).collect(), |s| s.hit_rank);
    for id in order {
        let Some(layer) = layers.iter().find(|l| l.id == id) else {
            continue;
        };
        let lod = id.def().lod;
        match &*layer.data {
            LayerData::Points(_) if lod.summarised(cam, !admin.is_empty()) => {}
            LayerData::Points(p) => {
                if lod.binned(effective_zoom(cam)) {
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
                } else if let Some((key, _)) =
                    p.index
                        .nearest_within_where(w, PICK_PX * ui / cam.scale(), |k| {
                            point_shown(id, p, k, effective_zoom(cam))
                        })
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

/// A feature's details: its id, a title and its layer's rows (key, label, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Details {
    pub layer: LayerId,
    pub id: String,
    pub title: String,
    pub rows: Vec<Row>,
}

/// A feature's title: its name (in the language), a case's category and number,
/// or its id. Cheap: the tooltip calls it on every pointer move.
pub fn title(data: &LayerData, key: u32, lang: Lang) -> Option<String> {
    Some(match data.item(key)? {
        Item::Case(c) => format!("{} {}", c.category.label(lang), c.number()),
        Item::Feature(f) => {
            let name = crate::render::label_text(f, lang);
            if name.is_empty() {
                f.id.clone().unwrap_or_default()
            } else {
                name
            }
        }
    })
}

/// The details of the item at `key`: rows chosen by the layer's spec.
pub fn details(
    layer: LayerId,
    data: &LayerData,
    key: u32,
    lang: Lang,
    now: i64,
    grid_ids: &[String],
) -> Option<Details> {
    let item = data.item(key)?;
    let ctx = RowCtx {
        lang,
        now,
        grid_ids,
    };
    Some(Details {
        layer,
        id: match item {
            Item::Case(c) => c.number(),
            Item::Feature(f) => f.id.clone().unwrap_or_default(),
        },
        title: title(data, key, lang)?,
        rows: (spec(layer).rows)(item, &ctx),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{build, counts_by_subdistrict, AdminSummary};
    use pingan_model::cases::{encode, CaseFile, CaseRecord, DeptSet};
    use pingan_model::domain::{CaseCategory, CaseStatus, Department};
    use pingan_model::layers::layer;
    use pingan_model::projection::to_world;
    use std::sync::Arc;

    const SUBS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"S1","name":"西乡街道","name_en":"Xixiang"},"geometry":{"type":"Polygon","coordinates":[[[113.80,22.55],[113.85,22.55],[113.85,22.60],[113.80,22.60],[113.80,22.55]]]}},
      {"type":"Feature","properties":{"id":"S2","name":"新安街道","name_en":"Xin'an"},"geometry":{"type":"Polygon","coordinates":[[[113.85,22.55],[113.90,22.55],[113.90,22.60],[113.85,22.60],[113.85,22.55]]]}}]}"#;
    const GRIDS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"G0001","name":"一","subdistrict":"西乡街道","cases_30d":3},"geometry":{"type":"Polygon","coordinates":[[[113.80,22.55],[113.85,22.55],[113.85,22.60],[113.80,22.60],[113.80,22.55]]]}},
      {"type":"Feature","properties":{"id":"G0002","name":"二","subdistrict":"新安街道","cases_30d":1},"geometry":{"type":"Polygon","coordinates":[[[113.85,22.55],[113.90,22.55],[113.90,22.60],[113.85,22.60],[113.85,22.55]]]}}]}"#;
    const HAZARDS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"YH1","name":"积水点","type":"waterlogging","status":"open","subdistrict":"西乡街道","contacts":[{"role":"网格员","name":"张伟","phone":"13812345678"}]},"geometry":{"type":"Point","coordinates":[113.82,22.57]}},
      {"type":"Feature","properties":{"id":"YH2","name":"工地","type":"construction","status":"rectified","subdistrict":"新安街道"},"geometry":{"type":"Point","coordinates":[113.87,22.58]}},
      {"type":"Feature","properties":{"id":"YH3","name":"仓库","type":"fire","status":"open","subdistrict":"新安街道"},"geometry":{"type":"Point","coordinates":[113.8705,22.5801]}}]}"#;

    fn cases() -> Vec<u8> {
        let rec = |id, lon, lat, grid| CaseRecord {
            id,
            time: 1_790_000_000,
            lon,
            lat,
            grid,
            category: CaseCategory::Dispute,
            status: CaseStatus::Dispatched,
            departments: DeptSet::of(&[
                Department::Police,
                Department::Court,
                Department::Judicial,
            ]),
            deadline_hours: 48,
        };
        encode(&CaseFile {
            grid_count: 2,
            window_start: 1_789_000_000,
            window_end: 1_791_000_000,
            records: vec![
                rec(1, 113.81, 22.56, 0),
                rec(2, 113.86, 22.56, 1),
                rec(3, 113.89, 22.59, 1),
            ],
        })
    }

    fn scene(ids: &[&'static str]) -> Vec<SceneLayer> {
        ids.iter()
            .map(|id| {
                let def = layer(id).unwrap();
                let bytes = match *id {
                    "subdistricts" => SUBS.as_bytes().to_vec(),
                    "grids" => GRIDS.as_bytes().to_vec(),
                    "hazards" => HAZARDS.as_bytes().to_vec(),
                    "cases" => cases(),
                    _ => unreachable!(),
                };
                SceneLayer {
                    id: def.id,
                    data: Arc::new(build(def, &bytes, 1_790_000_000).unwrap()),
                }
            })
            .collect()
    }

    fn cam_at(lon: f64, lat: f64, zoom: f64) -> Camera {
        Camera {
            center: to_world(lon, lat),
            zoom,
            width: 1920.0,
            height: 1080.0,
        }
    }

    fn screen(cam: &Camera, lon: f64, lat: f64) -> [f64; 2] {
        let w = to_world(lon, lat);
        cam.to_screen([w.x, w.y])
    }

    #[test]
    fn clicks_find_the_point_then_the_most_specific_area() {
        let layers = scene(&["subdistricts", "grids", "cases", "hazards"]);
        let cam = cam_at(113.85, 22.575, 17.0);
        let none = AdminSummary::default();
        // On a hazard (hazards are above cases).
        let p = screen(&cam, 113.82, 22.57);
        assert_eq!(
            hit_test(&cam, &layers, &none, p),
            Some(Hit::Feature {
                layer: LayerId::Hazards,
                key: 0
            })
        );
        // A few pixels off still picks it; 20 px off falls through to the grid.
        assert_eq!(
            hit_test(&cam, &layers, &none, [p[0] + 5.0, p[1]]),
            Some(Hit::Feature {
                layer: LayerId::Hazards,
                key: 0
            })
        );
        assert_eq!(
            hit_test(&cam, &layers, &none, [p[0] + 20.0, p[1]]),
            Some(Hit::Feature {
                layer: LayerId::Grids,
                key: 0
            })
        );
        // Two hazards 12 m apart: a click on one picks that one, not its neighbour.
        let cam_far = cam_at(113.8705, 22.5801, 19.0);
        let p3 = screen(&cam_far, 113.8705, 22.5801);
        assert_eq!(
            hit_test(&cam_far, &layers, &none, p3),
            Some(Hit::Feature {
                layer: LayerId::Hazards,
                key: 2
            })
        );
        let p2 = screen(&cam_far, 113.87, 22.58);
        assert_eq!(
            hit_test(&cam_far, &layers, &none, p2),
            Some(Hit::Feature {
                layer: LayerId::Hazards,
                key: 1
            })
        );
        // Below z15 rectified hazards are not drawn, so a click on one finds
        // the open hazard 12 m away (or what lies beneath), never the hidden one.
        let mid = cam_at(113.87, 22.58, 14.0);
        let on_rectified = screen(&mid, 113.87, 22.58);
        assert_eq!(
            hit_test(&mid, &layers, &none, on_rectified),
            Some(Hit::Feature {
                layer: LayerId::Hazards,
                key: 2
            })
        );
        // A case where there is no hazard.
        let c = screen(&cam, 113.86, 22.56);
        assert_eq!(
            hit_test(&cam, &layers, &none, c),
            Some(Hit::Feature {
                layer: LayerId::Cases,
                key: 1
            })
        );
        // Nothing outside every layer.
        let out = cam_at(114.5, 23.5, 17.0);
        assert_eq!(hit_test(&out, &layers, &none, [960.0, 540.0]), None);
    }

    #[test]
    fn details_show_every_property_readably_and_mask_phones() {
        let layers = scene(&["hazards", "cases", "grids"]);
        let d = details(LayerId::Hazards, &layers[0].data, 0, Lang::Zh, 0, &[]).unwrap();
        assert_eq!(d.id, "YH1");
        assert_eq!(d.title, "积水点");
        let row = |k: &str| {
            d.rows
                .iter()
                .find(|r| r.0 == k)
                .map(|r| (r.1.clone(), r.2.clone()))
        };
        assert_eq!(row("type"), Some(("类型".into(), "积水内涝点".into())));
        assert_eq!(row("status"), Some(("状态".into(), "未整改".into())));
        assert_eq!(
            row("contacts"),
            Some(("联系人".into(), "网格员 张* 138****5678".into()))
        );
        assert!(row("lonlat").is_some());
        let grid_ids = vec!["G0001".to_string(), "G0002".to_string()];
        let c = details(
            LayerId::Cases,
            &layers[1].data,
            0,
            Lang::En,
            1_790_000_000 + 49 * 3600,
            &grid_ids,
        )
        .unwrap();
        assert_eq!(c.id, "AJ00000001");
        let crow = |k: &str| c.rows.iter().find(|r| r.0 == k).map(|r| r.2.clone());
        assert_eq!(
            crow("departments").as_deref(),
            Some("Police station、Court、Judicial office")
        );
        assert_eq!(crow("grid").as_deref(), Some("G0001"));
        assert_eq!(crow("overdue").as_deref(), Some("yes"));
        assert!(details(LayerId::Cases, &layers[1].data, 99, Lang::En, 0, &grid_ids).is_none());
    }

    #[test]
    fn district_scale_badges_count_per_subdistrict_and_are_clickable() {
        let layers = scene(&["subdistricts", "grids", "cases", "hazards"]);
        let (LayerData::Areas(s), LayerData::Areas(g), LayerData::Points(c), LayerData::Points(h)) = (
            &*layers[0].data,
            &*layers[1].data,
            &*layers[2].data,
            &*layers[3].data,
        ) else {
            panic!("layer kinds")
        };
        assert_eq!(counts_by_subdistrict(s, Some(g), c), vec![1, 2]);
        assert_eq!(counts_by_subdistrict(s, Some(g), h), vec![1, 2]);
        assert_eq!(
            counts_by_subdistrict(s, None, c),
            vec![0, 0],
            "cases need the grids"
        );
        let admin = AdminSummary {
            names: vec![
                ("西乡街道".into(), "Xixiang".into()),
                ("新安街道".into(), "Xin'an".into()),
            ],
            at: s.label_at.clone(),
            bboxes: s.bboxes.clone(),
            counts: vec![(LayerId::Cases, vec![1, 2]), (LayerId::Hazards, vec![1, 2])],
        };
        let cam = cam_at(113.85, 22.575, 12.0);
        let bs = crate::render::badges(&cam, &admin, &[LayerId::Cases, LayerId::Hazards]);
        assert_eq!(bs.len(), 2);
        assert_eq!(
            bs[1].lines,
            vec![(LayerId::Cases, 2), (LayerId::Hazards, 2)]
        );
        let mid = [
            (bs[1].rect[0] + bs[1].rect[2]) / 2.0,
            (bs[1].rect[1] + bs[1].rect[3]) / 2.0,
        ];
        assert_eq!(
            hit_test(&cam, &layers, &admin, mid),
            Some(Hit::Admin { index: 1 })
        );
        // Zoomed out until they would overlap: the busier keeps its place below
        // its name, the other moves above its own.
        let far = cam_at(113.85, 22.575, 9.0);
        let kept = crate::render::badges(&far, &admin, &[LayerId::Cases, LayerId::Hazards]);
        assert_eq!(kept.iter().map(|b| b.index).collect::<Vec<_>>(), vec![0, 1]);
        let name_y = far.to_screen(admin.at[0])[1];
        assert!(kept[0].rect[3] < name_y, "badge 0 above its name");
        assert!(
            kept[1].rect[1] > far.to_screen(admin.at[1])[1],
            "badge 1 below its name"
        );
        // Five on one spot: the four busiest fit (below, above, right, left), the
        // least busy is dropped.
        let crowded = AdminSummary {
            names: vec![Default::default(); 5],
            at: vec![admin.at[0]; 5],
            bboxes: vec![admin.bboxes[0]; 5],
            counts: vec![(LayerId::Cases, vec![5, 1, 9, 3, 7])],
        };
        let kept = crate::render::badges(&far, &crowded, &[LayerId::Cases]);
        assert_eq!(
            kept.iter().map(|b| b.index).collect::<Vec<_>>(),
            vec![0, 2, 3, 4]
        );
        // At street level the same summary is not in play.
        let near = cam_at(113.85, 22.575, 16.0);
        assert!(!crate::render::admin_mode(&near, &admin));
    }

    #[test]
    fn low_zoom_clicks_hit_bins_with_their_counts() {
        let layers = scene(&["cases"]);
        let cam = cam_at(113.875, 22.575, 13.0);
        let LayerData::Points(p) = &*layers[0].data else {
            panic!()
        };
        let bins = p.bins(13, 1.0);
        assert_eq!(bins.total(), 3);
        let b = bins.all().max_by_key(|b| b.count).unwrap();
        let at = cam.to_screen([b.cx, b.cy]);
        match hit_test(&cam, &layers, &AdminSummary::default(), at) {
            Some(Hit::Bin {
                layer: LayerId::Cases,
                count,
                ..
            }) => assert_eq!(count, b.count),
            other => panic!("{other:?}"),
        }
    }
}
