//! The items nearest to the officer, exact by ground distance: haversine
//! metres on the sphere of [`projection`](crate::projection), found through
//! a layer's [`PointIndex`] (Web Mercator world units) by walking its
//! nearest-first iterator and stopping as soon as a bound proves that no
//! item left can make the list (see [`Reach`]). [`nearest`] for one layer;
//! [`nearby`] for the phone's list of several layers, one [`Section`] each,
//! each ordered by (tier, metres, key): tier 0 first ("open and rectifying
//! hazards before rectified ones"), ties by key so the order is stable.
//!
//! Distances are from the positions as the index holds them (world units
//! back to lon/lat: the round trip is exact to ~1e-12°, far under a
//! millimetre). Index positions are assumed to come from
//! [`to_world`](crate::projection::to_world) of WGS84 longitudes in
//! [-180°, 180°].

use crate::index::PointIndex;
use crate::layers::LayerId;
use crate::navigate::bearing_deg;
use crate::projection::{
    haversine_m, metres_per_world_unit, to_lonlat, to_world, World, EARTH_RADIUS, MAX_LAT,
};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One item near the officer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    /// The item's key in its layer (as indexed).
    pub key: u32,
    /// Ground distance from the position, metres (haversine).
    pub metres: f64,
    /// Initial bearing from the position to the item, degrees clockwise
    /// from north, 0 ≤ b < 360 (0 when the item is at the position).
    pub bearing: f64,
    /// The item's tier as the source ranked it (0 for [`nearest`]).
    pub tier: u8,
}

/// The `k` items of `index` nearest to `at_lonlat` (WGS84) within `max_m`
/// metres for which `keep(key)` holds, sorted by (metres, key). Empty for
/// `k == 0`, a non-finite position or latitude beyond ±90°, or a `max_m`
/// that is NaN or negative; `max_m` may be infinite.
pub fn nearest(
    index: &PointIndex,
    at_lonlat: [f64; 2],
    k: usize,
    max_m: f64,
    keep: impl Fn(u32) -> bool,
) -> Vec<Near> {
    nearest_by_tier(index, at_lonlat, k, max_m, keep, |_| 0)
}

/// The `k` first kept items within `max_m` in the order (tier, metres,
/// key): all of tier 0 that are within reach come before any of tier 1,
/// and the tier-0 items listed are the nearest of that tier. Otherwise as
/// [`nearest`].
pub fn nearest_by_tier(
    index: &PointIndex,
    at_lonlat: [f64; 2],
    k: usize,
    max_m: f64,
    keep: impl Fn(u32) -> bool,
    tier: impl Fn(u32) -> u8,
) -> Vec<Near> {
    let [mut lon0, lat0] = at_lonlat;
    let valid = max_m >= 0.0 && lon0.is_finite() && lat0.abs() <= 90.0;
    if k == 0 || !valid {
        return Vec::new();
    }
    if !(-180.0..=180.0).contains(&lon0) {
        lon0 = (lon0 + 180.0).rem_euclid(360.0) - 180.0;
    }
    let k = k.min(index.len());
    let q = to_world(lon0, lat0);
    let mut reach = Reach::new(lon0, lat0);
    // A max-heap: its top is the worst of the best k so far.
    let mut best: BinaryHeap<Cand> = BinaryHeap::with_capacity(k + 1);
    for (key, w, world_d) in index.nearest_iter([q.x, q.y]) {
        let worst = (best.len() == k).then(|| best.peek()).flatten();
        // What a candidate must be within to enter: the worst's distance
        // once the list is full of tier 0 (nothing of a lower tier can
        // come); else anything within max_m might (a lower tier beats the
        // worst at any distance).
        let limit = match worst {
            Some(c) if c.tier == 0 => c.metres,
            _ => max_m,
        };
        if reach.beyond(world_d, limit) {
            break;
        }
        if !keep(key) {
            continue;
        }
        let t = tier(key);
        if worst.is_some_and(|c| t > c.tier) {
            continue;
        }
        let (lon, lat) = to_lonlat(World { x: w[0], y: w[1] });
        let metres = haversine_m(lon0, lat0, lon, lat);
        let within = metres <= max_m; // false for NaN
        if !within {
            continue;
        }
        let c = Cand {
            tier: t,
            metres,
            key,
            lonlat: [lon, lat],
        };
        if best.len() < k {
            best.push(c);
        } else if best.peek().is_some_and(|w| c < *w) {
            best.pop();
            best.push(c);
        }
    }
    best.into_sorted_vec()
        .into_iter()
        .map(|c| Near {
            key: c.key,
            metres: c.metres,
            bearing: bearing_deg([lon0, lat0], c.lonlat),
            tier: c.tier,
        })
        .collect()
}

/// One layer for [`nearby`]: its index, which items to list (`keep`: e.g.
/// only sensors in warning or alarm, only open cases) and their tiers
/// (`tier`: 0 first).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub layer: LayerId,
    pub index: &'a PointIndex,
    pub keep: &'a dyn Fn(u32) -> bool,
    pub tier: &'a dyn Fn(u32) -> u8,
}

/// One layer's part of the nearby list, ordered by (tier, metres, key).
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub layer: LayerId,
    pub items: Vec<Near>,
}

/// The phone's nearby list: for each source in the given order one section
/// (empty when nothing is within reach, so the app can say so) of at most
/// `per_layer` items within `max_m` of `at` ([`nearest_by_tier`]).
pub fn nearby(sources: &[Source<'_>], at: [f64; 2], per_layer: usize, max_m: f64) -> Vec<Section> {
    sources
        .iter()
        .map(|s| Section {
            layer: s.layer,
            items: nearest_by_tier(s.index, at, per_layer, max_m, s.keep, s.tier),
        })
        .collect()
}

/// A candidate, ordered by (tier, metres, key).
#[derive(Clone, Copy, Debug)]
struct Cand {
    tier: u8,
    metres: f64,
    key: u32,
    lonlat: [f64; 2],
}

impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        self.tier
            .cmp(&o.tier)
            .then(self.metres.total_cmp(&o.metres))
            .then(self.key.cmp(&o.key))
    }
}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Cand {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Cand {}

/// The stopping rule: when may the walk in world units stop?
///
/// Take a point `p` at ground distance `G ≤ L` from the position `q`, and
/// the great-circle arc from `q` to `p`, of length `G`. Every point of the
/// arc is within `G` of `q`, and a path of length `s` changes latitude by
/// at most `s / R` radians, so along it `|φ| ≤ φmax = |φ0| + L / R`; and
/// it changes longitude by at most `s / (R cos φmax)`, so when `q` is
/// farther than that from the antimeridian the arc does not cross it.
/// Where `φmax` is under Mercator's latitude limit (no clamping) the arc
/// then maps to a continuous path in world units whose length is
/// `∫ ds / m(φ)`, `m(φ) = 2πR cos φ` the metres per world unit, which is at
/// least `m(φmax)` all along: world length ≤ `G / m(φmax)`. The straight
/// world segment from `q` to `p` is no longer than that path, so
///
/// `world_d(q, p) ≤ G / m(φmax) ≤ L / m(φmax)`.
///
/// The iterator yields world distances in increasing order; once one
/// exceeds `L / m(φmax)`, every point left is farther than `L` on the
/// ground: the walk stops. Where the premises fail (near a pole or the
/// antimeridian, or `L` infinite) the factor is 0 and the walk goes on to
/// the end: still exact, only slower. `m` is taken a part in 10⁹ low and
/// 1 µm is added to `L`, more than the rounding of haversine and of the
/// projection round trip. In Shenzhen `m(φmax)` is `tan φ0 · L / R` below
/// `m(φ0)`, 2·10⁻⁴ for `L` = 3 km (60 cm): the walk stops within a few
/// items of the `k`-th.
struct Reach {
    lon0: f64,
    lat0_abs: f64,
    limit: f64,
    per_unit: f64,
}

impl Reach {
    fn new(lon0: f64, lat0: f64) -> Reach {
        Reach {
            lon0,
            lat0_abs: lat0.abs().to_radians(),
            limit: f64::NAN,
            per_unit: 0.0,
        }
    }

    /// Metres per world unit, the least along any arc of length ≤ `limit`
    /// from the position; 0 where the bound does not hold.
    fn per_unit(&self, limit: f64) -> f64 {
        if !limit.is_finite() {
            return 0.0;
        }
        let arc = limit / EARTH_RADIUS;
        let phi_max = self.lat0_abs + arc;
        if phi_max >= MAX_LAT.to_radians() {
            return 0.0;
        }
        let dlon = (arc / phi_max.cos()).to_degrees();
        if 180.0 - self.lon0.abs() <= dlon {
            return 0.0;
        }
        metres_per_world_unit(phi_max.to_degrees()) * (1.0 - 1e-9)
    }

    /// True when every point at world distance ≥ `world_d` is farther than
    /// `limit` metres on the ground.
    fn beyond(&mut self, world_d: f64, limit: f64) -> bool {
        if limit.to_bits() != self.limit.to_bits() {
            self.limit = limit;
            self.per_unit = self.per_unit(limit);
        }
        world_d * self.per_unit > limit + 1e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_conservative_and_tight_in_shenzhen() {
        let r = Reach::new(113.85, 22.7);
        let m0 = metres_per_world_unit(22.7);
        let f = r.per_unit(3_000.0);
        assert!(f < m0 && f > m0 * (1.0 - 2.5e-4), "{f} vs {m0}");
        // Near the pole, by the antimeridian or unbounded: no early stop.
        assert_eq!(Reach::new(0.0, 85.0).per_unit(10_000.0), 0.0);
        assert_eq!(Reach::new(179.99, 0.0).per_unit(10_000.0), 0.0);
        assert_eq!(r.per_unit(f64::INFINITY), 0.0);
    }
}
