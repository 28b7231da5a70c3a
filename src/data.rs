//! Layer data as the app holds it: features parsed by the model, projected
//! once to world coordinates, indexed in R-trees, with per-feature style keys.
//! Also the loader that fetches a layer and turns bytes into `LayerData`.
//! (Over 600 lines: ~200 of them are the tests of the in-place live edits,
//! which belong next to the code they pin down.)

use crate::layers::rows::Item;
use geo::MultiPolygon;
use pingan_model::aggregate::Bins;
use pingan_model::cases::{self, CaseRecord};
use pingan_model::geojson_io::{parse_features, Expect, Feature, Geom};
use pingan_model::index::{bbox_of, AreaIndex, Bbox, PointIndex};
use pingan_model::layers::{LayerDef, LayerId, LayerKind};
use pingan_model::projection::to_world;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A fresh data version: unique across all layers and reloads, only ever
/// increasing, so a surface key that includes it changes whenever a layer's
/// points change, even in place (see ARCHITECTURE.md, surface keys).
pub fn next_version() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Polygons of one layer.
#[derive(Clone)]
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

/// What a point layer's points are: GeoJSON features or case records.
#[derive(Clone)]
pub enum Items {
    Features(Vec<Feature>),
    Cases(Vec<CaseRecord>),
}

/// Points of one layer (GeoJSON points or cases).
pub struct PointLayer {
    /// The points' own data, one per key.
    pub items: Items,
    pub world: Vec<[f64; 2]>,
    pub index: PointIndex,
    /// Colour class per point, see `style`.
    pub class: Vec<u8>,
    /// Secondary class (status / alarm state), see `style`.
    pub state: Vec<u8>,
    /// Bins per (integer zoom, UI scale in hundredths), built on first use
    /// and then updated point by point by live inserts.
    bins: BinCache,
    /// Bumped (to a fresh [`next_version`]) by every change to what the
    /// points surface shows (a point added, moved, or its symbol changed);
    /// not by changes only the details panel shows (a reading's value).
    pub version: u64,
    /// Where drawn symbols changed: (version of the change, world position;
    /// a move logs both ends). The points surface patches these places
    /// instead of re-rendering (see `render`). Bounded: holds every change
    /// with a version above `edits_since`.
    edits: Vec<(u64, [f64; 2])>,
    edits_since: u64,
    /// Key of a case by id, or of a feature by its `id` (live updates).
    case_keys: HashMap<u32, u32>,
    feature_keys: HashMap<String, u32>,
    /// Cases: the start of the file's window (Unix seconds); a live case
    /// reported before it does not belong to the layer.
    pub window_start: Option<i64>,
}

impl Clone for PointLayer {
    fn clone(&self) -> PointLayer {
        let bins = match self.bins.lock() {
            Ok(b) => b.clone(),
            Err(p) => p.into_inner().clone(),
        };
        PointLayer {
            items: self.items.clone(),
            world: self.world.clone(),
            index: self.index.clone(),
            class: self.class.clone(),
            state: self.state.clone(),
            bins: Mutex::new(bins),
            version: self.version,
            edits: self.edits.clone(),
            edits_since: self.edits_since,
            case_keys: self.case_keys.clone(),
            feature_keys: self.feature_keys.clone(),
            window_start: self.window_start,
        }
    }
}

/// Bins per (integer zoom, UI scale in hundredths).
type BinCache = Mutex<HashMap<(i32, u32), std::sync::Arc<Bins>>>;

/// What [`PointLayer::upsert_case`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Upsert {
    /// A new case at this key.
    Inserted(u32),
    /// An existing case (same position) whose record changed; its old record.
    Updated(u32, CaseRecord),
    /// Nothing: the layer holds features, not cases.
    NotCases,
}

#[derive(Clone)]
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

    /// The feature or case at `key`.
    pub fn item(&self, key: u32) -> Option<Item<'_>> {
        let i = key as usize;
        match self {
            LayerData::Areas(a) => a.features.get(i).map(Item::Feature),
            LayerData::Points(p) => match &p.items {
                Items::Features(f) => f.get(i).map(Item::Feature),
                Items::Cases(c) => c.get(i).map(Item::Case),
            },
        }
    }
}

/// Screen size of a bin cell in CSS pixels.
pub const BIN_PX: f64 = 56.0;

/// Edits a point layer remembers; a surface further behind re-renders.
const MAX_EDITS: usize = 512;

impl PointLayer {
    /// Indexes the points (key = position) and starts with no bins.
    fn new(items: Items, world: Vec<[f64; 2]>, class: Vec<u8>, state: Vec<u8>) -> PointLayer {
        let index = PointIndex::bulk_load(world.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        let (mut case_keys, mut feature_keys) = (HashMap::new(), HashMap::new());
        match &items {
            Items::Cases(cases) => {
                case_keys = cases
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.id, i as u32))
                    .collect()
            }
            Items::Features(features) => {
                feature_keys = features
                    .iter()
                    .enumerate()
                    .filter_map(|(i, f)| Some((f.id.clone()?, i as u32)))
                    .collect()
            }
        }
        let version = next_version();
        PointLayer {
            items,
            world,
            index,
            class,
            state,
            bins: Mutex::new(HashMap::new()),
            version,
            edits: Vec::new(),
            edits_since: version,
            case_keys,
            feature_keys,
            window_start: None,
        }
    }

    /// The case records (empty for a layer of features).
    pub fn cases(&self) -> &[CaseRecord] {
        match &self.items {
            Items::Cases(c) => c,
            Items::Features(_) => &[],
        }
    }
    /// The GeoJSON features (empty for the case layer).
    pub fn features(&self) -> &[Feature] {
        match &self.items {
            Items::Features(f) => f,
            Items::Cases(_) => &[],
        }
    }

    pub fn case_key(&self, id: u32) -> Option<u32> {
        self.case_keys.get(&id).copied()
    }
    pub fn feature_key(&self, id: &str) -> Option<u32> {
        self.feature_keys.get(id).copied()
    }

    /// A drawn change at these world positions: a new version, logged.
    fn edit(&mut self, at: &[[f64; 2]]) {
        self.version = next_version();
        for a in at {
            self.edits.push((self.version, *a));
        }
        if self.edits.len() > MAX_EDITS {
            let cut = self.edits.len() - MAX_EDITS / 2;
            self.edits_since = self.edits[cut - 1].0;
            self.edits.drain(..cut);
        }
    }

    /// The world positions of every drawn change since version `v`, or `None`
    /// when the log no longer reaches back that far.
    pub fn edits_after(&self, v: u64) -> Option<impl Iterator<Item = [f64; 2]> + '_> {
        (v >= self.edits_since).then(|| {
            let from = self.edits.partition_point(|e| e.0 <= v);
            self.edits[from..].iter().map(|e| e.1)
        })
    }

    /// Inserts a new case or updates a known one, in place: a new point goes
    /// into the R-tree and into every cached bin lattice (one `Bins::add`
    /// each); a known case at the same position changes only its record and
    /// style state (no index or bin change); one that moved is removed and
    /// re-added. Never rebuilds the index or the bins. The version goes up
    /// only if the symbol changed (new, moved, other colour or state).
    pub fn upsert_case(&mut self, rec: CaseRecord, now: i64) -> Upsert {
        let w = world_of(rec.lon, rec.lat);
        let Items::Cases(cases) = &mut self.items else {
            return Upsert::NotCases;
        };
        if let Some(k) = self.case_keys.get(&rec.id).copied() {
            let i = k as usize;
            let old = cases[i];
            let old_w = self.world[i];
            let old_symbol = (self.class[i], self.state[i]);
            if old_w != w {
                self.index.remove(old_w, k);
                self.index.insert(w, k);
                for_each_bins(&mut self.bins, |b| {
                    b.remove(old_w);
                    b.add(w);
                });
                self.world[i] = w;
            }
            cases[i] = rec;
            self.class[i] = rec.category.index() as u8;
            self.state[i] = case_state(&rec, now);
            if old_w != w {
                self.edit(&[old_w, w]);
            } else if old_symbol != (self.class[i], self.state[i]) {
                self.edit(&[w]);
            }
            return Upsert::Updated(k, old);
        }
        let k = self.world.len() as u32;
        cases.push(rec);
        self.world.push(w);
        self.class.push(rec.category.index() as u8);
        self.state.push(case_state(&rec, now));
        self.index.insert(w, k);
        self.case_keys.insert(rec.id, k);
        for_each_bins(&mut self.bins, |b| b.add(w));
        self.edit(&[w]);
        Upsert::Inserted(k)
    }

    /// Sets the style state of one point (sensor level, hazard status) and,
    /// for GeoJSON features, the property it came from; position unchanged.
    /// The version goes up only if the state (what is drawn) changed: a
    /// reading at the same level changes only what the details panel shows.
    pub fn set_point_state(&mut self, key: u32, state: u8, props: &[(&str, serde_json::Value)]) {
        let i = key as usize;
        if let Some(f) = match &mut self.items {
            Items::Features(f) => f.get_mut(i),
            Items::Cases(_) => None,
        } {
            for (k, v) in props {
                f.properties.insert((*k).to_string(), v.clone());
            }
        }
        let changed = match self.state.get_mut(i) {
            Some(s) if *s != state => {
                *s = state;
                true
            }
            _ => false,
        };
        if changed {
            let w = self.world[i];
            self.edit(&[w]);
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

/// Applies `f` to every cached bin lattice (each copied only if a frame
/// still holds it).
fn for_each_bins(bins: &mut BinCache, mut f: impl FnMut(&mut Bins)) {
    let cache = match bins.get_mut() {
        Ok(c) => c,
        Err(p) => p.into_inner(),
    };
    for b in cache.values_mut() {
        f(std::sync::Arc::make_mut(b));
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
    match &layer.items {
        Items::Cases(cases) => {
            let Some(g) = grids else { return counts };
            let grid_sub: Vec<Option<usize>> = g
                .features
                .iter()
                .map(|f| {
                    f.str_prop("subdistrict")
                        .and_then(|n| names.get(n).copied())
                })
                .collect();
            for c in cases {
                if let Some(Some(s)) = grid_sub.get(c.grid as usize) {
                    counts[*s] += 1;
                }
            }
        }
        Items::Features(features) => {
            for f in features {
                if let Some(&s) = f.str_prop("subdistrict").and_then(|n| names.get(n)) {
                    counts[s] += 1;
                }
            }
        }
    }
    counts
}

/// The district-scale aggregate: per subdistrict, where its badge goes and
/// the counts of each aggregated point layer.
#[derive(Clone, Default)]
pub struct AdminSummary {
    pub names: Vec<(String, String)>,
    pub at: Vec<[f64; 2]>,
    pub bboxes: Vec<Bbox>,
    pub counts: Vec<(LayerId, Vec<u32>)>,
}

impl AdminSummary {
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
    pub fn count(&self, layer: LayerId, i: usize) -> Option<u32> {
        self.counts
            .iter()
            .find(|(l, _)| *l == layer)
            .and_then(|(_, c)| c.get(i).copied())
    }
}

pub(crate) fn world_of(lon: f64, lat: f64) -> [f64; 2] {
    let w = to_world(lon, lat);
    [w.x, w.y]
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

/// Why a fetched layer could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// The case file is not a valid `PACS` file.
    Cases(cases::CaseFileError),
    /// A GeoJSON layer's bytes are not UTF-8.
    NotUtf8(std::str::Utf8Error),
    GeoJson(pingan_model::geojson_io::GeoJsonError),
    /// A feature (by index) whose geometry is not of the layer's kind.
    PolygonInPointLayer(usize),
    PointInPolygonLayer(usize),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Cases(e) => write!(f, "{e}"),
            BuildError::NotUtf8(e) => write!(f, "not UTF-8 text: {e}"),
            BuildError::GeoJson(e) => write!(f, "{e}"),
            BuildError::PolygonInPointLayer(i) => {
                write!(f, "feature {i}: a polygon in a point layer")
            }
            BuildError::PointInPolygonLayer(i) => {
                write!(f, "feature {i}: a point in a polygon layer")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// The features of a GeoJSON layer file and how many have no geometry (RFC 7946
/// allows `"geometry": null`; such a feature is never drawn, and the layer's row
/// says how many there were, like the manifest's `without_geometry`). A polygon
/// layer keeps them in place, with an empty shape, so that feature keys stay
/// positions in the file (a case's `grid` is one); a point layer, whose
/// features are matched by id, leaves them out.
fn features_of(
    bytes: &[u8],
    expect: Expect,
    keep_null: bool,
) -> Result<(Vec<Feature>, usize), BuildError> {
    let text = std::str::from_utf8(bytes).map_err(BuildError::NotUtf8)?;
    let mut features = parse_features(text, expect).map_err(BuildError::GeoJson)?;
    let without = features.iter().filter(|f| f.geometry == Geom::Null).count();
    if !keep_null {
        features.retain(|f| f.geometry != Geom::Null);
    }
    Ok((features, without))
}

/// Parses a fetched layer into indexed, projected data, classed by its
/// layer's spec (`layers`).
pub fn build(def: &LayerDef, bytes: &[u8], now: i64) -> Result<LayerData, BuildError> {
    build_counted(def, bytes, now).map(|(d, _)| d)
}

/// `build`, and the number of features left out for having no geometry.
pub fn build_counted(
    def: &LayerDef,
    bytes: &[u8],
    now: i64,
) -> Result<(LayerData, usize), BuildError> {
    let mut without_geometry = 0;
    let data = build_layer(def, bytes, now, &mut without_geometry)?;
    Ok((data, without_geometry))
}

fn build_layer(
    def: &LayerDef,
    bytes: &[u8],
    now: i64,
    without_geometry: &mut usize,
) -> Result<LayerData, BuildError> {
    let spec = crate::layers::spec(def.id);
    match def.kind {
        LayerKind::Cases => {
            let file = cases::decode(bytes).map_err(BuildError::Cases)?;
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
            let mut p = PointLayer::new(Items::Cases(file.records), world, class, state);
            p.window_start = Some(file.window_start);
            Ok(LayerData::Points(p))
        }
        LayerKind::Point => {
            let (features, without) = features_of(bytes, Expect::Points, false)?;
            *without_geometry = without;
            let point_class = spec.point().map(|p| p.class).unwrap_or(|_| (0, 0));
            let mut world = Vec::with_capacity(features.len());
            let (mut class, mut state) = (
                Vec::with_capacity(features.len()),
                Vec::with_capacity(features.len()),
            );
            for (i, f) in features.iter().enumerate() {
                match &f.geometry {
                    Geom::Point(p) => world.push(world_of(p.x(), p.y())),
                    Geom::Area(_) | Geom::Null => return Err(BuildError::PolygonInPointLayer(i)),
                }
                let (c, s) = point_class(f);
                class.push(c);
                state.push(s);
            }
            Ok(LayerData::Points(PointLayer::new(
                Items::Features(features),
                world,
                class,
                state,
            )))
        }
        LayerKind::Polygon => {
            let (features, without) = features_of(bytes, Expect::Areas, true)?;
            *without_geometry = without;
            let area_class = spec.area().map(|a| a.class).unwrap_or(|_| 0);
            let n = features.len();
            let (mut rings, mut world, mut bboxes, mut label_at, mut class) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for (i, f) in features.iter().enumerate() {
                let empty = MultiPolygon::new(Vec::new());
                let mp = match &f.geometry {
                    Geom::Area(mp) => mp,
                    // Not indexed (no bbox), so never drawn, labelled or hit.
                    Geom::Null => &empty,
                    Geom::Point(_) => return Err(BuildError::PointInPolygonLayer(i)),
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
                    .and_then(pingan_model::label_point::interior_point)
                    .map(|p| [p.x(), p.y()])
                    .unwrap_or([0.0, 0.0]);
                label_at.push(lp);
                class.push(area_class(f));
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

/// Counts one more case in its grid; returns whether the grid's choropleth
/// class changed (then the polygon surface must be drawn again — a change of
/// its data — otherwise it must not). The breaks stay those of the loaded
/// window until the case layer is loaded again, so classes do not shift
/// under every other grid on each report.
#[cfg(test)]
pub fn count_case(counts: &mut [u32], breaks: &[f64], grid: u16) -> bool {
    let Some(c) = counts.get_mut(grid as usize) else {
        return false;
    };
    let changed = count_changes_class(*c, breaks);
    *c += 1;
    changed
}

/// Whether one more case moves a grid with `count` cases to another class.
pub fn count_changes_class(count: u32, breaks: &[f64]) -> bool {
    use pingan_model::analysis::class_of;
    class_of(count as f64 + 1.0, breaks) != class_of(count as f64, breaks)
}

impl AdminSummary {
    /// One more point of `layer` in subdistrict `index`.
    pub fn add(&mut self, layer: LayerId, index: usize) {
        if let Some(c) = self
            .counts
            .iter_mut()
            .find(|(l, _)| *l == layer)
            .and_then(|(_, c)| c.get_mut(index))
        {
            *c += 1;
        }
    }
    /// The subdistrict index of a name (Chinese, as in the data).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|(zh, _)| zh == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::domain::{CaseCategory, CaseStatus};

    fn rec(id: u32, lon: f64, lat: f64) -> CaseRecord {
        CaseRecord {
            id,
            time: 1_790_000_000,
            lon,
            lat,
            grid: 0,
            category: CaseCategory::Dispute,
            status: CaseStatus::Reported,
            departments: Default::default(),
            deadline_hours: 72,
        }
    }

    fn layer(n: u32) -> PointLayer {
        let cases: Vec<CaseRecord> = (0..n)
            .map(|i| {
                rec(
                    i,
                    113.8 + (i % 50) as f64 * 0.004,
                    22.55 + (i / 50) as f64 * 0.003,
                )
            })
            .collect();
        let world = cases.iter().map(|c| world_of(c.lon, c.lat)).collect();
        let class = vec![0; n as usize];
        let state = vec![0; n as usize];
        PointLayer::new(Items::Cases(cases), world, class, state)
    }

    #[test]
    fn a_new_case_goes_into_the_index_and_every_cached_bin_lattice_incrementally() {
        let mut p = layer(2000);
        let v0 = p.version;
        // Two zooms' bins are cached (drawn at z11 and z13).
        let b11 = p.bins(11, 1.0);
        let _ = p.bins(13, 1.0);
        let k = match p.upsert_case(rec(99_999, 113.87, 22.58), 1_790_000_100) {
            Upsert::Inserted(k) => k,
            u => panic!("{u:?}"),
        };
        assert_eq!(k, 2000);
        assert!(p.version > v0, "the version goes up with the data");
        assert_eq!(p.case_key(99_999), Some(2000));
        let w = world_of(113.87, 22.58);
        assert_eq!(p.index.nearest_within(w, 1e-12).map(|h| h.0), Some(2000));
        assert_eq!(p.index.len(), 2001);
        // The cached lattices were updated in place and equal a fresh binning.
        for z in [11, 13] {
            let cached = p.bins(z, 1.0);
            let cell = BIN_PX / pingan_model::projection::pixels_per_world_unit(z as f64);
            let fresh = Bins::from_points(cell, p.world.iter().copied());
            assert_eq!(cached.total(), 2001);
            let mut a: Vec<(u32, i64, i64)> = cached
                .all()
                .map(|b| (b.count, (b.cx * 1e9) as i64, (b.cy * 1e9) as i64))
                .collect();
            let mut f: Vec<(u32, i64, i64)> = fresh
                .all()
                .map(|b| (b.count, (b.cx * 1e9) as i64, (b.cy * 1e9) as i64))
                .collect();
            a.sort_unstable();
            f.sort_unstable();
            assert_eq!(a, f, "zoom {z}");
        }
        // A frame that still held the old lattice keeps its consistent copy.
        assert_eq!(b11.total(), 2000);
    }

    #[test]
    fn a_transition_updates_the_record_in_place_without_touching_index_or_bins() {
        let mut p = layer(100);
        let bins = p.bins(12, 1.0);
        let v0 = p.version;
        let mut r = p.cases()[7];
        r.status = CaseStatus::Resolved;
        match p.upsert_case(r, 1_790_000_100) {
            Upsert::Updated(7, old) => assert_eq!(old.status, CaseStatus::Reported),
            u => panic!("{u:?}"),
        }
        assert_eq!(p.cases()[7].status, CaseStatus::Resolved);
        assert_eq!(p.state[7], 2, "closed");
        assert_eq!(p.index.len(), 100);
        assert!(p.version > v0);
        assert!(
            std::sync::Arc::ptr_eq(&bins, &p.bins(12, 1.0)),
            "bins untouched"
        );
        // A case that moved is re-indexed, not duplicated.
        r.lon += 0.01;
        p.upsert_case(r, 1_790_000_100);
        assert_eq!(p.index.len(), 100);
        let w = world_of(r.lon, r.lat);
        assert_eq!(p.index.nearest_within(w, 1e-12).map(|h| h.0), Some(7));
        assert_eq!(p.bins(12, 1.0).total(), 100);
    }

    #[test]
    fn only_drawn_changes_bump_the_version_and_each_is_logged_where_it_is() {
        let mut p = layer(100);
        let v0 = p.version;
        assert_eq!(p.edits_after(v0).map(|e| e.count()), Some(0));
        // A transition that keeps the case open: same symbol, no new version.
        let mut r = p.cases()[3];
        r.status = CaseStatus::Accepted;
        p.upsert_case(r, 1_790_000_100);
        assert_eq!(
            p.cases()[3].status,
            CaseStatus::Accepted,
            "the record changed"
        );
        assert_eq!(p.version, v0, "nothing drawn changed");
        // Closing it changes its colour: one edit at its position.
        r.status = CaseStatus::Resolved;
        p.upsert_case(r, 1_790_000_100);
        assert!(p.version > v0);
        let v1 = p.version;
        assert_eq!(p.edits_after(v0).unwrap().collect::<Vec<_>>(), [p.world[3]]);
        // A sensor-style state: same state → nothing, other → one edit.
        p.set_point_state(5, 0, &[]);
        assert_eq!(p.version, v1);
        p.set_point_state(5, 2, &[]);
        assert!(p.version > v1);
        assert_eq!(p.edits_after(v1).unwrap().collect::<Vec<_>>(), [p.world[5]]);
        // A move logs both ends; an insert its point.
        let v2 = p.version;
        let old = p.world[3];
        r.lon += 0.001;
        p.upsert_case(r, 1_790_000_100);
        p.upsert_case(rec(5_000, 113.9, 22.6), 1_790_000_100);
        let e: Vec<_> = p.edits_after(v2).unwrap().collect();
        assert_eq!(e, [old, p.world[3], p.world[100]]);
        // The log is bounded; a surface further behind than it re-renders.
        for i in 0..(MAX_EDITS as u32) {
            p.upsert_case(rec(10_000 + i, 113.9, 22.6), 1_790_000_100);
        }
        assert!(p.edits_after(v0).is_none());
        assert!(p.edits.len() <= MAX_EDITS);
        let v3 = p.version;
        p.set_point_state(6, 1, &[]);
        assert_eq!(p.edits_after(v3).unwrap().count(), 1);
    }

    #[test]
    fn grid_counts_report_a_class_change_only_when_the_class_changes() {
        let breaks = vec![2.0, 5.0, 10.0, 20.0];
        let mut counts = vec![0u32, 3, 4];
        assert!(
            !count_case(&mut counts, &breaks, 1),
            "3 → 4 stays in its class"
        );
        assert_eq!(counts[1], 4);
        assert_eq!(
            pingan_model::analysis::class_of(4.0, &breaks),
            pingan_model::analysis::class_of(3.0, &breaks)
        );
        let changed = count_case(&mut counts, &breaks, 2);
        assert_eq!(
            changed,
            pingan_model::analysis::class_of(5.0, &breaks)
                != pingan_model::analysis::class_of(4.0, &breaks)
        );
        assert!(
            !count_case(&mut counts, &breaks, u16::MAX),
            "no grid: nothing"
        );
    }

    #[test]
    fn features_without_geometry_are_counted_never_drawn_and_keep_polygon_keys() {
        let def = LayerId::Hazards.def();
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[113.85,22.6]},"properties":{}},
            {"type":"Feature","id":"b","geometry":null,"properties":{"name":"x"}},
            {"type":"Feature","id":"c","geometry":{"type":"Point","coordinates":[113.86,22.61]},"properties":{}}]}"#;
        let (data, without) = build_counted(def, text.as_bytes(), 0).expect("valid RFC 7946");
        assert_eq!(without, 1);
        assert_eq!(data.len(), 2, "the two located features are the layer");
        let grids = LayerId::Grids.def();
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"g0","geometry":null,"properties":{}},
            {"type":"Feature","id":"g1","geometry":{"type":"Polygon","coordinates":[[[113.8,22.6],[113.81,22.6],[113.81,22.61],[113.8,22.61],[113.8,22.6]]]},"properties":{}}]}"#;
        let (data, without) = build_counted(grids, text.as_bytes(), 0).expect("valid RFC 7946");
        assert_eq!(
            (data.len(), without),
            (2, 1),
            "a polygon layer keeps its keys"
        );
        let LayerData::Areas(a) = &data else {
            panic!("areas")
        };
        assert_eq!(
            a.features[1].id.as_deref(),
            Some("g1"),
            "key 1 is the file's feature 1"
        );
        let inside = world_of(113.805, 22.605);
        let hits: Vec<u32> = a.index.query(&Bbox::new(inside, inside)).collect();
        assert_eq!(hits, vec![1], "only the located grid is indexed");
        let empty = r#"{"type":"FeatureCollection","features":[]}"#;
        let (data, without) = build_counted(grids, empty.as_bytes(), 0).expect("empty is valid");
        assert_eq!((data.len(), without), (0, 0));
    }
}
