//! Layer data as the app holds it: features parsed by the model, projected
//! once to world coordinates, indexed in R-trees, with per-feature style keys.
//! Also the loader that fetches a layer and turns bytes into `LayerData`.

use geo::{InteriorPoint, MultiPolygon};
use pingan_model::aggregate::Bins;
use pingan_model::cases::{self, CaseRecord};
use pingan_model::domain::*;
use pingan_model::geojson_io::{parse_feature_collection, Feature, Geom};
use pingan_model::index::{bbox_of, AreaIndex, Bbox, PointIndex};
use pingan_model::layers::{LayerDef, LayerKind};
use pingan_model::projection::to_world;
use std::collections::HashMap;
use std::sync::Mutex;

/// Polygons of one layer.
pub struct AreaLayer {
    pub features: Vec<Feature>,
    /// Exterior and interior rings of every part, in world coordinates.
    pub rings: Vec<Vec<Vec<[f64; 2]>>>,
    pub world: Vec<MultiPolygon<f64>>,
    pub bboxes: Vec<Bbox>,
    /// Where the label goes (an interior point), world coordinates.
    pub label_at: Vec<[f64; 2]>,
    pub index: AreaIndex,
    /// Style class per feature (tier, risk domain, …), see `style`.
    pub class: Vec<u8>,
}

/// Points of one layer (GeoJSON points or cases).
pub struct PointLayer {
    /// GeoJSON features (empty for cases, which live in `cases`).
    pub features: Vec<Feature>,
    pub cases: Vec<CaseRecord>,
    pub world: Vec<[f64; 2]>,
    pub index: PointIndex,
    /// Colour class per point, see `style`.
    pub class: Vec<u8>,
    /// Secondary class (status / alarm state), see `style`.
    pub state: Vec<u8>,
    /// Bins per (integer zoom, UI scale in hundredths), built on first use.
    bins: Mutex<HashMap<(i32, u32), std::sync::Arc<Bins>>>,
}

pub enum LayerData {
    Areas(AreaLayer),
    Points(PointLayer),
}

impl LayerData {
    pub fn len(&self) -> usize {
        match self {
            LayerData::Areas(a) => a.features.len(),
            LayerData::Points(p) => p.world.len(),
        }
    }
}

/// Screen size of a bin cell in CSS pixels.
pub const BIN_PX: f64 = 56.0;

impl PointLayer {
    /// Indexes the points (key = position) and starts with no bins.
    fn new(
        features: Vec<Feature>,
        cases: Vec<CaseRecord>,
        world: Vec<[f64; 2]>,
        class: Vec<u8>,
        state: Vec<u8>,
    ) -> PointLayer {
        let index = PointIndex::bulk_load(world.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        PointLayer {
            features,
            cases,
            world,
            index,
            class,
            state,
            bins: Mutex::new(HashMap::new()),
        }
    }

    /// Bins for an integer zoom level (cell = `BIN_PX · ui` pixels at that zoom).
    pub fn bins(&self, zoom: i32, ui: f64) -> std::sync::Arc<Bins> {
        let mut cache = match self.bins.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        cache
            .entry((zoom, (ui * 100.0).round() as u32))
            .or_insert_with(|| {
                let cell =
                    BIN_PX * ui / pingan_model::projection::pixels_per_world_unit(zoom as f64);
                std::sync::Arc::new(Bins::from_points(cell, self.world.iter().copied()))
            })
            .clone()
    }
}

/// Counts of a point layer per subdistrict (in the order of the subdistrict
/// layer): by the feature's `subdistrict` property, or for cases through
/// their grid's `subdistrict`.
pub fn counts_by_subdistrict(
    subs: &AreaLayer,
    grids: Option<&AreaLayer>,
    layer: &PointLayer,
) -> Vec<u32> {
    let names: HashMap<&str, usize> = subs
        .features
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.str_prop("name").map(|n| (n, i)))
        .collect();
    let mut counts = vec![0u32; subs.features.len()];
    if !layer.cases.is_empty() {
        let Some(g) = grids else { return counts };
        let grid_sub: Vec<Option<usize>> = g
            .features
            .iter()
            .map(|f| {
                f.str_prop("subdistrict")
                    .and_then(|n| names.get(n).copied())
            })
            .collect();
        for c in &layer.cases {
            if let Some(Some(s)) = grid_sub.get(c.grid as usize) {
                counts[*s] += 1;
            }
        }
    } else {
        for f in &layer.features {
            if let Some(&s) = f.str_prop("subdistrict").and_then(|n| names.get(n)) {
                counts[s] += 1;
            }
        }
    }
    counts
}

/// The district-scale aggregate: per subdistrict, where its badge goes and
/// the counts of each aggregated point layer.
#[derive(Default)]
pub struct AdminSummary {
    pub names: Vec<(String, String)>,
    pub at: Vec<[f64; 2]>,
    pub bboxes: Vec<Bbox>,
    pub counts: Vec<(&'static str, Vec<u32>)>,
}

impl AdminSummary {
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
    pub fn count(&self, layer: &str, i: usize) -> Option<u32> {
        self.counts
            .iter()
            .find(|(l, _)| *l == layer)
            .and_then(|(_, c)| c.get(i).copied())
    }
}

fn world_of(lon: f64, lat: f64) -> [f64; 2] {
    let w = to_world(lon, lat);
    [w.x, w.y]
}

/// Style class of an area feature, by layer.
fn area_class(layer: &str, f: &Feature) -> u8 {
    let code = |k| f.str_prop(k).unwrap_or("");
    match layer {
        "parks" | "greenspace" => ParkTier::from_code(code("tier"))
            .map(|t| t.index() as u8)
            .unwrap_or(ParkTier::Green as u8),
        "areas" => RiskDomain::from_code(code("domain"))
            .map(|d| d.index() as u8)
            .unwrap_or(0),
        _ => 0,
    }
}

/// (class, state) of a point feature, by layer.
fn point_class(layer: &str, f: &Feature) -> (u8, u8) {
    let code = |k| f.str_prop(k).unwrap_or("");
    match layer {
        "hazards" => (
            HazardType::from_code(code("type"))
                .map(|t| t.index() as u8)
                .unwrap_or(0),
            HazardStatus::from_code(code("status"))
                .map(|s| s.index() as u8)
                .unwrap_or(0),
        ),
        "sensors" => {
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
                SensorType::from_code(code("type"))
                    .map(|t| t.index() as u8)
                    .unwrap_or(0),
                state,
            )
        }
        "sentinels" => (
            SentinelKind::from_code(code("kind"))
                .map(|k| k.index() as u8)
                .unwrap_or(0),
            0,
        ),
        _ => (0, 0),
    }
}

/// Case state for styling: 0 open, 1 overdue, 2 closed.
pub fn case_state(c: &CaseRecord, now: i64) -> u8 {
    if c.is_overdue(now) {
        1
    } else if c.status.is_open() {
        0
    } else {
        2
    }
}

/// Parses a fetched layer into indexed, projected data.
pub fn build(def: &LayerDef, bytes: &[u8], now: i64) -> Result<LayerData, String> {
    match def.kind {
        LayerKind::Cases => {
            let file = cases::decode(bytes).map_err(|e| e.to_string())?;
            let world: Vec<[f64; 2]> = file
                .records
                .iter()
                .map(|c| world_of(c.lon, c.lat))
                .collect();
            let class = file
                .records
                .iter()
                .map(|c| c.category.index() as u8)
                .collect();
            let state = file.records.iter().map(|c| case_state(c, now)).collect();
            Ok(LayerData::Points(PointLayer::new(
                Vec::new(),
                file.records,
                world,
                class,
                state,
            )))
        }
        LayerKind::Point => {
            let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
            let features = parse_feature_collection(text).map_err(|e| e.to_string())?;
            let mut world = Vec::with_capacity(features.len());
            let (mut class, mut state) = (
                Vec::with_capacity(features.len()),
                Vec::with_capacity(features.len()),
            );
            for (i, f) in features.iter().enumerate() {
                match &f.geometry {
                    Geom::Point(p) => world.push(world_of(p.x(), p.y())),
                    Geom::Area(_) => {
                        return Err(format!("feature {i}: a polygon in a point layer"))
                    }
                }
                let (c, s) = point_class(def.id, f);
                class.push(c);
                state.push(s);
            }
            Ok(LayerData::Points(PointLayer::new(
                features,
                Vec::new(),
                world,
                class,
                state,
            )))
        }
        LayerKind::Polygon => {
            let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
            let features = parse_feature_collection(text).map_err(|e| e.to_string())?;
            let n = features.len();
            let (mut rings, mut world, mut bboxes, mut label_at, mut class) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for (i, f) in features.iter().enumerate() {
                let Geom::Area(mp) = &f.geometry else {
                    return Err(format!("feature {i}: a point in a polygon layer"));
                };
                let wmp: MultiPolygon<f64> = mp.map_coords(|c| {
                    let w = to_world(c.x, c.y);
                    geo::Coord { x: w.x, y: w.y }
                });
                rings.push(
                    wmp.0
                        .iter()
                        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                        .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                        .collect(),
                );
                bboxes.push(bbox_of(&wmp).unwrap_or(Bbox::new([0.0, 0.0], [0.0, 0.0])));
                // Label at the interior point of the largest part.
                let largest = wmp.0.iter().max_by(|a, b| {
                    use geo::Area;
                    a.unsigned_area().total_cmp(&b.unsigned_area())
                });
                let lp = largest
                    .and_then(|p| p.interior_point())
                    .map(|p| [p.x(), p.y()])
                    .unwrap_or([0.0, 0.0]);
                label_at.push(lp);
                class.push(area_class(def.id, f));
                world.push(wmp);
            }
            let index = AreaIndex::bulk_load(&world);
            Ok(LayerData::Areas(AreaLayer {
                features,
                rings,
                world,
                bboxes,
                label_at,
                index,
                class,
            }))
        }
    }
}

use geo::MapCoords;
