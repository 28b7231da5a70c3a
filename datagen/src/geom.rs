//! Planar geometry in longitude/latitude degrees for the generator.
//!
//! Everything generated lives inside ~0.35° of latitude around 22.69°N, so a
//! local metric (degrees scaled by [`KX`], [`KY`]) is enough for sizes,
//! distances and area *proportions*; areas reported in the files are
//! ellipsoidal (see [`wgs84_area_m2`]).
//!
//! Shapes are hole-free simple polygons: a [`Ring`] is an open vertex list
//! (the closing vertex is not repeated) in counter-clockwise order, and a
//! [`Cell`] is one or more such rings (a multi-part area). Cutting a hole-free
//! polygon with a half-plane yields hole-free polygons, so the recursive
//! bisection never needs holes.
//!
//! The predicates are `geo`'s: point in ring (`coord_pos_relative_to_ring`,
//! and `IntervalTreeMultiPolygon` for the large indexed rings), segment
//! crossing (`line_intersection`), ring simplicity (the model reader's check,
//! over `geo`'s sweep) and signed area (`Area`). Kept by hand, each said at
//! its function: the half-plane clip of [`area_below`] and the fast path of
//! [`split_ring`] (the bisection's inner loop; the same clip through `geo`'s
//! `BooleanOps`, which `split_ring` falls back to, measured ~240× slower),
//! and the edge bands of [`IndexedRing`] that find the edges near a box.

use geo::algorithm::coordinate_position::{coord_pos_relative_to_ring, CoordPos};
use geo::algorithm::indexed::IntervalTreeMultiPolygon;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Area, BooleanOps, Contains, Coord, Line, LineString, MultiPolygon, Polygon};
use rand::Rng;
use std::sync::Arc;

/// Metres per degree of longitude at 22.69°N.
pub const KX: f64 = 102_754.0;
/// Metres per degree of latitude at 22.69°N.
pub const KY: f64 = 110_740.0;

pub type Ring = Vec<Coord<f64>>;
pub type Cell = Vec<Ring>;

/// Which coordinate a cut is perpendicular to: `X` cuts along a meridian
/// (`lon = c`), `Y` along a parallel (`lat = c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
}

impl Axis {
    #[inline]
    pub fn get(self, c: Coord<f64>) -> f64 {
        match self {
            Axis::X => c.x,
            Axis::Y => c.y,
        }
    }
    #[inline]
    fn other(self, c: Coord<f64>) -> f64 {
        match self {
            Axis::X => c.y,
            Axis::Y => c.x,
        }
    }
    #[inline]
    fn make(self, along: f64, other: f64) -> Coord<f64> {
        match self {
            Axis::X => Coord { x: along, y: other },
            Axis::Y => Coord { x: other, y: along },
        }
    }
}

/// Signed area in degrees² (positive when counter-clockwise), by `geo`'s
/// `Area` on the closed ring.
pub fn signed_area(r: &[Coord<f64>]) -> f64 {
    if r.len() < 3 {
        return 0.0;
    }
    to_polygon(r).signed_area()
}

/// Approximate area in m² (local metric), for weights and targets.
pub fn area_m2(r: &[Coord<f64>]) -> f64 {
    signed_area(r).abs() * KX * KY
}

pub fn cell_area_m2(c: &[Ring]) -> f64 {
    c.iter().map(|r| area_m2(r)).sum()
}

/// Makes the ring counter-clockwise.
pub fn orient_ccw(r: &mut Ring) {
    if signed_area(r) < 0.0 {
        r.reverse();
    }
}

/// `[min_x, min_y, max_x, max_y]`.
pub fn bbox(r: &[Coord<f64>]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in r {
        b[0] = b[0].min(c.x);
        b[1] = b[1].min(c.y);
        b[2] = b[2].max(c.x);
        b[3] = b[3].max(c.y);
    }
    b
}

pub fn cell_bbox(c: &[Ring]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for r in c {
        let rb = bbox(r);
        b[0] = b[0].min(rb[0]);
        b[1] = b[1].min(rb[1]);
        b[2] = b[2].max(rb[2]);
        b[3] = b[3].max(rb[3]);
    }
    b
}

pub fn bbox_overlap(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// Point inside the (open) ring or on its boundary, by `geo`'s winding
/// number: a point on a cut (the bisection cuts through points) stays in
/// the cells on both sides, as the tiling checks expect.
pub fn in_ring(p: Coord<f64>, r: &[Coord<f64>]) -> bool {
    if r.len() < 3 {
        return false;
    }
    let mut closed = LineString(r.to_vec());
    closed.close();
    coord_pos_relative_to_ring(p, &closed) != CoordPos::Outside
}

pub fn in_cell(p: Coord<f64>, c: &[Ring]) -> bool {
    c.iter().any(|r| in_ring(p, r))
}

/// Inside the cell and at least `margin` degrees from its boundary, so the
/// answer cannot depend on how a point-in-polygon test treats edges.
pub fn inside_strict(p: Coord<f64>, c: &[Ring], margin: f64) -> bool {
    if !in_cell(p, c) {
        return false;
    }
    let m2 = margin * margin;
    for r in c {
        let n = r.len();
        for i in 0..n {
            let (a, b) = (r[i], r[(i + 1) % n]);
            if p.x < a.x.min(b.x) - margin
                || p.x > a.x.max(b.x) + margin
                || p.y < a.y.min(b.y) - margin
                || p.y > a.y.max(b.y) + margin
            {
                continue;
            }
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            if (p.x - a.x - t * dx).powi(2) + (p.y - a.y - t * dy).powi(2) <= m2 {
                return false;
            }
        }
    }
    true
}

/// Inserts into `parent`'s rings every vertex of `children` that lies on a
/// parent edge (T-junctions left by cuts), so that after rounding to 6
/// decimals parent and children still share those vertices exactly.
pub fn add_t_junctions(parent: &mut Cell, children: &[&Cell]) {
    use std::collections::HashSet;
    let existing: HashSet<(u64, u64)> = parent.iter().flatten().map(|p| key(*p)).collect();
    let mut extra: Vec<Coord<f64>> = children
        .iter()
        .flat_map(|c| c.iter().flatten())
        .filter(|p| !existing.contains(&key(**p)))
        .copied()
        .collect();
    extra.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    extra.dedup();
    if extra.is_empty() {
        return;
    }
    for ring in parent.iter_mut() {
        let idx = IndexedRing::new(ring.clone());
        let n = ring.len();
        // (edge index, parameter along the edge, point)
        let mut ins: Vec<(usize, f64, Coord<f64>)> = Vec::new();
        for &v in &extra {
            let eps = 1e-9;
            let bb = [v.x - eps, v.y - eps, v.x + eps, v.y + eps];
            let mut found: Option<(usize, f64)> = None;
            idx.edges_near_indexed(&bb, |i, a, b| {
                let (dx, dy) = (b.x - a.x, b.y - a.y);
                let l2 = dx * dx + dy * dy;
                if l2 == 0.0 {
                    return false;
                }
                let t = ((v.x - a.x) * dx + (v.y - a.y) * dy) / l2;
                if t <= 0.0 || t >= 1.0 {
                    return false;
                }
                let d2 = (v.x - a.x - t * dx).powi(2) + (v.y - a.y - t * dy).powi(2);
                if d2 < 1e-20 {
                    found = Some((i, t));
                    return true;
                }
                false
            });
            if let Some((i, t)) = found {
                ins.push((i, t, v));
            }
        }
        if ins.is_empty() {
            continue;
        }
        ins.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut out = Vec::with_capacity(n + ins.len());
        let mut k = 0;
        for (i, v) in ring.iter().enumerate() {
            out.push(*v);
            while k < ins.len() && ins[k].0 == i {
                out.push(ins[k].2);
                k += 1;
            }
        }
        dedup_ring(&mut out);
        *ring = out;
    }
}

/// Centroid of a cell (area-weighted over its parts).
pub fn centroid(c: &[Ring]) -> Coord<f64> {
    let (mut ax, mut ay, mut aw) = (0.0, 0.0, 0.0);
    for r in c {
        let n = r.len();
        let o = r[0];
        let (mut cx, mut cy, mut a2) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let p = r[i] - o;
            let q = r[(i + 1) % n] - o;
            let cr = p.x * q.y - q.x * p.y;
            a2 += cr;
            cx += (p.x + q.x) * cr;
            cy += (p.y + q.y) * cr;
        }
        if a2.abs() > 0.0 {
            ax += (cx / (3.0 * a2) + o.x) * a2.abs();
            ay += (cy / (3.0 * a2) + o.y) * a2.abs();
            aw += a2.abs();
        }
    }
    if aw > 0.0 {
        Coord {
            x: ax / aw,
            y: ay / aw,
        }
    } else {
        c[0][0]
    }
}

/// A large ring (subdistricts, big parks) indexed for point-in-polygon
/// (`geo`'s `IntervalTreeMultiPolygon`) and for the edges near a box
/// (horizontal bands of edges, kept by hand: `geo` has no query for the
/// segments of a ring that meet a box).
#[derive(Clone)]
pub struct IndexedRing {
    pub ring: Ring,
    pub bbox: [f64; 4],
    y0: f64,
    dy: f64,
    bands: Vec<Vec<u32>>,
    inside: Arc<IntervalTreeMultiPolygon<f64>>,
}

impl std::fmt::Debug for IndexedRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexedRing")
            .field("vertices", &self.ring.len())
            .field("bbox", &self.bbox)
            .finish()
    }
}

impl IndexedRing {
    pub fn new(ring: Ring) -> IndexedRing {
        let bb = bbox(&ring);
        let nb = (ring.len() / 4).clamp(1, 512);
        let dy = ((bb[3] - bb[1]) / nb as f64).max(1e-12);
        let mut bands = vec![Vec::new(); nb];
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let lo = (((a.y.min(b.y)) - bb[1]) / dy).floor().max(0.0) as usize;
            let hi = ((((a.y.max(b.y)) - bb[1]) / dy).floor() as usize).min(nb - 1);
            for band in bands.iter_mut().take(hi + 1).skip(lo.min(nb - 1)) {
                band.push(i as u32);
            }
        }
        let inside = Arc::new(IntervalTreeMultiPolygon::new(&MultiPolygon(vec![
            to_polygon(&ring),
        ])));
        IndexedRing {
            ring,
            bbox: bb,
            y0: bb[1],
            dy,
            bands,
            inside,
        }
    }
    pub fn contains(&self, p: Coord<f64>) -> bool {
        if p.x < self.bbox[0] || p.x > self.bbox[2] || p.y < self.bbox[1] || p.y > self.bbox[3] {
            return false;
        }
        self.inside.contains(&p)
    }
    /// Calls `f` with each edge whose bbox may meet `bb` (an edge can be
    /// reported more than once).
    fn edges_near(&self, bb: &[f64; 4], mut f: impl FnMut(Coord<f64>, Coord<f64>) -> bool) -> bool {
        self.edges_near_indexed(bb, |_, a, b| f(a, b))
    }
    fn edges_near_indexed(
        &self,
        bb: &[f64; 4],
        mut f: impl FnMut(usize, Coord<f64>, Coord<f64>) -> bool,
    ) -> bool {
        if !bbox_overlap(bb, &self.bbox) {
            return false;
        }
        let nb = self.bands.len();
        let lo = (((bb[1] - self.y0) / self.dy).floor().max(0.0) as usize).min(nb - 1);
        let hi = (((bb[3] - self.y0) / self.dy).floor().max(0.0) as usize).min(nb - 1);
        let n = self.ring.len();
        for band in &self.bands[lo..=hi] {
            for &i in band {
                let (a, b) = (self.ring[i as usize], self.ring[(i as usize + 1) % n]);
                if a.x.max(b.x) < bb[0]
                    || a.x.min(b.x) > bb[2]
                    || a.y.max(b.y) < bb[1]
                    || a.y.min(b.y) > bb[3]
                {
                    continue;
                }
                if f(i as usize, a, b) {
                    return true;
                }
            }
        }
        false
    }
    /// True when the (small) ring `r` lies entirely inside this ring.
    pub fn contains_ring(&self, r: &[Coord<f64>]) -> bool {
        if !r.iter().all(|p| self.contains(*p)) {
            return false;
        }
        let bb = bbox(r);
        !self.edges_near(&bb, |a, b| ring_crosses_segment(r, a, b))
    }
    /// True when ring `r` and this ring overlap (cross or one inside the other).
    pub fn overlaps_ring(&self, r: &[Coord<f64>]) -> bool {
        let bb = bbox(r);
        if !bbox_overlap(&bb, &self.bbox) {
            return false;
        }
        if r.iter().any(|p| self.contains(*p)) {
            return true;
        }
        if self
            .ring
            .iter()
            .any(|p| p.x >= bb[0] && p.x <= bb[2] && p.y >= bb[1] && p.y <= bb[3] && in_ring(*p, r))
        {
            return true;
        }
        self.edges_near(&bb, |a, b| ring_crosses_segment(r, a, b))
    }
}

/// Proper crossing of segments ab and cd (touching and collinear overlap do
/// not count), by `geo`'s `line_intersection`.
#[inline]
pub fn segments_cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    matches!(
        line_intersection(Line::new(a, b), Line::new(c, d)),
        Some(LineIntersection::SinglePoint {
            is_proper: true,
            ..
        })
    )
}

fn ring_crosses_segment(r: &[Coord<f64>], a: Coord<f64>, b: Coord<f64>) -> bool {
    let n = r.len();
    (0..n).any(|i| segments_cross(r[i], r[(i + 1) % n], a, b))
}

/// True when the (open) ring neither crosses nor touches itself: the rule
/// the model's GeoJSON reader applies to what the generator writes.
pub fn ring_is_simple(r: &[Coord<f64>]) -> bool {
    r.len() >= 3 && pingan_model::geojson_io::check_polygon_rings(&to_polygon(r)).is_ok()
}

/// Area (degrees², unsigned) of the part of ring `r` where `axis < c`
/// (Sutherland–Hodgman; degenerate edges on the cut add no area). Kept by
/// hand: the bisection calls it for every trial cut, and clipping with
/// `geo`'s `BooleanOps::intersection` then `unsigned_area` measured ~240×
/// slower (4,000 clips of 60-vertex rings: 0.64 ms by hand, 154 ms by geo).
pub fn area_below(r: &[Coord<f64>], axis: Axis, c: f64) -> f64 {
    let n = r.len();
    let o = r[0];
    let mut s = 0.0;
    let mut first: Option<Coord<f64>> = None;
    let mut last: Option<Coord<f64>> = None;
    let mut push = |p: Coord<f64>| {
        if let Some(l) = last {
            s += (l.x - o.x) * (p.y - o.y) - (p.x - o.x) * (l.y - o.y);
        } else {
            first = Some(p);
        }
        last = Some(p);
    };
    for i in 0..n {
        let a = r[i];
        let b = r[(i + 1) % n];
        let (ai, bi) = (axis.get(a) < c, axis.get(b) < c);
        if ai {
            push(a);
        }
        if ai != bi {
            let t = (c - axis.get(a)) / (axis.get(b) - axis.get(a));
            push(axis.make(c, axis.other(a) + t * (axis.other(b) - axis.other(a))));
        }
    }
    if let (Some(f), Some(l)) = (first, last) {
        s += (l.x - o.x) * (f.y - o.y) - (f.x - o.x) * (l.y - o.y);
    }
    (s / 2.0).abs()
}

struct Crossing {
    p: Coord<f64>,
    along: f64,
    tie: f64,
    enters_left: bool,
    pos: usize,
    partner: usize,
}

enum Node {
    V(Coord<f64>),
    X(usize),
}

/// Splits a simple hole-free ring by the line `axis = c` into the pieces
/// with `axis < c` ("left") and `axis ≥ c` ("right"). Vertices exactly on
/// the line count as right. Both sides share the same crossing points, so
/// the pieces tile the input exactly. Falls back to boolean ops if the fast
/// path's result does not preserve the area.
pub fn split_ring(r: &[Coord<f64>], axis: Axis, c: f64) -> (Vec<Ring>, Vec<Ring>) {
    let left: Vec<bool> = r.iter().map(|p| axis.get(*p) < c).collect();
    if left.iter().all(|&l| l) {
        return (vec![r.to_vec()], Vec::new());
    }
    if left.iter().all(|&l| !l) {
        return (Vec::new(), vec![r.to_vec()]);
    }
    if let Some(res) = split_fast(r, &left, axis, c) {
        let total = signed_area(r).abs();
        let got: f64 = res
            .0
            .iter()
            .chain(res.1.iter())
            .map(|p| signed_area(p).abs())
            .sum();
        if (got - total).abs() <= 1e-9 * total.max(1e-12) {
            return res;
        }
    }
    split_boolean(r, axis, c)
}

fn split_fast(
    r: &[Coord<f64>],
    left: &[bool],
    axis: Axis,
    c: f64,
) -> Option<(Vec<Ring>, Vec<Ring>)> {
    let n = r.len();
    let mut aug: Vec<Node> = Vec::with_capacity(n + 8);
    let mut xs: Vec<Crossing> = Vec::new();
    for i in 0..n {
        aug.push(Node::V(r[i]));
        let j = (i + 1) % n;
        if left[i] != left[j] {
            let (a, b) = (r[i], r[j]);
            let t = (c - axis.get(a)) / (axis.get(b) - axis.get(a));
            let along = axis.other(a) + t * (axis.other(b) - axis.other(a));
            let (rp, lp) = if left[i] { (b, a) } else { (a, b) };
            let tie = -(axis.other(lp) - axis.other(rp)) / (axis.get(lp) - axis.get(rp));
            xs.push(Crossing {
                p: axis.make(c, along),
                along,
                tie,
                enters_left: left[j],
                pos: aug.len(),
                partner: usize::MAX,
            });
            aug.push(Node::X(xs.len() - 1));
        }
    }
    if !xs.len().is_multiple_of(2) {
        return None;
    }
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| {
        xs[a]
            .along
            .total_cmp(&xs[b].along)
            .then(xs[a].tie.total_cmp(&xs[b].tie))
    });
    for pair in order.chunks(2) {
        xs[pair[0]].partner = pair[1];
        xs[pair[1]].partner = pair[0];
        if xs[pair[0]].enters_left == xs[pair[1]].enters_left {
            return None;
        }
    }
    let build = |side_left: bool| -> Option<Vec<Ring>> {
        let mut used = vec![false; xs.len()];
        let mut out = Vec::new();
        for start in 0..xs.len() {
            if used[start] || xs[start].enters_left != side_left {
                continue;
            }
            let mut ring: Ring = Vec::new();
            let mut cur = start;
            let mut guard = 0;
            loop {
                guard += 1;
                if guard > xs.len() + 2 {
                    return None;
                }
                used[cur] = true;
                ring.push(xs[cur].p);
                let mut q = (xs[cur].pos + 1) % aug.len();
                let exit = loop {
                    match aug[q] {
                        Node::V(p) => ring.push(p),
                        Node::X(e) => break e,
                    }
                    q = (q + 1) % aug.len();
                };
                if xs[exit].enters_left == side_left {
                    return None;
                }
                used[exit] = true;
                ring.push(xs[exit].p);
                let next = xs[exit].partner;
                if next == start {
                    break;
                }
                if used[next] {
                    return None;
                }
                cur = next;
            }
            dedup_ring(&mut ring);
            if ring.len() >= 3 && signed_area(&ring).abs() > 1e-16 {
                out.push(ring);
            }
        }
        Some(out)
    };
    Some((build(true)?, build(false)?))
}

/// Removes consecutive duplicate vertices (and a duplicate closing vertex).
pub fn dedup_ring(r: &mut Ring) {
    r.dedup();
    while r.len() > 1 && r.first() == r.last() {
        r.pop();
    }
}

fn split_boolean(r: &[Coord<f64>], axis: Axis, c: f64) -> (Vec<Ring>, Vec<Ring>) {
    let bb = bbox(r);
    let pad = 1.0;
    let poly = to_polygon(r);
    let rect = |lo: f64, hi: f64| -> Polygon<f64> {
        let pts: Vec<(f64, f64)> = match axis {
            Axis::X => vec![
                (lo, bb[1] - pad),
                (hi, bb[1] - pad),
                (hi, bb[3] + pad),
                (lo, bb[3] + pad),
                (lo, bb[1] - pad),
            ],
            Axis::Y => vec![
                (bb[0] - pad, lo),
                (bb[2] + pad, lo),
                (bb[2] + pad, hi),
                (bb[0] - pad, hi),
                (bb[0] - pad, lo),
            ],
        };
        Polygon::new(LineString::from(pts), vec![])
    };
    let (lo, hi) = match axis {
        Axis::X => (bb[0] - pad, bb[2] + pad),
        Axis::Y => (bb[1] - pad, bb[3] + pad),
    };
    let l = poly.intersection(&rect(lo, c));
    let rr = poly.intersection(&rect(c, hi));
    (from_multipolygon(&l), from_multipolygon(&rr))
}

/// Closes a ring into a `geo` polygon.
pub fn to_polygon(r: &[Coord<f64>]) -> Polygon<f64> {
    let mut pts = r.to_vec();
    pts.push(r[0]);
    Polygon::new(LineString(pts), vec![])
}

pub fn to_multipolygon(c: &[Ring]) -> MultiPolygon<f64> {
    MultiPolygon(c.iter().map(|r| to_polygon(r)).collect())
}

/// Exteriors of a multipolygon as open CCW rings (holes are dropped: the
/// generator's shapes have none).
pub fn from_multipolygon(mp: &MultiPolygon<f64>) -> Vec<Ring> {
    mp.0.iter()
        .filter_map(|p| {
            let mut r: Ring = p.exterior().0.clone();
            dedup_ring(&mut r);
            orient_ccw(&mut r);
            (r.len() >= 3 && signed_area(&r).abs() > 1e-16).then_some(r)
        })
        .collect()
}

/// Area in m² on the WGS84 ellipsoid with straight lon/lat edges (RFC
/// 7946), as `pingan_model::analysis::area_m2` computes it.
pub fn wgs84_area_m2(c: &[Ring]) -> f64 {
    pingan_model::analysis::area_m2(&to_multipolygon(c))
}

pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Rounds every vertex to 6 decimals (what the files hold) and drops
/// repeated vertices, so later point-in-polygon tests see the written shape.
pub fn round_cell(c: &mut Cell) {
    for r in c.iter_mut() {
        for p in r.iter_mut() {
            p.x = round6(p.x);
            p.y = round6(p.y);
        }
        dedup_ring(r);
    }
    c.retain(|r| r.len() >= 3 && signed_area(r).abs() > 0.0);
}

pub fn round_coord(p: Coord<f64>) -> Coord<f64> {
    Coord {
        x: round6(p.x),
        y: round6(p.y),
    }
}

/// Offsets a point by metres east/north.
pub fn offset(p: Coord<f64>, east_m: f64, north_m: f64) -> Coord<f64> {
    Coord {
        x: p.x + east_m / KX,
        y: p.y + north_m / KY,
    }
}

/// Distance in metres (local metric).
pub fn dist_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (((a.x - b.x) * KX).powi(2) + ((a.y - b.y) * KY).powi(2)).sqrt()
}

/// An irregular blob: a star-shaped polygon of `n` vertices around `c` with
/// mean radius `r` metres, a few low harmonics, elongation `elong` (≥ 1)
/// along a random direction. All vertices lie within `r · 1.45 · elong`.
pub fn blob(rng: &mut impl Rng, c: Coord<f64>, r: f64, n: usize, elong: f64) -> Ring {
    let rot: f64 = rng.random::<f64>() * std::f64::consts::TAU;
    let harmonics: Vec<(f64, f64, f64)> = (2..=4)
        .map(|k| {
            (
                k as f64,
                rng.random_range(0.0..0.16) / (k as f64 - 1.0),
                rng.random::<f64>() * std::f64::consts::TAU,
            )
        })
        .collect();
    let (sr, cr) = rot.sin_cos();
    let mut ring = Vec::with_capacity(n);
    for i in 0..n {
        let th = i as f64 / n as f64 * std::f64::consts::TAU;
        let mut rad = 1.0;
        for (k, a, ph) in &harmonics {
            rad += a * (k * th + ph).cos();
        }
        rad *= 1.0 + rng.random_range(-0.06..0.06);
        let rad = rad.max(0.45) * r;
        let (ex, ny) = (rad * th.cos() * elong, rad * th.sin());
        let (e, nn) = (ex * cr - ny * sr, ex * sr + ny * cr);
        ring.push(offset(c, e, nn));
    }
    ring
}

/// A rotated rectangle `len × width` metres centred on `c` (road green belts).
pub fn strip(c: Coord<f64>, len: f64, width: f64, angle: f64) -> Ring {
    let (s, co) = angle.sin_cos();
    let (hl, hw) = (len / 2.0, width / 2.0);
    [(-hl, -hw), (hl, -hw), (hl, hw), (-hl, hw)]
        .iter()
        .map(|(x, y)| offset(c, x * co - y * s, x * s + y * co))
        .collect()
}

/// A band along a polyline (rivers, tunnels, bridges): the left offsets
/// forward then the right offsets back. Assumes gentle bends.
pub fn band(line: &[Coord<f64>], half_width: f64) -> Ring {
    let n = line.len();
    let mut lefts = Vec::with_capacity(n);
    let mut rights = Vec::with_capacity(n);
    for i in 0..n {
        let a = line[i.saturating_sub(1)];
        let b = line[(i + 1).min(n - 1)];
        let (dx, dy) = ((b.x - a.x) * KX, (b.y - a.y) * KY);
        let l = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (nx, ny) = (-dy / l, dx / l);
        lefts.push(offset(line[i], nx * half_width, ny * half_width));
        rights.push(offset(line[i], -nx * half_width, -ny * half_width));
    }
    rights.reverse();
    lefts.extend(rights);
    let mut r = lefts;
    orient_ccw(&mut r);
    r
}

/// Uniform random point in a cell by rejection in its bbox.
pub fn random_point_in(rng: &mut impl Rng, c: &[Ring], tries: usize) -> Option<Coord<f64>> {
    let bb = cell_bbox(c);
    for _ in 0..tries {
        let p = Coord {
            x: rng.random_range(bb[0]..bb[2]),
            y: rng.random_range(bb[1]..bb[3]),
        };
        if in_cell(p, c) {
            return Some(p);
        }
    }
    None
}

/// Douglas–Peucker on an open polyline (endpoints kept), tolerance in metres.
pub fn douglas_peucker(pts: &[Coord<f64>], tol_m: f64) -> Vec<Coord<f64>> {
    let n = pts.len();
    if n <= 2 {
        return pts.to_vec();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut stack = vec![(0usize, n - 1)];
    while let Some((i, j)) = stack.pop() {
        if j <= i + 1 {
            continue;
        }
        let (a, b) = (pts[i], pts[j]);
        let (ax, ay, bx, by) = (a.x * KX, a.y * KY, b.x * KX, b.y * KY);
        let (dx, dy) = (bx - ax, by - ay);
        let l2 = dx * dx + dy * dy;
        let mut best = (0.0, i);
        for (k, p) in pts.iter().enumerate().take(j).skip(i + 1) {
            let (px, py) = (p.x * KX, p.y * KY);
            let d = if l2 == 0.0 {
                ((px - ax).powi(2) + (py - ay).powi(2)).sqrt()
            } else {
                let t = (((px - ax) * dx + (py - ay) * dy) / l2).clamp(0.0, 1.0);
                ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt()
            };
            if d > best.0 {
                best = (d, k);
            }
        }
        if best.0 > tol_m {
            keep[best.1] = true;
            stack.push((i, best.1));
            stack.push((best.1, j));
        }
    }
    pts.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

/// Simplifies rings that share borders vertex for vertex so that shared
/// borders stay identical: rings are cut at nodes (where the set of rings
/// using a vertex changes) and each chain is simplified on its own, in a
/// canonical direction. Returns `None` if a ring would stop being simple.
pub fn simplify_shared(rings: &[Ring], tol_m: f64) -> Option<Vec<Ring>> {
    use std::collections::HashMap;
    let mut users: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (ri, r) in rings.iter().enumerate() {
        for p in r {
            let u = users.entry(key(*p)).or_default();
            if !u.contains(&ri) {
                u.push(ri);
            }
        }
    }
    let mut out = Vec::with_capacity(rings.len());
    for r in rings {
        let n = r.len();
        let set = |i: usize| -> Vec<usize> {
            let mut s = users[&key(r[i % n])].clone();
            s.sort_unstable();
            s
        };
        let mut nodes: Vec<usize> = (0..n)
            .filter(|&i| {
                let s = set(i);
                s.len() >= 3 || s != set(i + n - 1) || s != set(i + 1)
            })
            .collect();
        if nodes.len() < 2 {
            nodes = vec![0, n / 2];
        }
        let mut ring: Ring = Vec::new();
        for w in 0..nodes.len() {
            let (a, b) = (nodes[w], nodes[(w + 1) % nodes.len()]);
            let b = if b <= a { b + n } else { b };
            let chain: Vec<Coord<f64>> = (a..=b).map(|i| r[i % n]).collect();
            let forward = key(chain[0]) <= key(chain[chain.len() - 1]);
            let simplified = if forward {
                douglas_peucker(&chain, tol_m)
            } else {
                let mut rev = chain.clone();
                rev.reverse();
                let mut s = douglas_peucker(&rev, tol_m);
                s.reverse();
                s
            };
            ring.extend_from_slice(&simplified[..simplified.len() - 1]);
        }
        dedup_ring(&mut ring);
        if ring.len() < 4 || !ring_is_simple(&ring) {
            return None;
        }
        orient_ccw(&mut ring);
        out.push(ring);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn split_concave_u_shape_into_three_pieces() {
        // A "U": cutting it horizontally through the arms gives two arms above
        // and the base below.
        let u = vec![
            c(0., 0.),
            c(3., 0.),
            c(3., 3.),
            c(2., 3.),
            c(2., 1.),
            c(1., 1.),
            c(1., 3.),
            c(0., 3.),
        ];
        assert!(signed_area(&u) > 0.0);
        let (below, above) = split_ring(&u, Axis::Y, 2.0);
        assert_eq!(below.len(), 1);
        assert_eq!(above.len(), 2);
        let a: f64 = below
            .iter()
            .chain(above.iter())
            .map(|r| signed_area(r))
            .sum();
        assert!((a - 7.0).abs() < 1e-12, "{a}");
        assert!((signed_area(&below[0]) - 5.0).abs() < 1e-12);
        for r in below.iter().chain(above.iter()) {
            assert!(signed_area(r) > 0.0, "pieces keep CCW orientation");
            assert!(ring_is_simple(r));
        }
        assert!((area_below(&u, Axis::Y, 2.0) - 5.0).abs() < 1e-12);
        assert!((area_below(&u, Axis::X, 1.5) - 3.5).abs() < 1e-12);
        // Vertical cut through the gap.
        let (l, r) = split_ring(&u, Axis::X, 1.5);
        assert_eq!((l.len(), r.len()), (1, 1));
        assert!((signed_area(&l[0]) - 3.5).abs() < 1e-12);
    }

    #[test]
    fn split_with_vertex_on_line() {
        let diamond = vec![c(0., -1.), c(1., 0.), c(0., 1.), c(-1., 0.)];
        let (l, r) = split_ring(&diamond, Axis::X, 0.0);
        assert_eq!((l.len(), r.len()), (1, 1));
        assert!(
            (signed_area(&l[0]) - 1.0).abs() < 1e-12 && (signed_area(&r[0]) - 1.0).abs() < 1e-12
        );
        let (l, r) = split_ring(&diamond, Axis::X, 1.0);
        assert_eq!(l.len(), 1);
        assert!(r.is_empty());
    }

    #[test]
    fn indexed_ring_matches_plain_pip() {
        use rand::{rngs::SmallRng, SeedableRng};
        let mut rng = SmallRng::seed_from_u64(1);
        let r = blob(&mut rng, c(113.9, 22.6), 2000.0, 300, 1.5);
        let ir = IndexedRing::new(r.clone());
        for _ in 0..5000 {
            let p = c(
                rng.random_range(113.85..113.95),
                rng.random_range(22.55..22.65),
            );
            assert_eq!(ir.contains(p), in_ring(p, &r));
        }
        let small = blob(&mut rng, c(113.9, 22.6), 100.0, 16, 1.0);
        assert!(ir.contains_ring(&small));
        assert!(ir.overlaps_ring(&small));
        let far = blob(&mut rng, c(114.2, 22.6), 100.0, 16, 1.0);
        assert!(!ir.contains_ring(&far) && !ir.overlaps_ring(&far));
    }

    #[test]
    fn shared_borders_stay_shared_after_simplification() {
        // Two squares sharing a wiggly border.
        let mut border: Vec<Coord<f64>> = (0..=100).map(|i| c(0.0, i as f64 * 1e-5)).collect();
        for (i, p) in border.iter_mut().enumerate() {
            p.x += ((i as f64) * 0.7).sin() * 2e-7;
        }
        let mut a: Ring = border.clone();
        a.push(c(-1e-3, 1e-3));
        a.push(c(-1e-3, 0.0));
        let mut b: Ring = border.iter().rev().cloned().collect();
        b.push(c(1e-3, 0.0));
        b.push(c(1e-3, 1e-3));
        let s = simplify_shared(&[a.clone(), b.clone()], 1.0).unwrap();
        let sa = wgs84_area_m2(&[s[0].clone()]) + wgs84_area_m2(&[s[1].clone()]);
        let oa = wgs84_area_m2(&[a]) + wgs84_area_m2(&[b]);
        assert!((sa - oa).abs() / oa < 1e-3);
        let shared_a: Vec<_> = s[0]
            .iter()
            .filter(|p| p.x.abs() < 1e-6)
            .map(|p| key(*p))
            .collect();
        let mut shared_b: Vec<_> = s[1]
            .iter()
            .filter(|p| p.x.abs() < 1e-6)
            .map(|p| key(*p))
            .collect();
        shared_b.sort();
        let mut sa_sorted = shared_a.clone();
        sa_sorted.sort();
        assert_eq!(sa_sorted, shared_b);
        assert!(shared_a.len() < 20);
    }
}
