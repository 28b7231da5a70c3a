//! Screen-space aggregation of point layers for low zooms: points are binned
//! into square cells of a fixed size in world units (so bins are stable while
//! panning), and each bin is drawn as one symbol with its count.

use std::collections::HashMap;

/// One bin: how many points fell in it and their centroid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bin {
    pub count: u32,
    pub cx: f64,
    pub cy: f64,
}

/// Points binned on a square lattice of `cell` world units.
#[derive(Clone, Debug, Default)]
pub struct Bins {
    pub cell: f64,
    sums: HashMap<(i64, i64), (u32, f64, f64)>,
}

impl Bins {
    pub fn new(cell: f64) -> Bins {
        Bins {
            cell,
            sums: HashMap::new(),
        }
    }
    fn key(&self, p: [f64; 2]) -> (i64, i64) {
        (
            (p[0] / self.cell).floor() as i64,
            (p[1] / self.cell).floor() as i64,
        )
    }
    pub fn add(&mut self, p: [f64; 2]) {
        let k = self.key(p);
        let e = self.sums.entry(k).or_insert((0, 0.0, 0.0));
        e.0 += 1;
        e.1 += p[0];
        e.2 += p[1];
    }
    /// Removes a point added earlier (live updates); empty bins disappear.
    pub fn remove(&mut self, p: [f64; 2]) {
        let k = self.key(p);
        if let Some(e) = self.sums.get_mut(&k) {
            e.0 = e.0.saturating_sub(1);
            e.1 -= p[0];
            e.2 -= p[1];
            if e.0 == 0 {
                self.sums.remove(&k);
            }
        }
    }
    pub fn from_points(cell: f64, pts: impl IntoIterator<Item = [f64; 2]>) -> Bins {
        let mut b = Bins::new(cell);
        for p in pts {
            b.add(p);
        }
        b
    }
    /// Total points binned.
    pub fn total(&self) -> u64 {
        self.sums.values().map(|e| e.0 as u64).sum()
    }
    pub fn len(&self) -> usize {
        self.sums.len()
    }
    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }
    /// Bins whose cells meet the box `[min, max]`.
    pub fn in_box(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = Bin> + '_ {
        let (kx0, ky0) = self.key(min);
        let (kx1, ky1) = self.key(max);
        self.sums
            .iter()
            .filter(move |(k, _)| k.0 >= kx0 && k.0 <= kx1 && k.1 >= ky0 && k.1 <= ky1)
            .map(|(_, e)| Bin {
                count: e.0,
                cx: e.1 / e.0 as f64,
                cy: e.2 / e.0 as f64,
            })
    }
    pub fn all(&self) -> impl Iterator<Item = Bin> + '_ {
        self.sums.values().map(|e| Bin {
            count: e.0,
            cx: e.1 / e.0 as f64,
            cy: e.2 / e.0 as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_centroids_are_inside_cells() {
        let pts: Vec<[f64; 2]> = (0..1000)
            .map(|i| [(i % 37) as f64 * 0.1, (i % 91) as f64 * 0.05])
            .collect();
        let b = Bins::from_points(0.5, pts.iter().copied());
        assert_eq!(b.total(), 1000);
        for bin in b.all() {
            assert!(bin.count > 0);
        }
        let inside: u32 = b.in_box([0.0, 0.0], [0.49, 0.49]).map(|x| x.count).sum();
        let want = pts.iter().filter(|p| p[0] < 0.5 && p[1] < 0.5).count() as u32;
        assert_eq!(inside, want);
    }

    #[test]
    fn remove_undoes_add() {
        let mut b = Bins::new(1.0);
        b.add([0.2, 0.2]);
        b.add([0.4, 0.4]);
        b.remove([0.4, 0.4]);
        let only: Vec<Bin> = b.all().collect();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].count, 1);
        assert!((only[0].cx - 0.2).abs() < 1e-12);
        b.remove([0.2, 0.2]);
        assert!(b.is_empty());
    }
}
