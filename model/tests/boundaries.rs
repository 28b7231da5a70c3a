//! Tests on the real boundary files in data/boundaries/ (tracked in git).

use geo::{BoundingRect, Coord, MultiPolygon};
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_model::projection::{gcj02_to_wgs84, haversine_m};
use pingan_model::viewport::DISTRICT_LONLAT_BBOX;
use std::path::PathBuf;

fn read(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data/boundaries")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn areas(name: &str) -> Vec<MultiPolygon<f64>> {
    parse_feature_collection(&read(name))
        .unwrap()
        .into_iter()
        .map(|f| match f.geometry {
            Geom::Area(mp) => mp,
            g => panic!("{name} holds {g:?}"),
        })
        .collect()
}

fn coords(mp: &MultiPolygon<f64>) -> Vec<Coord<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().copied())
        .collect()
}

#[test]
fn gcj02_fixture_converts_to_wgs84_within_two_metres() {
    let gcj = areas("district_gcj02.geojson");
    let wgs = areas("district.geojson");
    assert_eq!(gcj.len(), wgs.len());
    let (mut n, mut worst) = (0, 0.0f64);
    for (g, w) in gcj.iter().zip(&wgs) {
        let (gc, wc) = (coords(g), coords(w));
        assert_eq!(gc.len(), wc.len());
        for (a, b) in gc.iter().zip(&wc) {
            let (lon, lat) = gcj02_to_wgs84(a.x, a.y);
            let d = haversine_m(lon, lat, b.x, b.y);
            worst = worst.max(d);
            n += 1;
        }
    }
    assert!(n > 100, "only {n} vertices");
    assert!(worst < 2.0, "worst vertex off by {worst:.2} m");
    // And the datum shift is real: unconverted vertices are ~500 m off.
    let raw = haversine_m(
        coords(&gcj[0])[0].x,
        coords(&gcj[0])[0].y,
        coords(&wgs[0])[0].x,
        coords(&wgs[0])[0].y,
    );
    assert!(raw > 300.0, "{raw}");
}

#[test]
fn district_bbox_constant_covers_the_boundaries() {
    let (min, max) = DISTRICT_LONLAT_BBOX;
    for name in ["district.geojson", "streets.geojson"] {
        for mp in areas(name) {
            let r = mp.bounding_rect().unwrap();
            assert!(r.min().x >= min[0] && r.min().y >= min[1], "{name} {r:?}");
            assert!(r.max().x <= max[0] && r.max().y <= max[1], "{name} {r:?}");
        }
    }
    // …and is tight (within ~1 km).
    let all: Vec<_> = areas("streets.geojson")
        .iter()
        .filter_map(|m| m.bounding_rect())
        .collect();
    let minx = all.iter().map(|r| r.min().x).fold(f64::MAX, f64::min);
    assert!(minx - min[0] < 0.01);
}

#[test]
fn ten_subdistricts_with_names() {
    let fc = parse_feature_collection(&read("streets.geojson")).unwrap();
    assert_eq!(fc.len(), 10);
    let names: Vec<_> = fc.iter().filter_map(|f| f.str_prop("name")).collect();
    for n in [
        "新安街道",
        "西乡街道",
        "航城街道",
        "福永街道",
        "福海街道",
        "沙井街道",
        "新桥街道",
        "松岗街道",
        "燕罗街道",
        "石岩街道",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
}
