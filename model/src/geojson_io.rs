//! GeoJSON reading (validating, typed) and writing (RFC 7946, 6 decimals).
//!
//! Reading does not go through `geojson::GeoJson`: its internally tagged enums
//! make serde buffer every geometry, which costs the browser a third of its
//! parse time on the hazard layer. Instead a thin serde layer reads the
//! structure, keeps `coordinates` as raw JSON until the geometry `type` is
//! known, and validates as it converts to `geo` types. Every rejection names
//! the feature (index and id) and what is wrong with it.
//!
//! It accepts what RFC 7946 allows: a leading UTF-8 byte order mark, an empty
//! FeatureCollection, a feature whose `geometry` is `null` (kept as
//! [`Geom::Null`] for its properties, not drawn), and a GeometryCollection
//! (its members of the layer's kind, see [`Expect`]). Polygons must be simple
//! (see `rings`): a self-intersecting ring is refused with the place named.
//!
//! Writing goes through the `geojson` crate's types so output is the
//! reference serialization.

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt;

mod rings;

/// One feature of a layer: a point or an area, with its properties.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// The feature's `id` member, or its `properties.id`, as text.
    pub id: Option<String>,
    pub geometry: Geom,
    pub properties: Map<String, Value>,
}

/// The geometries a layer may hold. `Polygon` input becomes a one-part
/// `MultiPolygon`; a `MultiPoint` is not used by any layer and is rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum Geom {
    Point(Point<f64>),
    Area(MultiPolygon<f64>),
    /// `"geometry": null` (or an empty GeometryCollection): the feature is
    /// kept for its properties and is not drawn.
    Null,
}

/// What the reader makes of a GeometryCollection: a layer draws one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Its Polygon/MultiPolygon members, or else its one Point.
    Any,
    /// Its one Point member (other members are not drawn).
    Points,
    /// Its Polygon and MultiPolygon members as one area (others are not drawn).
    Areas,
}

/// Whether a polygon's rings are simple, as the reader requires: `Err` names
/// the ring and the place where it crosses or touches itself or another ring.
pub fn check_polygon_rings(poly: &Polygon<f64>) -> Result<(), String> {
    rings::check_simple(poly)
}

/// How many features have no geometry ([`Geom::Null`]): a layer says so in its row.
pub fn without_geometry(features: &[Feature]) -> usize {
    features.iter().filter(|f| f.geometry == Geom::Null).count()
}

impl Feature {
    /// A string property, or `None` when absent or not a string.
    pub fn str_prop(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }
    /// A numeric property.
    pub fn num_prop(&self, key: &str) -> Option<f64> {
        self.properties.get(key).and_then(Value::as_f64)
    }
}

/// Why a GeoJSON text was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoJsonError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("expected a GeoJSON FeatureCollection, found {found}")]
    NotFeatureCollection { found: String },
    #[error("feature {index}{}: {problem}", id_suffix(.id))]
    Feature {
        index: usize,
        id: Option<String>,
        problem: String,
    },
}

fn id_suffix(id: &Option<String>) -> String {
    match id {
        Some(id) => format!(" (id {id})"),
        None => String::new(),
    }
}

#[derive(Deserialize)]
struct RawCollection {
    #[serde(rename = "type")]
    ty: Option<String>,
    features: Option<Vec<RawFeature>>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(rename = "type")]
    ty: Option<String>,
    /// Outer `None`: no `geometry` member; inner `None`: `"geometry": null`.
    #[serde(default, deserialize_with = "present")]
    geometry: Option<Option<RawGeometry>>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    #[serde(default)]
    id: Option<Value>,
}

/// Tells a member given as `null` from a missing one.
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<RawGeometry>>, D::Error> {
    Option::<RawGeometry>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    ty: Option<String>,
    coordinates: Option<Box<RawValue>>,
    /// The members of a GeometryCollection.
    geometries: Option<Vec<RawGeometry>>,
}

/// A position: two or more numbers, of which the first two are lon, lat.
#[derive(Clone, Copy)]
struct Pos(f64, f64);

impl<'de> Deserialize<'de> for Pos {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pos;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a position [longitude, latitude]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Pos, A::Error> {
                let x: f64 = seq.next_element()?.ok_or_else(|| {
                    serde::de::Error::custom("a position needs 2 numbers, found 0")
                })?;
                let y: f64 = seq.next_element()?.ok_or_else(|| {
                    serde::de::Error::custom("a position needs 2 numbers, found 1")
                })?;
                // Altitude and beyond are allowed and ignored.
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Pos(x, y))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Parses a FeatureCollection, validating every geometry; a GeometryCollection
/// gives its areas, or else its one point ([`Expect::Any`]).
pub fn parse_feature_collection(text: &str) -> Result<Vec<Feature>, GeoJsonError> {
    parse_features(text, Expect::Any)
}

/// Parses a FeatureCollection for a layer that draws `expect`: a
/// GeometryCollection gives its members of that kind.
pub fn parse_features(text: &str, expect: Expect) -> Result<Vec<Feature>, GeoJsonError> {
    // RFC 7946 §8.1: a reader may ignore a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // First a cheap structural check so that "valid JSON, wrong type" gets a
    // clear message rather than a serde field error.
    let raw: RawCollection = serde_json::from_str(text).map_err(|e| diagnose(text, e))?;
    match raw.ty.as_deref() {
        Some("FeatureCollection") => {}
        Some(other) => {
            return Err(GeoJsonError::NotFeatureCollection {
                found: format!("type \"{other}\""),
            })
        }
        None => {
            return Err(GeoJsonError::NotFeatureCollection {
                found: "an object without \"type\"".into(),
            })
        }
    }
    let raw_features = raw.features.ok_or(GeoJsonError::NotFeatureCollection {
        found: "a FeatureCollection without \"features\"".into(),
    })?;
    raw_features
        .into_iter()
        .enumerate()
        .map(|(index, f)| convert_feature(index, f, expect))
        .collect()
}

/// The fast typed parse failed: find out where, so the message names the
/// top-level problem or the feature (index and id) rather than only a
/// line/column. Runs only on the error path.
fn diagnose(text: &str, err: serde_json::Error) -> GeoJsonError {
    #[derive(Deserialize)]
    struct Loose<'a> {
        #[serde(borrow)]
        features: Vec<&'a RawValue>,
    }
    let top: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return GeoJsonError::Json(e.to_string()),
    };
    let found = match &top {
        Value::Object(o) => match o.get("type") {
            Some(Value::String(t)) if t == "FeatureCollection" => None,
            Some(Value::String(t)) => Some(format!("type \"{t}\"")),
            _ => Some("an object without a string \"type\"".to_string()),
        },
        Value::Array(_) => Some("a JSON array".to_string()),
        Value::String(_) => Some("a JSON string".to_string()),
        Value::Number(_) => Some("a JSON number".to_string()),
        Value::Bool(_) => Some("a JSON boolean".to_string()),
        Value::Null => Some("null".to_string()),
    };
    if let Some(found) = found {
        return GeoJsonError::NotFeatureCollection { found };
    }
    let loose: Loose = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            return GeoJsonError::NotFeatureCollection {
                found: format!("a FeatureCollection whose \"features\" is not an array ({e})"),
            }
        }
    };
    for (index, f) in loose.features.iter().enumerate() {
        if let Err(e) = serde_json::from_str::<RawFeature>(f.get()) {
            let id = top
                .get("features")
                .and_then(|fs| fs.get(index))
                .and_then(|f| {
                    f.get("id")
                        .or_else(|| f.get("properties").and_then(|p| p.get("id")))
                })
                .and_then(|id| match id {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
            return GeoJsonError::Feature {
                index,
                id,
                problem: e.to_string(),
            };
        }
    }
    GeoJsonError::Json(err.to_string())
}

fn convert_feature(index: usize, raw: RawFeature, expect: Expect) -> Result<Feature, GeoJsonError> {
    let properties = raw.properties.unwrap_or_default();
    let id = match raw.id.as_ref().or_else(|| properties.get("id")) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let fail = |problem: String| GeoJsonError::Feature {
        index,
        id: id.clone(),
        problem,
    };
    if raw.ty.as_deref() != Some("Feature") {
        return Err(fail(format!(
            "expected \"type\": \"Feature\", found {}",
            raw.ty
                .map(|t| format!("\"{t}\""))
                .unwrap_or_else(|| "no type".into())
        )));
    }
    let geometry = match raw.geometry {
        None => {
            return Err(fail(
                "has no \"geometry\" member (a feature without one says \"geometry\": null)".into(),
            ))
        }
        Some(None) => Geom::Null,
        Some(Some(g)) => convert_geometry(g, expect).map_err(fail)?,
    };
    Ok(Feature {
        id,
        geometry,
        properties,
    })
}

/// One geometry object; `Err` is the problem, without the feature's name.
fn convert_geometry(g: RawGeometry, expect: Expect) -> Result<Geom, String> {
    let ty = g.ty.ok_or_else(|| "geometry has no \"type\"".to_string())?;
    if ty == "GeometryCollection" {
        let members = g
            .geometries
            .ok_or_else(|| "GeometryCollection has no \"geometries\"".to_string())?;
        return collection(members, expect);
    }
    let coords = g
        .coordinates
        .ok_or_else(|| format!("{ty} geometry has no \"coordinates\""))?;
    let parse_err = |e: serde_json::Error| format!("{ty} coordinates: {e}");
    Ok(match ty.as_str() {
        "Point" => {
            let p: Pos = serde_json::from_str(coords.get()).map_err(parse_err)?;
            check_pos(p).map_err(|m| format!("Point {m}"))?;
            Geom::Point(Point::new(p.0, p.1))
        }
        "Polygon" => {
            let rings: Vec<Vec<Pos>> = serde_json::from_str(coords.get()).map_err(parse_err)?;
            let poly = to_polygon(rings).map_err(|m| format!("Polygon {m}"))?;
            Geom::Area(MultiPolygon(vec![poly]))
        }
        "MultiPolygon" => {
            let polys: Vec<Vec<Vec<Pos>>> = serde_json::from_str(coords.get()).map_err(parse_err)?;
            if polys.is_empty() {
                return Err("MultiPolygon has no polygons".into());
            }
            let mut out = Vec::with_capacity(polys.len());
            for (pi, rings) in polys.into_iter().enumerate() {
                out.push(to_polygon(rings).map_err(|m| format!("MultiPolygon part {pi}: {m}"))?);
            }
            Geom::Area(MultiPolygon(out))
        }
        other => return Err(format!("geometry type \"{other}\" is not supported by map layers (Point, Polygon, MultiPolygon)")),
    })
}

/// Nested collections are flattened (RFC 7946 §3.1.8 discourages them).
fn flatten(members: Vec<RawGeometry>, out: &mut Vec<RawGeometry>) {
    for m in members {
        match (m.ty.as_deref(), m.geometries) {
            (Some("GeometryCollection"), Some(inner)) => flatten(inner, out),
            (_, geometries) => out.push(RawGeometry { geometries, ..m }),
        }
    }
}

/// A GeometryCollection's members of the layer's kind.
fn collection(members: Vec<RawGeometry>, expect: Expect) -> Result<Geom, String> {
    let mut flat = Vec::with_capacity(members.len());
    flatten(members, &mut flat);
    if flat.is_empty() {
        return Ok(Geom::Null);
    }
    let is_area = |m: &RawGeometry| matches!(m.ty.as_deref(), Some("Polygon" | "MultiPolygon"));
    let is_point = |m: &RawGeometry| m.ty.as_deref() == Some("Point");
    let areas = match expect {
        Expect::Areas => true,
        Expect::Points => false,
        Expect::Any => flat.iter().any(is_area),
    };
    if areas {
        let mut parts = Vec::new();
        for (k, m) in flat.into_iter().enumerate().filter(|(_, m)| is_area(m)) {
            match convert_geometry(m, expect)
                .map_err(|e| format!("GeometryCollection member {k}: {e}"))?
            {
                Geom::Area(mp) => parts.extend(mp.0),
                Geom::Point(_) | Geom::Null => {}
            }
        }
        if parts.is_empty() {
            return Err("GeometryCollection is not drawn in a polygon layer: it has no Polygon or MultiPolygon member".into());
        }
        return Ok(Geom::Area(MultiPolygon(parts)));
    }
    let points: Vec<(usize, RawGeometry)> = flat
        .into_iter()
        .enumerate()
        .filter(|(_, m)| is_point(m))
        .collect();
    match points.len() {
        1 => {
            let (k, m) = points.into_iter().next().ok_or("GeometryCollection lost its Point")?;
            convert_geometry(m, expect).map_err(|e| format!("GeometryCollection member {k}: {e}"))
        }
        0 => Err("GeometryCollection is not drawn in a point layer: it has no Point member".into()),
        n => Err(format!("GeometryCollection is not drawn in a point layer: it has {n} Point members (a feature is one point)")),
    }
}

fn check_pos(p: Pos) -> Result<(), String> {
    if !p.0.is_finite() || !p.1.is_finite() {
        return Err(format!("position [{}, {}] is not finite", p.0, p.1));
    }
    if !(-180.0..=180.0).contains(&p.0) || !(-90.0..=90.0).contains(&p.1) {
        return Err(format!(
            "position [{}, {}] is outside longitude/latitude range (RFC 7946 requires WGS84 degrees)",
            p.0, p.1
        ));
    }
    Ok(())
}

fn to_polygon(rings: Vec<Vec<Pos>>) -> Result<Polygon<f64>, String> {
    if rings.is_empty() {
        return Err("has no rings".into());
    }
    let mut lines = Vec::with_capacity(rings.len());
    for (ri, ring) in rings.into_iter().enumerate() {
        if ring.len() < 4 {
            return Err(format!(
                "ring {ri} has {} positions; a linear ring needs at least 4",
                ring.len()
            ));
        }
        for p in &ring {
            check_pos(*p).map_err(|m| format!("ring {ri}: {m}"))?;
        }
        let (first, last) = (ring[0], ring[ring.len() - 1]);
        if first.0 != last.0 || first.1 != last.1 {
            return Err(format!(
                "ring {ri} is not closed: first position [{}, {}] differs from last [{}, {}]",
                first.0, first.1, last.0, last.1
            ));
        }
        lines.push(LineString(
            ring.into_iter().map(|p| Coord { x: p.0, y: p.1 }).collect(),
        ));
    }
    let exterior = lines.remove(0);
    let poly = Polygon::new(exterior, lines);
    rings::check_simple(&poly)?;
    Ok(poly)
}

// --- writing -------------------------------------------------------------------

/// Rounds a coordinate to 6 decimals (~0.1 m), the precision of our files.
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn ring_positions(ls: &LineString<f64>) -> Vec<geojson::Position> {
    ls.0.iter()
        .map(|c| geojson::Position::from([round6(c.x), round6(c.y)]))
        .collect()
}

fn polygon_positions(p: &Polygon<f64>) -> Vec<Vec<geojson::Position>> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(ring_positions)
        .collect()
}

/// Converts one of our features to the `geojson` crate's type
/// ([`Geom::Null`] is written as `"geometry": null`).
pub fn to_geojson_feature(f: &Feature) -> geojson::Feature {
    let value = match &f.geometry {
        Geom::Point(p) => Some(geojson::GeometryValue::new_point([
            round6(p.x()),
            round6(p.y()),
        ])),
        Geom::Area(mp) if mp.0.len() == 1 => Some(geojson::GeometryValue::Polygon {
            coordinates: polygon_positions(&mp.0[0]),
        }),
        Geom::Area(mp) => Some(geojson::GeometryValue::MultiPolygon {
            coordinates: mp.0.iter().map(polygon_positions).collect(),
        }),
        Geom::Null => None,
    };
    geojson::Feature {
        bbox: None,
        geometry: value.map(geojson::Geometry::new),
        id: f.id.clone().map(geojson::feature::Id::String),
        properties: Some(f.properties.clone()),
        foreign_members: None,
    }
}

/// Serializes features as an RFC 7946 FeatureCollection with 6-decimal
/// coordinates.
pub fn write_feature_collection(features: &[Feature]) -> String {
    let fc = geojson::FeatureCollection::new(features.iter().map(to_geojson_feature));
    // Serializing plain data (strings, finite numbers, maps) cannot fail.
    serde_json::to_string(&fc).unwrap_or_default()
}
