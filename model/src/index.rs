//! Spatial indexes over rstar R-trees, in any planar coordinate space (the
//! browser uses Web Mercator world units, the server longitude/latitude).
//!
//! Each entry carries a `u32` key: the feature's position in its layer's
//! feature vector. Indexes support incremental insert/remove so live updates
//! never rebuild a tree.

use geo::{BoundingRect, Contains, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// An axis-aligned box `[min_x, min_y, max_x, max_y]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bbox {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

impl Bbox {
    pub fn new(min: [f64; 2], max: [f64; 2]) -> Bbox {
        Bbox { min, max }
    }
    fn aabb(&self) -> AABB<[f64; 2]> {
        AABB::from_corners(self.min, self.max)
    }
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.min[0] && p[0] <= self.max[0] && p[1] >= self.min[1] && p[1] <= self.max[1]
    }
    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min[0] <= o.max[0]
            && o.min[0] <= self.max[0]
            && self.min[1] <= o.max[1]
            && o.min[1] <= self.max[1]
    }
}

type PointEntry = GeomWithData<[f64; 2], u32>;

/// Points with keys.
#[derive(Clone, Debug, Default)]
pub struct PointIndex {
    tree: RTree<PointEntry>,
}

impl PointIndex {
    /// Bulk-loads (O(n log n), better-balanced than repeated inserts).
    pub fn bulk_load(points: impl IntoIterator<Item = ([f64; 2], u32)>) -> PointIndex {
        let entries = points
            .into_iter()
            .map(|(p, k)| PointEntry::new(p, k))
            .collect();
        PointIndex {
            tree: RTree::bulk_load(entries),
        }
    }
    pub fn len(&self) -> usize {
        self.tree.size()
    }
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
    pub fn insert(&mut self, p: [f64; 2], key: u32) {
        self.tree.insert(PointEntry::new(p, key));
    }
    /// Removes the entry with this position and key; true if it was there.
    pub fn remove(&mut self, p: [f64; 2], key: u32) -> bool {
        self.tree.remove(&PointEntry::new(p, key)).is_some()
    }
    /// Keys of the points inside the box (edges included).
    pub fn query(&self, b: &Bbox) -> impl Iterator<Item = (u32, [f64; 2])> + '_ {
        self.tree
            .locate_in_envelope(&b.aabb())
            .map(|e| (e.data, *e.geom()))
    }
    /// The nearest point within `max_dist`, if any.
    pub fn nearest_within(&self, p: [f64; 2], max_dist: f64) -> Option<(u32, f64)> {
        let e = self.tree.nearest_neighbor(&p)?;
        let d = dist(*e.geom(), p);
        (d <= max_dist).then_some((e.data, d))
    }
    /// The nearest point within `max_dist` for which `keep(key)` holds.
    pub fn nearest_within_where(
        &self,
        p: [f64; 2],
        max_dist: f64,
        keep: impl Fn(u32) -> bool,
    ) -> Option<(u32, f64)> {
        self.tree
            .nearest_neighbor_iter(&p)
            .map(|e| (e.data, dist(*e.geom(), p)))
            .take_while(|(_, d)| *d <= max_dist)
            .find(|(k, _)| keep(*k))
    }

    /// Every point, nearest first and lazily, as `(key, position, distance)`:
    /// for searches that stop by their own rule (`field::nearest`, exact
    /// by ground distance). Empty for a non-finite `p` (rstar's ordering
    /// would panic on NaN).
    pub fn nearest_iter(&self, p: [f64; 2]) -> impl Iterator<Item = (u32, [f64; 2], f64)> + '_ {
        (p[0].is_finite() && p[1].is_finite())
            .then(|| self.tree.nearest_neighbor_iter_with_distance_2(&p))
            .into_iter()
            .flatten()
            .map(|(e, d2)| (e.data, *e.geom(), d2.sqrt()))
    }

    /// The `k` nearest points, nearest first, with distances.
    pub fn k_nearest(&self, p: [f64; 2], k: usize) -> Vec<(u32, f64)> {
        self.tree
            .nearest_neighbor_iter(&p)
            .take(k)
            .map(|e| (e.data, dist(*e.geom(), p)))
            .collect()
    }
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Areas (multipolygons) indexed by their bounding boxes; the exact test is
/// point-in-polygon on the candidates.
#[derive(Clone, Debug, Default)]
pub struct AreaIndex {
    tree: RTree<BoxEntry>,
}

/// Bounding box of a multipolygon, or `None` when it is empty.
pub fn bbox_of(mp: &MultiPolygon<f64>) -> Option<Bbox> {
    mp.bounding_rect()
        .map(|r| Bbox::new([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

impl AreaIndex {
    /// Indexes `areas[i]` under key `i`.
    pub fn bulk_load(areas: &[MultiPolygon<f64>]) -> AreaIndex {
        let entries = areas
            .iter()
            .enumerate()
            .filter_map(|(i, mp)| {
                bbox_of(mp).map(|b| BoxEntry::new(Rectangle::from_corners(b.min, b.max), i as u32))
            })
            .collect();
        AreaIndex {
            tree: RTree::bulk_load(entries),
        }
    }
    pub fn len(&self) -> usize {
        self.tree.size()
    }
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
    /// Keys whose bounding boxes meet the box.
    pub fn query(&self, b: &Bbox) -> impl Iterator<Item = u32> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&b.aabb())
            .map(|e| e.data)
    }
    /// All keys of areas that contain the point, in key order.
    pub fn locate_all(&self, areas: &[MultiPolygon<f64>], p: [f64; 2]) -> Vec<u32> {
        let pt = Point::new(p[0], p[1]);
        let mut hits: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point(p))
            .map(|e| e.data)
            .filter(|&k| areas.get(k as usize).is_some_and(|a| a.contains(&pt)))
            .collect();
        hits.sort_unstable();
        hits
    }
    /// The first (lowest key) area containing the point.
    pub fn locate(&self, areas: &[MultiPolygon<f64>], p: [f64; 2]) -> Option<u32> {
        self.locate_all(areas, p).into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn random_points(n: usize, seed: u64) -> Vec<[f64; 2]> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..n)
            .map(|_| [rng.random::<f64>(), rng.random::<f64>()])
            .collect()
    }

    #[test]
    fn box_query_equals_brute_force() {
        let pts = random_points(20_000, 1);
        let idx = PointIndex::bulk_load(pts.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        let mut rng = SmallRng::seed_from_u64(2);
        for _ in 0..200 {
            let (x, y) = (rng.random::<f64>(), rng.random::<f64>());
            let (w, h) = (rng.random::<f64>() * 0.2, rng.random::<f64>() * 0.2);
            let b = Bbox::new([x, y], [x + w, y + h]);
            let mut got: Vec<u32> = idx.query(&b).map(|(k, _)| k).collect();
            got.sort_unstable();
            let want: Vec<u32> = (0..pts.len() as u32)
                .filter(|&i| b.contains(pts[i as usize]))
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn k_nearest_equals_brute_force() {
        let pts = random_points(5_000, 3);
        let idx = PointIndex::bulk_load(pts.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        let mut rng = SmallRng::seed_from_u64(4);
        for _ in 0..100 {
            let q = [rng.random::<f64>(), rng.random::<f64>()];
            let got: Vec<u32> = idx.k_nearest(q, 10).into_iter().map(|(k, _)| k).collect();
            let mut all: Vec<(f64, u32)> = pts
                .iter()
                .enumerate()
                .map(|(i, p)| (dist(*p, q), i as u32))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0));
            let want: Vec<u32> = all[..10].iter().map(|x| x.1).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn nearest_within_respects_radius_and_insert_remove_work() {
        let mut idx = PointIndex::bulk_load([([0.0, 0.0], 0), ([1.0, 1.0], 1)]);
        assert_eq!(idx.nearest_within([0.1, 0.0], 0.2).map(|x| x.0), Some(0));
        assert_eq!(idx.nearest_within([0.5, 0.5], 0.2), None);
        idx.insert([0.5, 0.55], 2);
        assert_eq!(idx.nearest_within([0.5, 0.5], 0.2).map(|x| x.0), Some(2));
        // Filtered: the nearest *kept* point within the radius, or none.
        assert_eq!(idx.nearest_within_where([0.5, 0.5], 0.2, |k| k != 2), None);
        assert_eq!(
            idx.nearest_within_where([0.1, 0.1], 2.0, |k| k != 0)
                .map(|x| x.0),
            Some(2)
        );
        assert!(idx.remove([0.5, 0.55], 2));
        assert!(!idx.remove([0.5, 0.55], 2));
        assert_eq!(idx.len(), 2);
    }

    fn square(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (x0, y0),
                (x0 + s, y0),
                (x0 + s, y0 + s),
                (x0, y0 + s),
                (x0, y0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn point_in_polygon_assignment_equals_brute_force() {
        // A 10×10 checkerboard of unit squares, plus a triangle whose bbox
        // covers many squares but whose area covers only half.
        let mut areas: Vec<MultiPolygon<f64>> = (0..100)
            .map(|i| square((i % 10) as f64, (i / 10) as f64, 1.0))
            .collect();
        areas.push(MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (0.0, 0.0)]),
            vec![],
        )]));
        let idx = AreaIndex::bulk_load(&areas);
        let mut rng = SmallRng::seed_from_u64(5);
        for _ in 0..2000 {
            let p = [rng.random::<f64>() * 10.0, rng.random::<f64>() * 10.0];
            let want: Vec<u32> = (0..areas.len() as u32)
                .filter(|&i| areas[i as usize].contains(&Point::new(p[0], p[1])))
                .collect();
            assert_eq!(idx.locate_all(&areas, p), want);
            let cell = (p[1].floor() * 10.0 + p[0].floor()) as u32;
            assert_eq!(idx.locate(&areas, p), Some(cell));
        }
        assert_eq!(idx.locate(&areas, [-1.0, 5.0]), None);
    }
}
