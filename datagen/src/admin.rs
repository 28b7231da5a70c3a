//! The administrative hierarchy: the real subdistricts (simplified with
//! shared borders kept identical), 124 communities and ~4,100 grid cells
//! made by recursive area/population-weighted bisection, and the population
//! sample that weights everything else.

use crate::fields;
use crate::geom::{self, Axis, Cell, IndexedRing, Ring, KX, KY};
use crate::names;
use crate::Error;
use geo::Coord;
use pingan_model::geojson_io::{Feature, Geom};
use rand::rngs::SmallRng;
use rand::Rng;

/// Douglas–Peucker tolerance for the subdistrict outlines, metres.
pub const SIMPLIFY_TOLERANCE_M: f64 = 5.0;
/// Grid cells in all (≥ 4,000 as published).
pub const TOTAL_GRIDS: usize = 4_120;
/// Population sample points (weights for cuts, cases and sites).
pub const POP_POINTS: usize = 120_000;
/// No grid cell may be smaller than this.
pub const MIN_GRID_AREA_M2: f64 = 1_000.0;

/// Static facts per subdistrict: (name, code, population, communities when
/// not given by the CSV, target green coverage).
pub struct StreetInfo {
    pub name: &'static str,
    pub code: &'static str,
    pub population: u64,
    pub communities: usize,
    pub green_target: f64,
}

/// In code order. 石岩 (006) and 新安 (011) carry the codes of
/// communities_partial.csv; the others are assigned south to north.
pub const STREETS: &[StreetInfo] = &[
    StreetInfo {
        name: "西乡街道",
        code: "440306001",
        population: 840_000,
        communities: 19,
        green_target: 0.50,
    },
    StreetInfo {
        name: "航城街道",
        code: "440306002",
        population: 360_000,
        communities: 11,
        green_target: 0.45,
    },
    StreetInfo {
        name: "福永街道",
        code: "440306003",
        population: 440_000,
        communities: 10,
        green_target: 0.40,
    },
    StreetInfo {
        name: "福海街道",
        code: "440306004",
        population: 340_000,
        communities: 8,
        green_target: 0.36,
    },
    StreetInfo {
        name: "沙井街道",
        code: "440306005",
        population: 710_000,
        communities: 15,
        green_target: 0.33,
    },
    StreetInfo {
        name: "石岩街道",
        code: "440306006",
        population: 310_000,
        communities: 0,
        green_target: 0.68,
    },
    StreetInfo {
        name: "新桥街道",
        code: "440306007",
        population: 360_000,
        communities: 9,
        green_target: 0.38,
    },
    StreetInfo {
        name: "松岗街道",
        code: "440306008",
        population: 400_000,
        communities: 12,
        green_target: 0.43,
    },
    StreetInfo {
        name: "燕罗街道",
        code: "440306009",
        population: 220_000,
        communities: 8,
        green_target: 0.55,
    },
    StreetInfo {
        name: "新安街道",
        code: "440306011",
        population: 500_000,
        communities: 0,
        green_target: 0.42,
    },
];

pub struct Subdistrict {
    pub name: String,
    pub name_en: String,
    pub code: String,
    pub population: u64,
    pub green_target: f64,
    pub ring: IndexedRing,
    pub cell: Cell,
    pub area_m2: f64,
}

pub struct Community {
    pub name: String,
    pub base: String,
    pub name_en: String,
    pub base_en: String,
    pub code: String,
    pub sub: usize,
    pub cell: Cell,
    pub population: u64,
    pub area_m2: f64,
    pub grids: std::ops::Range<usize>,
}

pub struct Grid {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub comm: usize,
    pub sub: usize,
    pub cell: Cell,
    pub bbox: [f64; 4],
    pub centroid: Coord<f64>,
    pub population: u64,
    pub area_m2: f64,
    pub worker: String,
    pub worker_phone: String,
    /// Indexes into `Admin::points` of the population sample inside.
    pub points: Vec<u32>,
    pub cases_year: u32,
    pub cases_30d: u32,
}

pub struct Admin {
    pub district: Feature,
    pub subs: Vec<Subdistrict>,
    pub comms: Vec<Community>,
    pub grids: Vec<Grid>,
    pub points: Vec<Coord<f64>>,
}

/// A community listed in communities_partial.csv.
pub struct CsvCommunity {
    pub street: String,
    pub street_code: String,
    pub name: String,
    pub code: String,
}

pub fn parse_csv(text: &str) -> Result<Vec<CsvCommunity>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if i == 0 || line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 4 {
            return Err(Error::Input(format!(
                "communities_partial.csv line {}: expected 4 fields, found {}",
                i + 1,
                f.len()
            )));
        }
        out.push(CsvCommunity {
            street: f[0].into(),
            street_code: f[1].into(),
            name: f[2].into(),
            code: f[3].into(),
        });
    }
    Ok(out)
}

/// Loads and simplifies the subdistricts, in [`STREETS`] order.
pub fn load_subdistricts(
    streets: &[Feature],
    csv: &[CsvCommunity],
) -> Result<Vec<Subdistrict>, Error> {
    let mut rings_of: Vec<Vec<Ring>> = Vec::new();
    let mut meta = Vec::new();
    for info in STREETS {
        let f = streets
            .iter()
            .find(|f| f.str_prop("name") == Some(info.name))
            .ok_or_else(|| {
                Error::Input(format!(
                    "streets.geojson has no feature named {}",
                    info.name
                ))
            })?;
        if let Some(c) = csv.iter().find(|c| c.street == info.name) {
            if c.street_code != info.code {
                return Err(Error::Input(format!(
                    "{}: CSV street code {} differs from {}",
                    info.name, c.street_code, info.code
                )));
            }
        }
        let Geom::Area(mp) = &f.geometry else {
            return Err(Error::Input(format!("{} is not a polygon", info.name)));
        };
        let mut rings = Vec::new();
        for p in &mp.0 {
            let mut r: Ring = p.exterior().0.clone();
            geom::dedup_ring(&mut r);
            geom::orient_ccw(&mut r);
            rings.push(r);
        }
        rings_of.push(rings);
        meta.push((info, f.str_prop("name_en").unwrap_or(info.name).to_string()));
    }
    let flat: Vec<Ring> = rings_of.iter().flatten().cloned().collect();
    let simplified = [SIMPLIFY_TOLERANCE_M, 2.5, 1.0]
        .iter()
        .find_map(|&t| geom::simplify_shared(&flat, t))
        .unwrap_or(flat);
    let mut it = simplified.into_iter();
    let mut subs = Vec::new();
    for (rings, (info, name_en)) in rings_of.iter().zip(meta) {
        let mut cell: Cell = (0..rings.len()).filter_map(|_| it.next()).collect();
        geom::round_cell(&mut cell);
        // Largest part first; the indexed ring serves containment tests.
        cell.sort_by(|a, b| geom::signed_area(b).total_cmp(&geom::signed_area(a)));
        let area_m2 = geom::wgs84_area_m2(&cell);
        subs.push(Subdistrict {
            name: info.name.into(),
            name_en,
            code: info.code.into(),
            population: info.population,
            green_target: info.green_target,
            ring: IndexedRing::new(cell[0].clone()),
            cell,
            area_m2,
        });
    }
    Ok(subs)
}

/// Samples the population points: density field × park damping, inside
/// each subdistrict, in proportion to its population.
pub fn sample_population(
    rng: &mut SmallRng,
    subs: &[Subdistrict],
    damp: &dyn Fn(Coord<f64>) -> f64,
) -> Vec<(Coord<f64>, usize)> {
    let total: u64 = subs.iter().map(|s| s.population).sum();
    let mut out = Vec::with_capacity(POP_POINTS);
    for (si, s) in subs.iter().enumerate() {
        let n = (POP_POINTS as f64 * s.population as f64 / total as f64).round() as usize;
        let bb = s.ring.bbox;
        let draw = |rng: &mut SmallRng| Coord {
            x: rng.random_range(bb[0]..bb[2]),
            y: rng.random_range(bb[1]..bb[3]),
        };
        let mut dmax: f64 = 0.0;
        for _ in 0..3000 {
            let p = draw(rng);
            if s.ring.contains(p) {
                dmax = dmax.max(fields::density(p));
            }
        }
        let dmax = dmax * 1.05;
        let mut got = 0;
        while got < n {
            let p = draw(rng);
            let d = fields::density(p) * damp(p);
            if rng.random::<f64>() * dmax < d && s.ring.contains(p) {
                out.push((p, si));
                got += 1;
            }
        }
    }
    out
}

/// Recursive bisection of `cell` into `k` pieces, each holding about the
/// same weight, where weight mixes area share (`alpha`) and population
/// share (`1 - alpha`). Pieces come out in cut order (left/below first).
pub fn bisect(
    cell: Cell,
    pts: Vec<u32>,
    k: usize,
    alpha: f64,
    points: &[Coord<f64>],
    out: &mut Vec<(Cell, Vec<u32>)>,
) {
    if k <= 1 {
        out.push((cell, pts));
        return;
    }
    let k1 = k / 2;
    let target = k1 as f64 / k as f64;
    let bb = geom::cell_bbox(&cell);
    let axis = if (bb[2] - bb[0]) * KX >= (bb[3] - bb[1]) * KY {
        Axis::X
    } else {
        Axis::Y
    };
    let (lo0, hi0) = match axis {
        Axis::X => (bb[0], bb[2]),
        Axis::Y => (bb[1], bb[3]),
    };
    let total_area: f64 = cell.iter().map(|r| geom::signed_area(r).abs()).sum();
    let mut coords: Vec<f64> = pts.iter().map(|&i| axis.get(points[i as usize])).collect();
    coords.sort_by(|a, b| a.total_cmp(b));
    let np = coords.len();
    let (a_w, p_w) = if np == 0 {
        (1.0, 0.0)
    } else {
        (alpha, 1.0 - alpha)
    };
    let frac = |c: f64| -> f64 {
        let a: f64 = cell.iter().map(|r| geom::area_below(r, axis, c)).sum();
        let p = if np > 0 {
            coords.partition_point(|&x| x < c) as f64 / np as f64
        } else {
            0.0
        };
        a_w * a / total_area + p_w * p
    };
    let (mut lo, mut hi) = (lo0, hi0);
    for _ in 0..48 {
        let mid = 0.5 * (lo + hi);
        if frac(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let c = 0.5 * (lo + hi);
    let (mut left, mut right): (Cell, Cell) = (Vec::new(), Vec::new());
    for r in &cell {
        let (l, rr) = geom::split_ring(r, axis, c);
        left.extend(l);
        right.extend(rr);
    }
    if left.is_empty() || right.is_empty() {
        // Cannot happen with alpha > 0 (area share is continuous); keep the
        // count right anyway by giving everything to one side.
        let (cell, k_all) = if left.is_empty() {
            (right, k)
        } else {
            (left, k)
        };
        bisect_fallback(cell, pts, k_all, points, out);
        return;
    }
    let (lp, rp): (Vec<u32>, Vec<u32>) = pts
        .into_iter()
        .partition(|&i| axis.get(points[i as usize]) < c);
    bisect(left, lp, k1, alpha, points, out);
    bisect(right, rp, k - k1, alpha, points, out);
}

fn bisect_fallback(
    cell: Cell,
    pts: Vec<u32>,
    k: usize,
    points: &[Coord<f64>],
    out: &mut Vec<(Cell, Vec<u32>)>,
) {
    bisect(cell, pts, k, 1.0, points, out)
}

/// Largest-remainder allocation of `total` in proportion to `weights`.
pub fn allocate(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let raw: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<u64> = raw.iter().map(|r| r.floor() as u64).collect();
    let mut rest = total - out.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (raw[b] - raw[b].floor())
            .total_cmp(&(raw[a] - raw[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        out[i] += 1;
        rest -= 1;
    }
    out
}

/// Builds communities and grids inside the subdistricts.
pub fn build(
    rng: &mut SmallRng,
    district: Feature,
    subs: Vec<Subdistrict>,
    csv: &[CsvCommunity],
    pop: Vec<(Coord<f64>, usize)>,
) -> Result<Admin, Error> {
    let points: Vec<Coord<f64>> = pop.iter().map(|(p, _)| *p).collect();
    let mut comms: Vec<Community> = Vec::new();
    let mut comm_pts: Vec<Vec<u32>> = Vec::new();
    for (si, s) in subs.iter().enumerate() {
        // (name base, romanization, code)
        let list: Vec<(String, String, String)> = {
            let from_csv: Vec<&CsvCommunity> = csv.iter().filter(|c| c.street == s.name).collect();
            if !from_csv.is_empty() {
                from_csv
                    .iter()
                    .map(|c| {
                        let base = c.name.trim_end_matches("社区").to_string();
                        let en = names::csv_pinyin(&base)
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("Community {}", c.code));
                        (base, en, c.code.clone())
                    })
                    .collect()
            } else {
                let (_, l) = names::OTHER_COMMUNITIES
                    .iter()
                    .find(|(n, _)| *n == s.name)
                    .ok_or_else(|| Error::Input(format!("no community names for {}", s.name)))?;
                let want = STREETS
                    .iter()
                    .find(|i| i.name == s.name)
                    .map(|i| i.communities)
                    .unwrap_or(l.len());
                l.iter()
                    .take(want)
                    .enumerate()
                    .map(|(i, (z, e))| {
                        (
                            z.to_string(),
                            e.to_string(),
                            format!("{}{:03}", s.code, i + 1),
                        )
                    })
                    .collect()
            }
        };
        let pts: Vec<u32> = pop
            .iter()
            .enumerate()
            .filter(|(_, (_, ps))| *ps == si)
            .map(|(i, _)| i as u32)
            .collect();
        let mut pieces = Vec::new();
        bisect(s.cell.clone(), pts, list.len(), 0.5, &points, &mut pieces);
        for ((cell, cpts), (base, en, code)) in pieces.into_iter().zip(list) {
            comms.push(Community {
                name: format!("{base}社区"),
                name_en: format!("{en} Community"),
                base,
                base_en: en,
                code,
                sub: si,
                cell,
                population: 0,
                area_m2: 0.0,
                grids: 0..0,
            });
            comm_pts.push(cpts);
        }
    }
    // Grid counts: 35 % by area, 65 % by population sample, at least 8.
    let areas: Vec<f64> = comms.iter().map(|c| geom::cell_area_m2(&c.cell)).collect();
    let a_sum: f64 = areas.iter().sum();
    let p_sum = points.len() as f64;
    let shares: Vec<f64> = (0..comms.len())
        .map(|i| 0.35 * areas[i] / a_sum + 0.65 * comm_pts[i].len() as f64 / p_sum)
        .collect();
    let mut counts: Vec<u64> = allocate(TOTAL_GRIDS as u64, &shares);
    for c in counts.iter_mut() {
        *c = (*c).max(8);
    }
    let mut grids: Vec<Grid> = Vec::new();
    for (ci, comm) in comms.iter_mut().enumerate() {
        let mut alpha = 0.4;
        let pieces = loop {
            let mut pieces = Vec::new();
            bisect(
                comm.cell.clone(),
                comm_pts[ci].clone(),
                counts[ci] as usize,
                alpha,
                &points,
                &mut pieces,
            );
            let min = pieces
                .iter()
                .map(|(c, _)| geom::cell_area_m2(c))
                .fold(f64::INFINITY, f64::min);
            if min >= 1.5 * MIN_GRID_AREA_M2 || alpha >= 1.0 {
                break pieces;
            }
            alpha = (alpha + 0.2).min(1.0);
        };
        let start = grids.len();
        {
            let children: Vec<&Cell> = pieces.iter().map(|(c, _)| c).collect();
            geom::add_t_junctions(&mut comm.cell, &children);
        }
        for (n, (mut cell, gpts)) in pieces.into_iter().enumerate() {
            geom::round_cell(&mut cell);
            grids.push(Grid {
                id: String::new(),
                name: format!("{}第{:02}网格", comm.name, n + 1),
                name_en: format!("{} Community Grid {:02}", comm.base_en, n + 1),
                comm: ci,
                sub: comm.sub,
                bbox: geom::cell_bbox(&cell),
                centroid: geom::centroid(&cell),
                area_m2: geom::wgs84_area_m2(&cell),
                cell,
                population: 0,
                worker: names::person(rng),
                worker_phone: names::mobile(rng),
                points: gpts,
                cases_year: 0,
                cases_30d: 0,
            });
        }
        comm.grids = start..grids.len();
    }
    // Subdistricts take the communities' vertices on their borders, then
    // everything is rounded to what the files hold.
    let mut subs = subs;
    for (si, s) in subs.iter_mut().enumerate() {
        let children: Vec<&Cell> = comms
            .iter()
            .filter(|c| c.sub == si)
            .map(|c| &c.cell)
            .collect();
        geom::add_t_junctions(&mut s.cell, &children);
        geom::round_cell(&mut s.cell);
        s.cell
            .sort_by(|a, b| geom::signed_area(b).total_cmp(&geom::signed_area(a)));
        s.ring = IndexedRing::new(s.cell[0].clone());
        s.area_m2 = geom::wgs84_area_m2(&s.cell);
    }
    for comm in comms.iter_mut() {
        geom::round_cell(&mut comm.cell);
        comm.area_m2 = geom::wgs84_area_m2(&comm.cell);
    }
    for (i, g) in grids.iter_mut().enumerate() {
        g.id = format!("G{:04}", i + 1);
    }
    if let Some(g) = grids.iter().find(|g| g.area_m2 < MIN_GRID_AREA_M2) {
        return Err(Error::Invariant(format!(
            "grid {} is only {:.0} m²",
            g.id, g.area_m2
        )));
    }
    // Populations: subdistrict totals spread over grids by sample points
    // (plus a little everywhere), communities sum their grids.
    for (si, s) in subs.iter().enumerate() {
        let idx: Vec<usize> = (0..grids.len()).filter(|&g| grids[g].sub == si).collect();
        let w: Vec<f64> = idx
            .iter()
            .map(|&g| grids[g].points.len() as f64 + 0.3)
            .collect();
        for (k, p) in allocate(s.population, &w).into_iter().enumerate() {
            grids[idx[k]].population = p;
        }
    }
    for c in comms.iter_mut() {
        c.population = grids[c.grids.clone()].iter().map(|g| g.population).sum();
    }
    Ok(Admin {
        district,
        subs,
        comms,
        grids,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact_and_proportional() {
        let a = allocate(100, &[1.0, 1.0, 2.0]);
        assert_eq!(a.iter().sum::<u64>(), 100);
        assert_eq!(a[2], 50);
        assert_eq!(allocate(7, &[0.0, 0.0]), vec![0, 0]);
    }

    #[test]
    fn bisection_tiles_a_concave_polygon() {
        use rand::SeedableRng;
        let mut rng = SmallRng::seed_from_u64(9);
        let mut ring = geom::blob(&mut rng, Coord { x: 113.9, y: 22.6 }, 1500.0, 40, 1.6);
        geom::orient_ccw(&mut ring);
        let pts: Vec<Coord<f64>> = (0..2000)
            .filter_map(|_| geom::random_point_in(&mut rng, &[ring.clone()], 100))
            .collect();
        let mut out = Vec::new();
        bisect(
            vec![ring.clone()],
            (0..pts.len() as u32).collect(),
            37,
            0.5,
            &pts,
            &mut out,
        );
        assert_eq!(out.len(), 37);
        let total = geom::signed_area(&ring);
        let sum: f64 = out
            .iter()
            .flat_map(|(c, _)| c.iter())
            .map(|r| geom::signed_area(r))
            .sum();
        assert!((sum - total).abs() < 1e-9 * total);
        let npts: usize = out.iter().map(|(_, p)| p.len()).sum();
        assert_eq!(npts, pts.len());
        let inside: usize = out
            .iter()
            .map(|(c, p)| {
                p.iter()
                    .filter(|&&i| geom::in_cell(pts[i as usize], c))
                    .count()
            })
            .sum();
        assert!(inside as f64 >= 0.999 * pts.len() as f64, "{inside}");
    }
}
