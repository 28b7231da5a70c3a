//! GeoJSON reading (validating, typed) and writing (RFC 7946, 6 decimals).
//!
//! Reading does not go through `geojson::GeoJson`: its internally tagged enums
//! make serde buffer every geometry, which costs the browser a third of its
//! parse time on the hazard layer. Instead a thin serde layer reads the
//! structure, keeps `coordinates` as raw JSON until the geometry `type` is
//! known, and validates as it converts to `geo` types. Every rejection names
//! the feature (index and id) and what is wrong with it.
//!
//! Writing goes through the `geojson` crate's types so output is the
//! reference serialization.

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt;

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
    #[error("the FeatureCollection has no features")]
    Empty,
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
    #[serde(default)]
    geometry: Option<RawGeometry>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    #[serde(default)]
    id: Option<Value>,
}

#[derive(Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    ty: Option<String>,
    coordinates: Option<Box<RawValue>>,
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

/// Parses a FeatureCollection, validating every geometry.
pub fn parse_feature_collection(text: &str) -> Result<Vec<Feature>, GeoJsonError> {
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
    if raw_features.is_empty() {
        return Err(GeoJsonError::Empty);
    }
    raw_features
        .into_iter()
        .enumerate()
        .map(|(index, f)| convert_feature(index, f))
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

fn convert_feature(index: usize, raw: RawFeature) -> Result<Feature, GeoJsonError> {
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
    let g = raw.geometry.ok_or_else(|| fail("has no geometry".into()))?;
    let ty =
        g.ty.ok_or_else(|| fail("geometry has no \"type\"".into()))?;
    let coords = g
        .coordinates
        .ok_or_else(|| fail(format!("{ty} geometry has no \"coordinates\"")))?;
    let parse_err = |e: serde_json::Error| fail(format!("{ty} coordinates: {e}"));
    let geometry = match ty.as_str() {
        "Point" => {
            let p: Pos = serde_json::from_str(coords.get()).map_err(parse_err)?;
            check_pos(p).map_err(|m| fail(format!("Point {m}")))?;
            Geom::Point(Point::new(p.0, p.1))
        }
        "Polygon" => {
            let rings: Vec<Vec<Pos>> = serde_json::from_str(coords.get()).map_err(parse_err)?;
            let poly = to_polygon(rings).map_err(|m| fail(format!("Polygon {m}")))?;
            Geom::Area(MultiPolygon(vec![poly]))
        }
        "MultiPolygon" => {
            let polys: Vec<Vec<Vec<Pos>>> = serde_json::from_str(coords.get()).map_err(parse_err)?;
            if polys.is_empty() {
                return Err(fail("MultiPolygon has no polygons".into()));
            }
            let mut out = Vec::with_capacity(polys.len());
            for (pi, rings) in polys.into_iter().enumerate() {
                out.push(to_polygon(rings).map_err(|m| fail(format!("MultiPolygon part {pi}: {m}")))?);
            }
            Geom::Area(MultiPolygon(out))
        }
        other => return Err(fail(format!("geometry type \"{other}\" is not supported by map layers (Point, Polygon, MultiPolygon)"))),
    };
    Ok(Feature {
        id,
        geometry,
        properties,
    })
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
    Ok(Polygon::new(exterior, lines))
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

/// Converts one of our features to the `geojson` crate's type.
pub fn to_geojson_feature(f: &Feature) -> geojson::Feature {
    let value = match &f.geometry {
        Geom::Point(p) => geojson::GeometryValue::new_point([round6(p.x()), round6(p.y())]),
        Geom::Area(mp) if mp.0.len() == 1 => geojson::GeometryValue::Polygon {
            coordinates: polygon_positions(&mp.0[0]),
        },
        Geom::Area(mp) => geojson::GeometryValue::MultiPolygon {
            coordinates: mp.0.iter().map(polygon_positions).collect(),
        },
    };
    geojson::Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::new(value)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
    }
    const SQUARE: &str = r#"{"type":"Feature","id":"a","properties":{"name":"方块"},"geometry":{"type":"Polygon","coordinates":[[[113.8,22.6],[113.9,22.6],[113.9,22.7],[113.8,22.7],[113.8,22.6]]]}}"#;

    #[test]
    fn parses_points_and_polygons() {
        let text = fc(&format!(
            r#"{SQUARE},{{"type":"Feature","properties":{{"id":7}},"geometry":{{"coordinates":[113.85,22.65,4.0],"type":"Point"}}}}"#
        ));
        let f = parse_feature_collection(&text).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].id.as_deref(), Some("a"));
        assert_eq!(f[0].str_prop("name"), Some("方块"));
        match &f[0].geometry {
            Geom::Area(mp) => assert_eq!(mp.0[0].exterior().0.len(), 5),
            g => panic!("{g:?}"),
        }
        assert_eq!(f[1].id.as_deref(), Some("7"));
        assert_eq!(f[1].geometry, Geom::Point(Point::new(113.85, 22.65)));
    }

    fn err(text: &str) -> String {
        parse_feature_collection(text).unwrap_err().to_string()
    }

    #[test]
    fn rejects_bad_inputs_with_clear_messages() {
        assert!(err("this is not json").starts_with("not valid JSON"));
        assert!(err("{\"type\":\"FeatureCollection\",\"features\":[").contains("EOF"));
        assert_eq!(
            err(r#"{"type":"Point","coordinates":[1,2]}"#),
            "expected a GeoJSON FeatureCollection, found type \"Point\""
        );
        assert_eq!(err(&fc("")), "the FeatureCollection has no features");
        let missing = err(&fc(
            r#"{"type":"Feature","id":"h1","properties":{},"geometry":{"type":"Point"}}"#,
        ));
        assert_eq!(
            missing,
            "feature 0 (id h1): Point geometry has no \"coordinates\""
        );
        let unclosed = err(&fc(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}"#,
        ));
        assert!(unclosed.contains("ring 0 is not closed"), "{unclosed}");
        let nan = err(&fc(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN,1]}}"#,
        ));
        assert!(nan.starts_with("not valid JSON"), "{nan}");
        let range = err(&fc(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[12673729,2590000]}}"#,
        ));
        assert!(
            range.contains("outside longitude/latitude range"),
            "{range}"
        );
        let short = err(&fc(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1]}}"#,
        ));
        assert!(short.contains("needs 2 numbers"), "{short}");
        let line = err(&fc(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1,1],[2,2]]}}"#,
        ));
        assert!(line.contains("\"LineString\" is not supported"), "{line}");
        // Valid JSON of the wrong shape: the message names the feature or the top level.
        let props = err(&fc(
            r#"{"type":"Feature","id":"x9","properties":[],"geometry":{"type":"Point","coordinates":[1,2]}}"#,
        ));
        assert!(
            props.starts_with("feature 0 (id x9): invalid type: sequence, expected a map"),
            "{props}"
        );
        let geom = err(&fc(&format!(
            r#"{SQUARE},{{"type":"Feature","properties":{{}},"geometry":"x"}}"#
        )));
        assert!(
            geom.starts_with("feature 1: invalid type: string"),
            "{geom}"
        );
        assert_eq!(
            err("[1,2,3]"),
            "expected a GeoJSON FeatureCollection, found a JSON array"
        );
        assert!(err(r#"{"type":"FeatureCollection","features":{}}"#)
            .contains("\"features\" is not an array"));
        let second = err(&fc(&format!(
            r#"{SQUARE},{{"type":"Feature","properties":{{}},"geometry":null}}"#
        )));
        assert_eq!(second, "feature 1: has no geometry");
    }

    #[test]
    fn write_then_read_round_trips_at_six_decimals() {
        let mut props = Map::new();
        props.insert("name".into(), Value::String("测试".into()));
        let features = vec![
            Feature {
                id: Some("p1".into()),
                geometry: Geom::Point(Point::new(113.123_456_789, 22.5)),
                properties: props.clone(),
            },
            Feature {
                id: Some("a1".into()),
                geometry: Geom::Area(MultiPolygon(vec![Polygon::new(
                    LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]),
                    vec![],
                )])),
                properties: props,
            },
        ];
        let text = write_feature_collection(&features);
        assert!(text.contains("113.123457"), "{text}");
        // The geojson crate itself accepts what we write.
        let gj: geojson::GeoJson = text.parse().unwrap();
        assert!(matches!(gj, geojson::GeoJson::FeatureCollection(ref c) if c.features.len() == 2));
        let back = parse_feature_collection(&text).unwrap();
        assert_eq!(back[0].geometry, Geom::Point(Point::new(113.123457, 22.5)));
        assert_eq!(back[1].geometry, features[1].geometry);
        assert_eq!(back[1].id.as_deref(), Some("a1"));
    }
}
