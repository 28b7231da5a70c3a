//! Analysis: choropleth classes for the grid map, green coverage of areas,
//! and the planners' 300 m / 500 m standard ("300米见绿，500米见园").
//!
//! Geometry is WGS84 longitude/latitude. Areas are on the WGS84 ellipsoid
//! with edges read as RFC 7946 says: straight lines in longitude/latitude
//! ([`area_m2`]). Unlike a geodesic-edge area, this does not change when
//! collinear vertices are added or removed (boolean operations do both),
//! so a partition's pieces add up to the whole. Distances use a local
//! equirectangular metric around each point, accurate to well under 0.5 %
//! within a district.

use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// Class breaks for a choropleth: `n` classes by quantiles of `values`,
/// returned as the `n - 1` upper bounds of all but the last class, strictly
/// increasing (duplicate quantiles are merged, so fewer may come back).
pub fn quantile_breaks(values: &[f64], n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() || n < 2 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = Vec::with_capacity(n - 1);
    for i in 1..n {
        let q = v[(i * v.len() / n).min(v.len() - 1)];
        // A break equal to the minimum would leave class 0 empty.
        if out.last().is_none_or(|&last| q > last) && q > v[0] && q < v[v.len() - 1] {
            out.push(q);
        }
    }
    out
}

/// The class (0-based) a value falls in, given upper bounds from
/// [`quantile_breaks`]: class i holds values `< breaks[i]`.
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks
        .iter()
        .position(|&b| value < b)
        .unwrap_or(breaks.len())
}

/// WGS84 semi-major axis (m) and flattening.
const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Area between the equator and latitude `phi` (radians) per radian of
/// longitude on the WGS84 ellipsoid.
fn band_area(phi: f64) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let e = e2.sqrt();
    let b2 = WGS84_A * WGS84_A * (1.0 - e2);
    let s = phi.sin();
    b2 / 2.0 * (s / (1.0 - e2 * s * s) + ((1.0 + e * s) / (1.0 - e * s)).ln() / (2.0 * e))
}

/// Unsigned area (m²) enclosed by a closed ring whose edges are straight in
/// longitude/latitude (Green's theorem with Simpson's rule per edge).
fn ring_area_m2(ls: &LineString<f64>) -> f64 {
    let mut sum = 0.0;
    for w in ls.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        let dl = (b.x - a.x).to_radians();
        if dl == 0.0 {
            continue;
        }
        let (p1, p2) = (a.y.to_radians(), b.y.to_radians());
        let fm = band_area(0.5 * (p1 + p2));
        sum += dl * (band_area(p1) + 4.0 * fm + band_area(p2)) / 6.0;
    }
    sum.abs()
}

/// Area in m² on the WGS84 ellipsoid, edges straight in longitude/latitude
/// (RFC 7946), holes subtracted.
pub fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter()
        .map(|p| ring_area_m2(p.exterior()) - p.interiors().iter().map(ring_area_m2).sum::<f64>())
        .sum()
}

type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn box_tree(polys: &[MultiPolygon<f64>]) -> RTree<BoxEntry> {
    RTree::bulk_load(
        polys
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.bounding_rect().map(|r| {
                    BoxEntry::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    )
                })
            })
            .collect(),
    )
}

fn edges(mp: &MultiPolygon<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ls| ls.0.windows(2).map(|w| (w[0], w[1])))
}

/// Even-odd point in multipolygon (holes included).
fn inside(mp: &MultiPolygon<f64>, p: Coord<f64>) -> bool {
    let mut odd = false;
    for (a, b) in edges(mp) {
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            odd = !odd;
        }
    }
    odd
}

/// Area (m², see [`area_m2`]) of the part of `green` inside `area`. Cheap when the
/// green shape is wholly inside or outside (no edge of `area` comes near
/// its bounding box); boolean intersection otherwise.
fn clipped_area_m2(area: &MultiPolygon<f64>, green: &MultiPolygon<f64>) -> f64 {
    let Some(gb) = green.bounding_rect() else {
        return 0.0;
    };
    let near = edges(area).any(|(a, b)| {
        a.x.max(b.x) >= gb.min().x
            && a.x.min(b.x) <= gb.max().x
            && a.y.max(b.y) >= gb.min().y
            && a.y.min(b.y) <= gb.max().y
    });
    if !near {
        let first = green
            .0
            .first()
            .and_then(|p| p.exterior().0.first().copied());
        return match first {
            Some(c) if inside(area, c) => area_m2(green),
            _ => 0.0,
        };
    }
    area_m2(&area.intersection(green))
}

/// Green coverage of each area: the area of the green shapes inside it
/// divided by its own area (0 for an empty area), areas by [`area_m2`].
///
/// The green shapes are taken as non-overlapping (as the generated parks
/// and green-space layers are); overlapping shapes would be counted twice,
/// so union them first if that is not known.
pub fn green_coverage(areas: &[MultiPolygon<f64>], green: &[MultiPolygon<f64>]) -> Vec<f64> {
    let tree = box_tree(green);
    areas
        .iter()
        .map(|area| {
            let total = area_m2(area);
            let Some(b) = area.bounding_rect() else {
                return 0.0;
            };
            if total <= 0.0 {
                return 0.0;
            }
            let env = AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
            let covered: f64 = tree
                .locate_in_envelope_intersecting(&env)
                .map(|e| clipped_area_m2(area, &green[e.data]))
                .sum();
            (covered / total).min(1.0)
        })
        .collect()
}

/// Metres per degree of latitude and longitude at a latitude.
fn metres_per_degree(lat: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let m_lat = 111_132.92 - 559.82 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
    let m_lon = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos();
    (m_lon, m_lat)
}

/// Distance in metres from `p` to a multipolygon (0 inside).
pub fn distance_m(p: [f64; 2], mp: &MultiPolygon<f64>) -> f64 {
    let c = Coord { x: p[0], y: p[1] };
    if inside(mp, c) {
        return 0.0;
    }
    let (kx, ky) = metres_per_degree(p[1]);
    let mut best = f64::INFINITY;
    for (a, b) in edges(mp) {
        let (ax, ay) = ((a.x - c.x) * kx, (a.y - c.y) * ky);
        let (bx, by) = ((b.x - c.x) * kx, (b.y - c.y) * ky);
        let (dx, dy) = (bx - ax, by - ay);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 {
            (-(ax * dx + ay * dy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        best = best.min(((ax + t * dx).powi(2) + (ay + t * dy).powi(2)).sqrt());
    }
    best
}

/// Weighted share of points within `radius_m` of any of the polygons
/// (a point inside one counts). `points` are `([lon, lat], weight)`, e.g.
/// grid centroids weighted by population. 0 when the weights sum to 0.
pub fn share_within(points: &[([f64; 2], f64)], polys: &[MultiPolygon<f64>], radius_m: f64) -> f64 {
    let tree = box_tree(polys);
    let (mut hit, mut all) = (0.0, 0.0);
    for &(p, w) in points {
        all += w;
        let (kx, ky) = metres_per_degree(p[1]);
        let (dx, dy) = (radius_m / kx, radius_m / ky);
        let env = AABB::from_corners([p[0] - dx, p[1] - dy], [p[0] + dx, p[1] + dy]);
        if tree
            .locate_in_envelope_intersecting(&env)
            .any(|e| distance_m(p, &polys[e.data]) <= radius_m)
        {
            hit += w;
        }
    }
    if all > 0.0 {
        hit / all
    } else {
        0.0
    }
}

/// The planners' standard for a set of homes (e.g. grid centroids weighted
/// by population): share within 300 m of any green (parks and other green
/// space) and share within 500 m of a park.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GreenAccess {
    pub within_300m_green: f64,
    pub within_500m_park: f64,
}

pub fn green_access(
    homes: &[([f64; 2], f64)],
    parks: &[MultiPolygon<f64>],
    other_green: &[MultiPolygon<f64>],
) -> GreenAccess {
    let all: Vec<MultiPolygon<f64>> = parks.iter().chain(other_green).cloned().collect();
    GreenAccess {
        within_300m_green: share_within(homes, &all, 300.0),
        within_500m_park: share_within(homes, parks, 500.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    }

    #[test]
    fn coverage_counts_inside_clipped_and_ignores_outside() {
        // A 0.02° square near Bao'an; green: its west half, a shape crossing
        // its east edge (half inside), and one far away.
        let area = rect(113.80, 22.60, 113.82, 22.62);
        let half = rect(113.80, 22.60, 113.81, 22.62);
        let crossing = rect(113.815, 22.605, 113.825, 22.606);
        let far = rect(114.0, 22.0, 114.01, 22.01);
        let c = green_coverage(std::slice::from_ref(&area), &[half.clone(), far.clone()]);
        assert!((c[0] - 0.5).abs() < 1e-3, "{c:?}");
        let strip_inside = 0.005 * 0.001;
        let c2 = green_coverage(std::slice::from_ref(&area), &[crossing])[0];
        assert!((c2 - strip_inside / (0.02 * 0.02)).abs() < 1e-4, "{c2}");
        // A shape wholly inside, away from the edges, takes the fast path.
        let small = rect(113.805, 22.605, 113.806, 22.606);
        let c3 = green_coverage(std::slice::from_ref(&area), std::slice::from_ref(&small))[0];
        let want = area_m2(&small) / area_m2(&area);
        assert!((c3 - want).abs() < 1e-12 && c3 > 0.0);
        assert_eq!(green_coverage(&[area], &[far]), vec![0.0]);
        // A 0.01°×0.02° rectangle at 22.6°N is 1.028 km × 2.215 km.
        let a = area_m2(&half);
        assert!((a / 1e6 - 2.276).abs() < 0.005, "{a}");
        // Close to geo's geodesic area, and unchanged by collinear vertices.
        let g = geo::GeodesicArea::geodesic_area_unsigned(&half);
        assert!((a - g).abs() / g < 1e-4, "{a} vs {g}");
        let dense = MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(
                (0..=10)
                    .map(|i| (113.80 + i as f64 * 0.001, 22.60))
                    .chain([(113.81, 22.62), (113.80, 22.62), (113.80, 22.60)])
                    .collect::<Vec<_>>(),
            ),
            vec![],
        )]);
        assert!((area_m2(&dense) - a).abs() < 1e-6 * a);
        // One degree square at the equator: 111.32 km × 110.57 km.
        let eq = area_m2(&rect(0.0, 0.0, 1.0, 1.0));
        assert!((eq / 1e6 - 12_308.8).abs() < 2.0, "{eq}");
    }

    #[test]
    fn distance_and_share_within() {
        let park = rect(113.80, 22.60, 113.81, 22.61);
        assert_eq!(distance_m([113.805, 22.605], &park), 0.0);
        // 0.003° east of the east edge at 22.6°N ≈ 308 m.
        let d = distance_m([113.813, 22.605], &park);
        assert!((d - 308.0).abs() < 3.0, "{d}");
        let homes = [
            ([113.805, 22.605], 10.0),
            ([113.813, 22.605], 30.0),
            ([113.9, 22.7], 60.0),
        ];
        assert!((share_within(&homes, std::slice::from_ref(&park), 300.0) - 0.1).abs() < 1e-12);
        assert!((share_within(&homes, std::slice::from_ref(&park), 500.0) - 0.4).abs() < 1e-12);
        assert_eq!(share_within(&[], std::slice::from_ref(&park), 500.0), 0.0);
        let acc = green_access(&homes, &[park], &[rect(113.899, 22.699, 113.901, 22.701)]);
        assert!((acc.within_300m_green - 0.7).abs() < 1e-12, "{acc:?}");
        assert!((acc.within_500m_park - 0.4).abs() < 1e-12);
    }

    #[test]
    fn quantile_classes_are_balanced() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let b = quantile_breaks(&v, 5);
        assert_eq!(b, vec![200.0, 400.0, 600.0, 800.0]);
        let mut counts = [0; 5];
        for x in &v {
            counts[class_of(*x, &b)] += 1;
        }
        assert_eq!(counts, [200; 5]);
    }

    #[test]
    fn many_zeros_still_fill_the_first_class() {
        let mut v = vec![0.0; 30];
        v.extend((1..=70).map(|i| i as f64));
        let b = quantile_breaks(&v, 5);
        assert!(b[0] > 0.0, "{b:?}");
        let mut counts = vec![0; b.len() + 1];
        for x in &v {
            counts[class_of(*x, &b)] += 1;
        }
        assert!(
            counts.iter().all(|&c| c > 0),
            "every class used: {counts:?} with {b:?}"
        );
    }

    #[test]
    fn degenerate_inputs() {
        assert!(quantile_breaks(&[], 5).is_empty());
        assert!(quantile_breaks(&[3.0; 10], 5).is_empty());
        assert_eq!(class_of(3.0, &[]), 0);
        let skewed = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 5.0, 9.0];
        let b = quantile_breaks(&skewed, 5);
        assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");
    }
}
