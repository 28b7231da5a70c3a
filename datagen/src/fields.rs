//! Smooth fields over Bao'an that steer where things are generated:
//! residential density (town centres, the coastal plain), hilliness (the
//! eastern hills: 羊台山, 铁岗/石岩 reservoirs, 凤凰山, 罗田), low-lying land
//! (the Pearl River estuary shore and the 茅洲河 lowlands) and industry.
//! Positions are WGS84 and approximate; only the rough geography matters.

use crate::geom::{dist_m, KX, KY};
use geo::Coord;

/// (lon, lat, sigma in km, weight)
type Bump = (f64, f64, f64, f64);

const TOWNS: &[Bump] = &[
    (113.885, 22.560, 2.0, 1.0), // 新安: 宝安中心区
    (113.900, 22.580, 1.5, 0.8),
    (113.865, 22.585, 1.8, 1.0), // 西乡
    (113.875, 22.605, 1.5, 0.7),
    (113.850, 22.625, 1.5, 0.7), // 航城 黄田
    (113.858, 22.655, 1.3, 0.5),
    (113.830, 22.670, 1.5, 0.8), // 福永
    (113.845, 22.690, 1.2, 0.6),
    (113.795, 22.690, 1.6, 0.6), // 福海
    (113.810, 22.735, 1.8, 0.9), // 沙井
    (113.790, 22.750, 1.2, 0.6),
    (113.840, 22.720, 1.5, 0.8), // 新桥
    (113.840, 22.765, 1.6, 0.8), // 松岗
    (113.850, 22.795, 1.4, 0.6), // 燕罗
    (113.925, 22.680, 1.6, 0.8), // 石岩
    (113.900, 22.695, 1.0, 0.4),
];

const HILLS: &[Bump] = &[
    (113.958, 22.665, 2.4, 1.0), // 羊台山
    (113.945, 22.708, 1.6, 0.8), // 石岩 north
    (113.905, 22.625, 1.7, 0.9), // 铁岗水库 / 石岩 south lobe
    (113.928, 22.650, 1.2, 0.7), // 石岩水库
    (113.862, 22.668, 1.0, 0.8), // 凤凰山
    (113.880, 22.836, 2.0, 1.0), // 罗田
    (113.872, 22.812, 1.2, 0.6),
    (113.860, 22.763, 0.9, 0.6), // 松岗 east
    (113.868, 22.722, 0.8, 0.5), // 新桥 east
    (113.915, 22.592, 0.9, 0.6), // 新安 east
];

const INDUSTRY: &[Bump] = &[
    (113.800, 22.745, 2.0, 1.0), // 沙井 north
    (113.780, 22.700, 1.8, 0.9), // 福海
    (113.830, 22.775, 1.8, 0.9), // 松岗
    (113.860, 22.810, 1.5, 0.8), // 燕罗
    (113.835, 22.715, 1.5, 0.7), // 新桥
    (113.935, 22.700, 1.5, 0.8), // 石岩 north
    (113.820, 22.680, 1.5, 0.7), // 福永 凤凰
    (113.845, 22.655, 1.0, 0.5), // 航城
];

/// The low western and northern shore (Pearl River estuary, 茅洲河).
const SHORE: &[(f64, f64)] = &[
    (113.860, 22.525),
    (113.845, 22.560),
    (113.815, 22.595),
    (113.800, 22.625),
    (113.785, 22.660),
    (113.760, 22.695),
    (113.745, 22.725),
    (113.760, 22.760),
    (113.790, 22.785),
    (113.820, 22.795),
    (113.850, 22.815),
];

/// The airport's runways and aprons: nobody lives there.
const AIRPORT: [f64; 4] = [113.795, 22.605, 113.832, 22.655];

fn bumps(p: Coord<f64>, list: &[Bump]) -> f64 {
    list.iter()
        .map(|&(x, y, s, w)| {
            let d2 = ((p.x - x) * KX).powi(2) + ((p.y - y) * KY).powi(2);
            w * (-d2 / (2.0 * (s * 1000.0).powi(2))).exp()
        })
        .sum()
}

/// 0..1, high in the eastern hills.
pub fn hilliness(p: Coord<f64>) -> f64 {
    bumps(p, HILLS).min(1.0)
}

/// 0..1, high in industrial belts.
pub fn industry(p: Coord<f64>) -> f64 {
    bumps(p, INDUSTRY).min(1.0)
}

/// Distance in metres to the western/northern shore line.
pub fn shore_distance_m(p: Coord<f64>) -> f64 {
    let mut best = f64::INFINITY;
    for w in SHORE.windows(2) {
        let a = Coord {
            x: w[0].0,
            y: w[0].1,
        };
        let b = Coord {
            x: w[1].0,
            y: w[1].1,
        };
        let (ax, ay, bx, by, px, py) = (a.x * KX, a.y * KY, b.x * KX, b.y * KY, p.x * KX, p.y * KY);
        let (dx, dy) = (bx - ax, by - ay);
        let t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        let d = ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt();
        best = best.min(d);
    }
    best
}

/// 0..1, high on low-lying land near the shore and away from hills.
pub fn lowland(p: Coord<f64>) -> f64 {
    (-shore_distance_m(p) / 1800.0).exp() * (1.0 - hilliness(p))
}

pub fn in_airport(p: Coord<f64>) -> bool {
    p.x >= AIRPORT[0] && p.x <= AIRPORT[2] && p.y >= AIRPORT[1] && p.y <= AIRPORT[3]
}

/// Relative residential density (not normalised): town centres and the
/// coastal plain, thinned in the hills, empty on the airfield.
pub fn density(p: Coord<f64>) -> f64 {
    if in_airport(p) {
        return 0.01;
    }
    let urban = 0.06 + bumps(p, TOWNS) + 0.25 * (-shore_distance_m(p) / 3000.0).exp();
    urban * (1.0 - 0.9 * hilliness(p))
}

/// Sanity helper for tests and docs: the density at a named place is
/// higher than in the hills.
pub fn denser(a: Coord<f64>, b: Coord<f64>) -> bool {
    density(a) > density(b) && dist_m(a, b) > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn town_is_denser_than_hills_and_shore_is_low() {
        let xin_an = Coord {
            x: 113.885,
            y: 22.560,
        };
        let yangtai = Coord {
            x: 113.958,
            y: 22.665,
        };
        assert!(denser(xin_an, yangtai));
        assert!(density(xin_an) > 5.0 * density(yangtai));
        assert!(hilliness(yangtai) > 0.9);
        let shore = Coord {
            x: 113.79,
            y: 22.70,
        };
        assert!(lowland(shore) > lowland(yangtai) * 10.0);
        assert!(in_airport(Coord {
            x: 113.81,
            y: 22.63
        }));
    }
}
