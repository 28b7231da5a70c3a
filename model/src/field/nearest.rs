//! The items nearest to the officer, exact by ground distance: haversine
//! metres on the sphere of [`projection`](crate::projection), found through
//! a layer's [`PointIndex`] (Web Mercator world units) by walking its
//! nearest-first iterator — and, when the walk runs long (rare kept items,
//! a rare tier 0), going on by boxes of doubling size — until a bound
//! proves that no item left can make the list (`Reach`, below, explains
//! it). [`nearest`] for one layer; [`nearby`] for the phone's list of
//! several layers, one [`Section`] each, each ordered by (tier, metres,
//! key): tier 0 first ("open and rectifying hazards before rectified
//! ones"), ties by key so the order is stable.
//!
//! Distances are from the positions as the index holds them (world units
//! back to lon/lat: the round trip is exact to ~1e-12°, far under a
//! millimetre). Index positions are assumed to come from
//! [`to_world`] of WGS84 longitudes in
//! [-180°, 180°].

use crate::index::{Bbox, PointIndex};
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
    if k == 0 {
        return Vec::new();
    }
    let q = to_world(lon0, lat0);
    let q = [q.x, q.y];
    let mut s = Search {
        lon0,
        lat0,
        k,
        max_m,
        best: BinaryHeap::with_capacity(k + 1),
        reach: Reach::new(lon0, lat0, max_m),
    };
    // The walk, nearest first in world units, while it is short; past the
    // budget (and between two distinct distances, so that every point up
    // to `walked` has been offered) it goes on by boxes.
    let budget = WALK_PER_ITEM.saturating_mul(k).saturating_add(WALK_EXTRA);
    let (mut seen, mut walked) = (0usize, None::<f64>);
    for (key, w, d) in index.nearest_iter(q) {
        if s.done_within(d) {
            return s.finish();
        }
        if seen >= budget && walked.is_some_and(|last| d > last) {
            s.rings(index, q, walked.unwrap_or(0.0), d, &keep, &tier);
            return s.finish();
        }
        s.offer(key, w, d, &keep, &tier);
        seen += 1;
        walked = Some(d);
    }
    s.finish()
}

/// Points the walk looks at per item asked for, and more, before it goes
/// on by boxes. A box visits a point several times faster than the
/// nearest-first walk (a heap operation per node and per point); the walk
/// only wins while it is short. Measured with `benches/nearest.rs`
/// (22,000 hazards, 20 asked for): 2k + 16 beat 8k + 64 by ~15 % with all
/// hazards and one type alone, and the walk alone by 2.5× with one type.
const WALK_PER_ITEM: usize = 2;
const WALK_EXTRA: usize = 16;

/// One search: the best `k` so far and how far they reach.
struct Search {
    lon0: f64,
    lat0: f64,
    k: usize,
    max_m: f64,
    /// A max-heap: its top is the worst of the best `k` so far.
    best: BinaryHeap<Cand>,
    reach: Reach,
}

impl Search {
    fn worst(&self) -> Option<&Cand> {
        (self.best.len() == self.k)
            .then(|| self.best.peek())
            .flatten()
    }

    /// The ground distance within which a point of tier `t` could still
    /// enter, `None` if it cannot. The worst's distance for its own tier
    /// once the list is full; `max_m` for a lower tier (it beats the worst
    /// at any distance) or while the list is not full.
    fn limit_for(&self, t: u8) -> Option<f64> {
        match self.worst() {
            Some(c) if t > c.tier => None,
            Some(c) if t == c.tier => Some(c.metres),
            _ => Some(self.max_m),
        }
    }

    /// True when no point at world distance ≥ `d` can enter: the list is
    /// full of tier 0 and they are beyond its worst, or beyond `max_m`.
    fn done_within(&mut self, d: f64) -> bool {
        let limit = match self.worst() {
            Some(c) if c.tier == 0 => c.metres,
            _ => self.max_m,
        };
        self.reach.beyond(d, limit)
    }

    /// Considers one point at world position `w`, world distance `d`.
    fn offer(
        &mut self,
        key: u32,
        w: [f64; 2],
        d: f64,
        keep: &impl Fn(u32) -> bool,
        tier: &impl Fn(u32) -> u8,
    ) {
        if !keep(key) {
            return;
        }
        let t = tier(key);
        let Some(limit) = self.limit_for(t) else {
            return;
        };
        if self.reach.beyond(d, limit) {
            return;
        }
        let (lon, lat) = to_lonlat(World { x: w[0], y: w[1] });
        let metres = haversine_m(self.lon0, self.lat0, lon, lat);
        let within = metres <= self.max_m; // false for NaN
        if !within {
            return;
        }
        let c = Cand {
            tier: t,
            metres,
            key,
            lonlat: [lon, lat],
        };
        if self.best.len() < self.k {
            self.best.push(c);
        } else if self.best.peek().is_some_and(|w| c < *w) {
            self.best.pop();
            self.best.push(c);
        }
    }

    /// Goes on from the walk by square boxes of doubling half-side around
    /// `q`, each offering only the points beyond the last (every point at
    /// world distance ≤ `walked` was offered; the next is at `next`), until
    /// the stopping rule holds at a box's radius or the box holds all that
    /// is within `max_m`. The order of offers does not change the best `k`
    /// (a total order), so this is as exact as the walk.
    fn rings(
        &mut self,
        index: &PointIndex,
        q: [f64; 2],
        walked: f64,
        next: f64,
        keep: &impl Fn(u32) -> bool,
        tier: &impl Fn(u32) -> u8,
    ) {
        let per_unit = self.reach.max_per_unit;
        let last = if per_unit > 0.0 {
            (self.max_m + 1e-6) / per_unit
        } else {
            f64::MAX // no bound: the last box holds everything
        };
        let (mut inner, mut r) = (walked, (2.0 * walked).max(next).min(last));
        loop {
            // A hair wider than `r`: rounding of the box test never drops
            // a point that `world_dist` puts within it.
            let half = if r >= f64::MAX / 4.0 {
                f64::MAX
            } else {
                r * (1.0 + 1e-9) + 1e-15
            };
            let b = Bbox::new([q[0] - half, q[1] - half], [q[0] + half, q[1] + half]);
            for (key, w) in index.query(&b) {
                let d = world_dist(w, q);
                if d > inner && d <= r {
                    self.offer(key, w, d, keep, tier);
                }
            }
            if r >= last || self.done_within(r) {
                return;
            }
            inner = r;
            // Past the unit square a box holds every valid position.
            r = if r >= 1.0 { last } else { (2.0 * r).min(last) };
        }
    }

    fn finish(self) -> Vec<Near> {
        let at = [self.lon0, self.lat0];
        self.best
            .into_sorted_vec()
            .into_iter()
            .map(|c| Near {
                key: c.key,
                metres: c.metres,
                bearing: bearing_deg(at, c.lonlat),
                tier: c.tier,
            })
            .collect()
    }
}

/// World distance as rstar measures it (`(dx² + dy²)`, then the root), so
/// that the boxes and the walk agree to the bit on who is within `walked`.
fn world_dist(w: [f64; 2], q: [f64; 2]) -> f64 {
    let (dx, dy) = (w[0] - q[0], w[1] - q[1]);
    (dx * dx + dy * dy).sqrt()
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
/// ground: the walk stops (the boxes likewise, once their radius does;
/// and the box of radius `max_m / m(φmax)` holds all within `max_m`). Where the premises fail (near a pole or the
/// antimeridian, or `L` infinite) the factor is 0 and the walk goes on to
/// the end: still exact, only slower. `m` is taken a part in 10⁹ low and
/// 1 µm is added to `L`, more than the rounding of haversine and of the
/// projection round trip. In Shenzhen `m(φmax)` is `tan φ0 · L / R` below
/// `m(φ0)`, 2·10⁻⁴ for `L` = 3 km (60 cm): the walk stops within a few
/// items of the `k`-th.
struct Reach {
    lon0: f64,
    lat0_abs: f64,
    /// Two cached factors: `max_m`'s, and the last other limit's (the
    /// worst's distance, which changes only when the list does).
    max_m: f64,
    max_per_unit: f64,
    limit: f64,
    per_unit: f64,
}

impl Reach {
    fn new(lon0: f64, lat0: f64, max_m: f64) -> Reach {
        let mut r = Reach {
            lon0,
            lat0_abs: lat0.abs().to_radians(),
            max_m,
            max_per_unit: 0.0,
            limit: f64::NAN,
            per_unit: 0.0,
        };
        r.max_per_unit = r.per_unit(max_m);
        r
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
        let per_unit = if limit.to_bits() == self.max_m.to_bits() {
            self.max_per_unit
        } else {
            if limit.to_bits() != self.limit.to_bits() {
                self.limit = limit;
                self.per_unit = self.per_unit(limit);
            }
            self.per_unit
        };
        world_d * per_unit > limit + 1e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_conservative_and_tight_in_shenzhen() {
        let r = Reach::new(113.85, 22.7, 3_000.0);
        let m0 = metres_per_world_unit(22.7);
        let f = r.per_unit(3_000.0);
        assert!(f < m0 && f > m0 * (1.0 - 2.5e-4), "{f} vs {m0}");
        // Near the pole, by the antimeridian or unbounded: no early stop.
        assert_eq!(Reach::new(0.0, 85.0, 1e4).per_unit(10_000.0), 0.0);
        assert_eq!(Reach::new(179.99, 0.0, 1e4).per_unit(10_000.0), 0.0);
        assert_eq!(r.per_unit(f64::INFINITY), 0.0);
    }
}
