//! The GeoJSON reader accepts what RFC 7946 allows and refuses invalid
//! polygons, naming the feature and the place.

use pingan_model::geojson_io::{
    parse_feature_collection, parse_features, to_geojson_feature, without_geometry,
    write_feature_collection, Expect, Geom,
};

fn fc(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[113.8,22.6],[113.9,22.6],[113.9,22.7],[113.8,22.7],[113.8,22.6]]]}"#;
const POINT: &str = r#"{"type":"Point","coordinates":[113.85,22.65]}"#;

fn feature(id: &str, geometry: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","properties":{{"name":"n{id}"}},"geometry":{geometry}}}"#
    )
}

#[test]
fn null_geometry_is_kept_for_its_properties_and_counted() {
    let text = fc(&format!(
        "{},{}",
        feature("a", SQUARE),
        feature("b", "null")
    ));
    let f = parse_feature_collection(&text).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].geometry, Geom::Null);
    assert_eq!(f[1].str_prop("name"), Some("nb"));
    assert_eq!(without_geometry(&f), 1);
    // Written back as "geometry": null and read again.
    assert!(to_geojson_feature(&f[1]).geometry.is_none());
    let back = parse_feature_collection(&write_feature_collection(&f)).unwrap();
    assert_eq!(back, f);
}

#[test]
fn empty_collection_is_a_layer_of_no_features() {
    assert_eq!(parse_feature_collection(&fc("")).unwrap().len(), 0);
}

#[test]
fn byte_order_mark_is_skipped() {
    let text = format!("\u{feff}{}", fc(&feature("a", POINT)));
    let f = parse_feature_collection(&text).unwrap();
    assert_eq!(f.len(), 1);
    assert!(matches!(f[0].geometry, Geom::Point(_)));
}

#[test]
fn geometry_collection_gives_its_members_of_the_layers_kind() {
    let other = r#"{"type":"Polygon","coordinates":[[[114.0,22.6],[114.1,22.6],[114.1,22.7],[114.0,22.6]]]}"#;
    let line = r#"{"type":"LineString","coordinates":[[1,1],[2,2]]}"#;
    let gc = format!(
        r#"{{"type":"GeometryCollection","geometries":[{SQUARE},{POINT},{line},{{"type":"GeometryCollection","geometries":[{other}]}}]}}"#
    );
    let text = fc(&feature("g", &gc));
    for expect in [Expect::Areas, Expect::Any] {
        let f = parse_features(&text, expect).unwrap();
        match &f[0].geometry {
            Geom::Area(mp) => assert_eq!(mp.0.len(), 2, "{expect:?}"),
            g => panic!("{expect:?}: {g:?}"),
        }
    }
    let f = parse_features(&text, Expect::Points).unwrap();
    assert_eq!(f[0].geometry, Geom::Point(geo::Point::new(113.85, 22.65)));
    // An empty collection is no geometry.
    let empty = fc(&feature(
        "e",
        r#"{"type":"GeometryCollection","geometries":[]}"#,
    ));
    assert_eq!(
        parse_feature_collection(&empty).unwrap()[0].geometry,
        Geom::Null
    );
}

#[test]
fn geometry_collection_without_the_layers_kind_is_refused_clearly() {
    let areas_only = fc(&feature(
        "h7",
        &format!(r#"{{"type":"GeometryCollection","geometries":[{SQUARE}]}}"#),
    ));
    let e = parse_features(&areas_only, Expect::Points)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "feature 0 (id h7): GeometryCollection is not drawn in a point layer: it has no Point member"
    );
    assert!(!e.contains("coordinates"), "{e}");
    let two = fc(&feature(
        "h8",
        &format!(r#"{{"type":"GeometryCollection","geometries":[{POINT},{POINT}]}}"#),
    ));
    let e = parse_features(&two, Expect::Points)
        .unwrap_err()
        .to_string();
    assert!(e.contains("it has 2 Point members"), "{e}");
    let points_only = fc(&feature(
        "g1",
        &format!(r#"{{"type":"GeometryCollection","geometries":[{POINT}]}}"#),
    ));
    let e = parse_features(&points_only, Expect::Areas)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("feature 0 (id g1): GeometryCollection is not drawn in a polygon layer"),
        "{e}"
    );
    let bad_member = fc(&feature(
        "g2",
        r#"{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}]}"#,
    ));
    let e = parse_feature_collection(&bad_member)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "feature 0 (id g2): GeometryCollection member 0: Polygon ring 0 is not closed"
        ),
        "{e}"
    );
    let no_members = fc(&feature("g3", r#"{"type":"GeometryCollection"}"#));
    let e = parse_feature_collection(&no_members)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "feature 0 (id g3): GeometryCollection has no \"geometries\""
    );
}

#[test]
fn bow_tie_polygon_is_refused_with_the_feature_and_the_crossing_named() {
    let bow = r#"{"type":"Polygon","coordinates":[[[113.8,22.6],[113.9,22.7],[113.9,22.6],[113.8,22.7],[113.8,22.6]]]}"#;
    let text = fc(&format!(
        "{},{}",
        feature("ok", SQUARE),
        feature("bow", bow)
    ));
    let e = parse_feature_collection(&text).unwrap_err().to_string();
    assert_eq!(
        e,
        "feature 1 (id bow): Polygon ring 0 crosses or touches itself at [113.85, 22.65]"
    );
    let multi = r#"{"type":"MultiPolygon","coordinates":[[[[113.8,22.6],[113.9,22.6],[113.9,22.7],[113.8,22.6]]],[[[113.8,22.6],[113.9,22.7],[113.9,22.6],[113.8,22.7],[113.8,22.6]]]]}"#;
    let e = parse_feature_collection(&fc(&feature("m", multi)))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "feature 0 (id m): MultiPolygon part 1: ring 0 crosses or touches itself at [113.85, 22.65]"
    );
}
