//! Where a thing is from where one stands, in words and as a hand-off to a
//! phone's map app (issue 10's field mode): the direction and distance as
//! an officer reads them ("东北 120 米", "NE 120 m"), and the links that
//! open a navigation app at a point — `geo:` (RFC 5870, Android's `q`
//! label) in WGS84, Amap's URI API in GCJ-02 and Baidu's in BD-09, the
//! coordinates those apps expect (`projection`).

use crate::domain::Lang;
use crate::projection::{haversine_m, wgs84_to_bd09, wgs84_to_gcj02};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// The initial great-circle bearing from `from` to `to` (WGS84 lon/lat),
/// degrees clockwise from north, 0 ≤ b < 360.
pub fn bearing_deg(from: [f64; 2], to: [f64; 2]) -> f64 {
    let (p1, p2) = (from[1].to_radians(), to[1].to_radians());
    let dl = (to[0] - from[0]).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// The eight-point compass direction of a bearing: 北 东北 东 … / N NE E ….
pub fn compass(bearing: f64, lang: Lang) -> &'static str {
    const ZH: [&str; 8] = ["北", "东北", "东", "东南", "南", "西南", "西", "西北"];
    const EN: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let i = ((bearing.rem_euclid(360.0) + 22.5) / 45.0).floor() as usize % 8;
    match lang {
        Lang::Zh => ZH[i],
        Lang::En => EN[i],
    }
}

/// A distance as read in the street: whole metres under a kilometre (to
/// 10 m from 100 m), then kilometres with one decimal.
pub fn distance_text(m: f64, lang: Lang) -> String {
    let m = m.max(0.0);
    let (n, km) = if m < 100.0 {
        (format!("{:.0}", m.round()), false)
    } else if m < 995.0 {
        (format!("{:.0}", (m / 10.0).round() * 10.0), false)
    } else {
        (format!("{:.1}", m / 1000.0), true)
    };
    match (lang, km) {
        (Lang::Zh, false) => format!("{n} 米"),
        (Lang::Zh, true) => format!("{n} 公里"),
        (Lang::En, false) => format!("{n} m"),
        (Lang::En, true) => format!("{n} km"),
    }
}

/// "东北 120 米" from `from` to `to`; "这里" / "here" within 5 m (a
/// direction from that close is noise).
pub fn heading_text(from: [f64; 2], to: [f64; 2], lang: Lang) -> String {
    let m = haversine_m(from[0], from[1], to[0], to[1]);
    if m < 5.0 {
        return lang.pick("这里", "here").to_string();
    }
    format!(
        "{} {}",
        compass(bearing_deg(from, to), lang),
        distance_text(m, lang)
    )
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A `geo:` URI at a WGS84 point with its label (what Android's map apps
/// and iOS's handlers open).
pub fn geo_uri(lon: f64, lat: f64, label: &str) -> String {
    format!("geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}({})", enc(label))
}

/// Amap's navigation URI to a WGS84 point (converted to GCJ-02, which Amap
/// takes as `coordinate=gaode`), walking; opens the app when installed.
pub fn amap_uri(lon: f64, lat: f64, name: &str) -> String {
    let (g, h) = wgs84_to_gcj02(lon, lat);
    format!(
        "https://uri.amap.com/navigation?to={g:.6},{h:.6},{}&mode=walk&coordinate=gaode&callnative=1&src=pingan-map",
        enc(name)
    )
}

/// Baidu's direction URI to a WGS84 point (converted to BD-09,
/// `coord_type=bd09ll`), walking; opens the app when installed.
pub fn baidu_uri(lon: f64, lat: f64, name: &str) -> String {
    let (b, c) = wgs84_to_bd09(lon, lat);
    format!(
        "https://api.map.baidu.com/direction?destination=latlng:{c:.6},{b:.6}|name:{}&mode=walking&coord_type=bd09ll&output=html&src=webapp.pingan-map",
        enc(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearings_and_compass_points() {
        let o = [113.85, 22.65];
        assert!((bearing_deg(o, [113.85, 22.66]) - 0.0).abs() < 1e-9);
        assert!((bearing_deg(o, [113.86, 22.65]) - 90.0).abs() < 0.01);
        assert!((bearing_deg(o, [113.85, 22.64]) - 180.0).abs() < 1e-9);
        assert!((bearing_deg(o, [113.84, 22.65]) - 270.0).abs() < 0.01);
        assert_eq!(compass(0.0, Lang::Zh), "北");
        assert_eq!(compass(22.4, Lang::Zh), "北");
        assert_eq!(compass(22.6, Lang::Zh), "东北");
        assert_eq!(compass(135.0, Lang::En), "SE");
        assert_eq!(compass(337.6, Lang::Zh), "北");
        assert_eq!(compass(-45.0, Lang::En), "NW");
    }

    #[test]
    fn distances_and_headings_read_as_in_the_street() {
        assert_eq!(distance_text(7.4, Lang::Zh), "7 米");
        assert_eq!(distance_text(123.0, Lang::Zh), "120 米");
        assert_eq!(distance_text(994.0, Lang::En), "990 m");
        assert_eq!(distance_text(1_260.0, Lang::Zh), "1.3 公里");
        let o = [113.85, 22.65];
        // ~85 m north-east (60 m north, 60 m east).
        let ne = [
            113.85 + 60.0 / (111_320.0 * 22.65f64.to_radians().cos()),
            22.65 + 60.0 / 110_574.0,
        ];
        assert_eq!(heading_text(o, ne, Lang::Zh), "东北 85 米");
        assert_eq!(heading_text(o, o, Lang::En), "here");
    }

    #[test]
    fn navigation_links_carry_the_apps_coordinates() {
        let (lon, lat) = (113.85, 22.65);
        let geo = geo_uri(lon, lat, "积水点 YH000001");
        assert_eq!(geo, "geo:22.650000,113.850000?q=22.650000,113.850000(%E7%A7%AF%E6%B0%B4%E7%82%B9%20YH000001)");
        let (g, h) = wgs84_to_gcj02(lon, lat);
        assert!(amap_uri(lon, lat, "a&b").contains(&format!("to={g:.6},{h:.6},a%26b&")));
        let (b, c) = wgs84_to_bd09(lon, lat);
        assert!(baidu_uri(lon, lat, "x").contains(&format!("latlng:{c:.6},{b:.6}|name:x&")));
        // The offsets are real: hundreds of metres apart in Bao'an.
        assert!(haversine_m(lon, lat, g, h) > 300.0 && haversine_m(g, h, b, c) > 300.0);
    }
}
