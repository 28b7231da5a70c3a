//! Projections: WGS84 ⇄ Web Mercator world coordinates, and the GCJ-02 datum.
//!
//! World coordinates are Web Mercator normalised to the unit square: x grows
//! east from 0 at 180°W to 1 at 180°E, y grows south from 0 at ~85.05°N to 1.
//! At zoom `z` one world unit is `256 · 2^z` CSS pixels (the slippy-map
//! convention), so screen maths stays in plain f64 without huge metre values.

use std::f64::consts::PI;

/// Latitude limit of Web Mercator.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;
/// WGS84 equatorial radius in metres.
pub const EARTH_RADIUS: f64 = 6_378_137.0;

/// A point in world coordinates (see module docs).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct World {
    pub x: f64,
    pub y: f64,
}

/// WGS84 longitude/latitude in degrees to world coordinates.
pub fn to_world(lon: f64, lat: f64) -> World {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT);
    let x = (lon + 180.0) / 360.0;
    let s = (lat * PI / 180.0).sin();
    let y = 0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * PI);
    World { x, y }
}

/// World coordinates back to WGS84 longitude/latitude in degrees.
pub fn to_lonlat(w: World) -> (f64, f64) {
    let lon = w.x * 360.0 - 180.0;
    let n = PI - 2.0 * PI * w.y;
    let lat = (n.sinh()).atan() * 180.0 / PI;
    (lon, lat)
}

/// Ground metres per world unit at a latitude (Mercator scale factor).
pub fn metres_per_world_unit(lat: f64) -> f64 {
    2.0 * PI * EARTH_RADIUS * (lat * PI / 180.0).cos()
}

/// CSS pixels per world unit at zoom `z`.
pub fn pixels_per_world_unit(zoom: f64) -> f64 {
    256.0 * 2f64.powf(zoom)
}

/// Great-circle (haversine) distance in metres.
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

// --- GCJ-02 ------------------------------------------------------------------
// The published obfuscation formula (Krasovsky 1940 ellipsoid) is the
// `coordtransform` crate's; outside China GCJ-02 equals WGS84. Its inverse
// is a one-step approximation (a metre or two off in Bao'an, measured by the
// test below), so the inverse here iterates the crate's forward formula.

/// WGS84 → GCJ-02 (the forward formula; exact by definition).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    coordtransform::wgs84_to_gcj02(lon, lat)
}

/// GCJ-02 → WGS84 by fixed-point iteration of the forward formula; converges
/// to well under a centimetre in a few steps.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if wgs84_to_gcj02(lon, lat) == (lon, lat) {
        return (lon, lat); // outside China
    }
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (dlon, dlat) = (glon - lon, glat - lat);
        wlon -= dlon;
        wlat -= dlat;
        if dlon.abs() < 1e-10 && dlat.abs() < 1e-10 {
            break;
        }
    }
    (wlon, wlat)
}

/// WGS84 → BD-09 (Baidu's offset on top of GCJ-02).
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (g, h) = wgs84_to_gcj02(lon, lat);
    coordtransform::gcj02_to_bd09(g, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_web_mercator_values() {
        let o = to_world(0.0, 0.0);
        assert!((o.x - 0.5).abs() < 1e-12 && (o.y - 0.5).abs() < 1e-12);
        let nw = to_world(-180.0, MAX_LAT);
        assert!(nw.x.abs() < 1e-12 && nw.y.abs() < 1e-9);
        // Tile (z=10) containing Bao'an centre 113.85E 22.65N is x=835, y=445.
        let w = to_world(113.85, 22.65);
        assert_eq!(
            ((w.x * 1024.0).floor(), (w.y * 1024.0).floor()),
            (835.0, 445.0)
        );
        // EPSG:3857 metres: x = R·λ, for 113.85° → 12673724.0 m.
        let metres_x = (w.x - 0.5) * 2.0 * PI * EARTH_RADIUS;
        assert!((metres_x - 12_673_724.0).abs() < 1.0, "{metres_x}");
    }

    #[test]
    fn round_trip() {
        for &(lon, lat) in &[
            (113.85, 22.65),
            (-73.98, 40.75),
            (0.0, -60.0),
            (179.9, 84.0),
        ] {
            let (l2, p2) = to_lonlat(to_world(lon, lat));
            assert!(
                (l2 - lon).abs() < 1e-9 && (p2 - lat).abs() < 1e-9,
                "{lon},{lat}"
            );
        }
    }

    #[test]
    fn gcj_offset_is_hundreds_of_metres_in_shenzhen_and_inverts() {
        let (lon, lat) = (113.88, 22.58);
        let (glon, glat) = wgs84_to_gcj02(lon, lat);
        let d = haversine_m(lon, lat, glon, glat);
        assert!((400.0..700.0).contains(&d), "offset {d} m");
        let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
        assert!(haversine_m(lon, lat, wlon, wlat) < 0.01);
        // Outside China nothing changes.
        assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
        assert_eq!(gcj02_to_wgs84(2.35, 48.85), (2.35, 48.85));
        // Why the inverse iterates: the crate's one-step inverse is off by
        // more than a metre here, ours by under a centimetre.
        let (alon, alat) = coordtransform::gcj02_to_wgs84(glon, glat);
        let approx = haversine_m(lon, lat, alon, alat);
        assert!(approx > 0.5, "the crate's inverse is off by {approx} m");
    }

    #[test]
    fn published_gcj02_and_bd09_values() {
        // The values published with the widely used coordtransform library
        // (wgs84togcj02 / gcj02tobd09 of 116.404, 39.915).
        let (lon, lat) = wgs84_to_gcj02(116.404, 39.915);
        assert!(
            (lon - 116.41024449916938).abs() < 1e-9 && (lat - 39.91640428150164).abs() < 1e-9,
            "{lon},{lat}"
        );
        let (lon, lat) = coordtransform::gcj02_to_bd09(116.404, 39.915);
        assert!(
            (lon - 116.41036949371029).abs() < 1e-9 && (lat - 39.92133699351021).abs() < 1e-9,
            "{lon},{lat}"
        );
        // WGS84 → BD-09 is the two in turn.
        let (g, h) = wgs84_to_gcj02(113.85, 22.65);
        assert_eq!(
            wgs84_to_bd09(113.85, 22.65),
            coordtransform::gcj02_to_bd09(g, h)
        );
    }

    #[test]
    fn haversine_known_distance() {
        // One degree on the WGS84-radius sphere = 2πR/360 ≈ 111 319.5 m.
        let d = haversine_m(113.0, 22.0, 113.0, 23.0);
        assert!((d - 111_319.5).abs() < 1.0, "{d}");
    }
}
