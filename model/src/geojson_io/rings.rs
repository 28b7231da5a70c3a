//! Ring simplicity of a polygon read from GeoJSON: no ring crosses or touches
//! itself, and no two rings cross or share an edge (rings may touch at a
//! point, as OGC Simple Features allow). The failure names the place.
//!
//! The pairs of segments that meet come from `geo`'s sweep
//! ([`geo::algorithm::sweep::Intersections`], O((n + m) log n)); only the
//! rules of which meetings are allowed are written here. `geo`'s own
//! `Validation::is_valid` was not used: its self-intersection test compares
//! every pair of segments (O(n²)), which costs the browser's startup parse of
//! the district's and subdistricts' long rings, and it does not say where
//! the ring crosses. Hole containment and overlaps between the parts of a
//! MultiPolygon are not checked.

use geo::algorithm::sweep::{Cross, Intersections};
use geo::{Coord, Line, LineIntersection, Polygon};

/// One segment of a ring, with where it sits.
#[derive(Clone, Copy, Debug)]
struct Seg {
    ring: usize,
    /// Index of the segment in its ring (after repeated positions are skipped).
    index: usize,
    /// Number of segments of its ring.
    of: usize,
    line: Line<f64>,
}

impl Cross for Seg {
    type Scalar = f64;
    fn line(&self) -> Line<f64> {
        self.line
    }
}

/// Consecutive segments of one ring (including the last and the first).
fn adjacent(a: &Seg, b: &Seg) -> bool {
    a.ring == b.ring
        && (a.index + 1 == b.index
            || b.index + 1 == a.index
            || (a.index == 0 && b.index + 1 == b.of)
            || (b.index == 0 && a.index + 1 == a.of))
}

fn at(c: Coord<f64>) -> String {
    format!("[{}, {}]", super::round6(c.x), super::round6(c.y))
}

/// `Err` names the ring(s) and the position where the polygon is not simple.
pub(super) fn check_simple(poly: &Polygon<f64>) -> Result<(), String> {
    let mut segs = Vec::new();
    for (ring, ls) in std::iter::once(poly.exterior())
        .chain(poly.interiors())
        .enumerate()
    {
        let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
        for c in &ls.0 {
            if pts.last() != Some(c) {
                pts.push(*c);
            }
        }
        // A closed ring of fewer than 3 distinct positions encloses nothing.
        if pts.len() < 4 {
            return Err(format!(
                "ring {ring} has fewer than 3 distinct positions and encloses no area"
            ));
        }
        let of = pts.len() - 1;
        segs.extend(pts.windows(2).enumerate().map(|(index, w)| Seg {
            ring,
            index,
            of,
            line: Line::new(w[0], w[1]),
        }));
    }
    for (a, b, meet) in Intersections::<Seg>::from_iter(segs) {
        let allowed = match meet {
            // Consecutive segments share their vertex; rings may touch at a point.
            LineIntersection::SinglePoint { is_proper, .. } => {
                if a.ring == b.ring {
                    adjacent(&a, &b) && !is_proper
                } else {
                    !is_proper
                }
            }
            LineIntersection::Collinear { .. } => false,
        };
        if allowed {
            continue;
        }
        let place = match meet {
            LineIntersection::SinglePoint { intersection, .. } => at(intersection),
            LineIntersection::Collinear { intersection } => {
                format!("{}–{}", at(intersection.start), at(intersection.end))
            }
        };
        return Err(if a.ring == b.ring {
            format!("ring {} crosses or touches itself at {place}", a.ring)
        } else {
            let (lo, hi) = (a.ring.min(b.ring), a.ring.max(b.ring));
            format!("rings {lo} and {hi} cross or share an edge at {place}")
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    fn poly(ext: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Polygon<f64> {
        Polygon::new(
            LineString::from(ext.to_vec()),
            holes.iter().map(|h| LineString::from(h.to_vec())).collect(),
        )
    }

    #[test]
    fn simple_rings_pass_and_repeated_positions_are_skipped() {
        let square = [(0., 0.), (2., 0.), (2., 2.), (0., 2.), (0., 0.)];
        assert_eq!(check_simple(&poly(&square, &[])), Ok(()));
        let repeated = [(0., 0.), (2., 0.), (2., 0.), (2., 2.), (0., 2.), (0., 0.)];
        assert_eq!(check_simple(&poly(&repeated, &[])), Ok(()));
        // A hole touching the exterior at one point is allowed.
        let hole = [(0., 1.), (1., 0.5), (1., 1.5), (0., 1.)];
        assert_eq!(check_simple(&poly(&square, &[&hole])), Ok(()));
    }

    #[test]
    fn bow_tie_names_the_crossing() {
        let bow = [(0., 0.), (2., 2.), (2., 0.), (0., 2.), (0., 0.)];
        assert_eq!(
            check_simple(&poly(&bow, &[])),
            Err("ring 0 crosses or touches itself at [1, 1]".into())
        );
    }

    #[test]
    fn self_touch_spike_crossing_holes_and_degenerate_rings_fail() {
        // Figure eight touching itself at a vertex.
        let eight = [
            (0., 0.),
            (1., 1.),
            (2., 0.),
            (2., 2.),
            (1., 1.),
            (0., 2.),
            (0., 0.),
        ];
        let e = check_simple(&poly(&eight, &[])).unwrap_err();
        assert_eq!(e, "ring 0 crosses or touches itself at [1, 1]");
        // A spike going out and back along the same line.
        let spike = [(0., 0.), (2., 0.), (3., 0.), (2., 0.), (2., 2.), (0., 0.)];
        let e = check_simple(&poly(&spike, &[])).unwrap_err();
        // (It folds back onto itself; where it is first seen depends on the sweep.)
        assert!(
            e.starts_with("ring 0 crosses or touches itself at [2, 0]"),
            "{e}"
        );
        let square = [(0., 0.), (2., 0.), (2., 2.), (0., 2.), (0., 0.)];
        let out = [(1., 1.), (3., 1.), (3., 1.5), (1., 1.), (1., 1.)];
        let e = check_simple(&poly(&square, &[&out])).unwrap_err();
        assert!(
            e.starts_with("rings 0 and 1 cross or share an edge at [2, 1"),
            "{e}"
        );
        let flat = [(0., 0.), (1., 0.), (0., 0.), (0., 0.)];
        let e = check_simple(&poly(&flat, &[])).unwrap_err();
        assert!(e.contains("fewer than 3 distinct positions"), "{e}");
    }
}
