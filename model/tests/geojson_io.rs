//! The GeoJSON reader and writer: parsing, clear rejections, round trips
//! (moved here from the module's unit tests).

use geo::{LineString, MultiPolygon, Point, Polygon};
use pingan_model::geojson_io::{parse_feature_collection, write_feature_collection, Feature, Geom};
use serde_json::{Map, Value};

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
        r#"{SQUARE},{{"type":"Feature","properties":{{}}}}"#
    )));
    assert_eq!(
        second,
        "feature 1: has no \"geometry\" member (a feature without one says \"geometry\": null)"
    );
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
