//! The label point is geo's `InteriorPoint` (without its `Relate`): the same
//! point for every polygon of the data, in lon/lat and in the world units
//! the app uses, and for the shapes that take the other branches. It reads
//! the generated `data/` (like the server's tests): `scripts/test.sh`
//! generates it first.

use geo::{polygon, InteriorPoint, MapCoords, Polygon};
use pingan_model::geojson_io::{parse_feature_collection, Geom};
use pingan_model::label_point::interior_point;
use pingan_model::projection::to_world;
use std::path::PathBuf;

fn polygons(file: &str) -> Vec<Polygon<f64>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(file);
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (generate data/ first)", p.display()));
    parse_feature_collection(&text)
        .unwrap()
        .into_iter()
        .flat_map(|f| match f.geometry {
            Geom::Area(mp) => mp.0,
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn the_same_point_as_geo_for_every_polygon_of_the_data() {
    let files = [
        "grids.geojson",
        "communities.geojson",
        "subdistricts.geojson",
        "district.geojson",
        "parks.geojson",
        "greenspace.geojson",
        "monitored_areas.geojson",
        "boundaries/district.geojson",
    ];
    let mut n = 0;
    for file in files {
        for p in polygons(file) {
            assert_eq!(interior_point(&p), p.interior_point(), "{file}, lon/lat");
            let w = p.map_coords(|c| {
                let w = to_world(c.x, c.y);
                geo::Coord { x: w.x, y: w.y }
            });
            assert_eq!(interior_point(&w), w.interior_point(), "{file}, world");
            n += 1;
        }
    }
    assert!(n > 4_000, "only {n} polygons read");
}

#[test]
fn the_same_point_as_geo_for_holes_notches_vertices_on_the_scan_line_and_degenerates() {
    let shapes: Vec<Polygon<f64>> = vec![
        // A U: the scan line crosses two arms; the wider arm wins.
        polygon![(x: 0., y: 0.), (x: 5., y: 0.), (x: 5., y: 4.), (x: 4., y: 4.), (x: 4., y: 1.),
                 (x: 1., y: 1.), (x: 1., y: 4.), (x: 0., y: 4.)],
        // A square with a hole in the middle: the point is beside the hole.
        polygon!(exterior: [(x: 0., y: 0.), (x: 6., y: 0.), (x: 6., y: 6.), (x: 0., y: 6.)],
                 interiors: [[(x: 1., y: 2.), (x: 5., y: 2.), (x: 5., y: 4.), (x: 1., y: 4.)]]),
        // A diamond: vertices on the middle line, so the scan moves.
        polygon![(x: 0., y: 2.), (x: 2., y: 0.), (x: 4., y: 2.), (x: 2., y: 4.)],
        // Zero area: a point on its edge.
        polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 4., y: 0.)],
        // One point; and nothing.
        Polygon::new(geo::LineString::from(vec![(3., 3.)]), vec![]),
        Polygon::new(geo::LineString::new(vec![]), vec![]),
    ];
    for (i, p) in shapes.iter().enumerate() {
        assert_eq!(interior_point(p), p.interior_point(), "shape {i}");
    }
    // And the hole is avoided, not just matched.
    let holed = interior_point(&shapes[1]).unwrap();
    assert!(!(1.0..=5.0).contains(&holed.x()) || !(2.0..=4.0).contains(&holed.y()));
}
