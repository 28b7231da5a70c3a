//! Parks (four tiers) and other green space. Every shape lies inside one
//! subdistrict (large ones are clipped to it) and no two overlap, so green
//! area per subdistrict is a plain sum.

use crate::admin::{Admin, Subdistrict};
use crate::fields;
use crate::geom::{self, Cell, IndexedRing, Ring};
use geo::{BooleanOps, Coord};
use pingan_model::domain::ParkTier;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use std::collections::HashMap;

pub struct Green {
    pub cell: Cell,
    pub sub: usize,
    pub tier: ParkTier,
    pub name: String,
    pub name_en: String,
    pub kind: &'static str,
    pub kind_en: &'static str,
    pub area_m2: f64,
}

/// Bucketed index of placed shapes for exact non-overlap tests.
#[derive(Default)]
pub struct ShapeIndex {
    items: Vec<Vec<IndexedRing>>,
    bbs: Vec<[f64; 4]>,
    buckets: HashMap<(i32, i32), Vec<u32>>,
}

const BUCKET: f64 = 0.01;

fn bucket_keys(bb: &[f64; 4]) -> impl Iterator<Item = (i32, i32)> {
    let (x0, x1) = (
        (bb[0] / BUCKET).floor() as i32,
        (bb[2] / BUCKET).floor() as i32,
    );
    let (y0, y1) = (
        (bb[1] / BUCKET).floor() as i32,
        (bb[3] / BUCKET).floor() as i32,
    );
    (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
}

impl ShapeIndex {
    pub fn overlaps(&self, r: &Ring) -> bool {
        let bb = geom::bbox(r);
        for k in bucket_keys(&bb) {
            if let Some(ids) = self.buckets.get(&k) {
                for &id in ids {
                    let id = id as usize;
                    if geom::bbox_overlap(&bb, &self.bbs[id])
                        && self.items[id].iter().any(|ir| ir.overlaps_ring(r))
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
    pub fn overlaps_cell(&self, c: &Cell) -> bool {
        c.iter().any(|r| self.overlaps(r))
    }
    pub fn insert(&mut self, c: &Cell) {
        let id = self.items.len() as u32;
        let bb = geom::cell_bbox(c);
        self.items
            .push(c.iter().map(|r| IndexedRing::new(r.clone())).collect());
        self.bbs.push(bb);
        for k in bucket_keys(&bb) {
            self.buckets.entry(k).or_default().push(id);
        }
    }
}

/// (name, name_en, lon, lat, radius m, elongation)
type Site = (&'static str, &'static str, f64, f64, f64, f64);

/// Natural country parks of the eastern hills.
pub const COUNTRY_PARKS: &[Site] = &[
    (
        "羊台山森林郊野公园",
        "Yangtaishan Country Park",
        113.955,
        22.668,
        2600.0,
        1.3,
    ),
    (
        "铁岗水库郊野公园",
        "Tiegang Reservoir Country Park",
        113.898,
        22.622,
        1900.0,
        1.2,
    ),
    (
        "石岩湖郊野公园",
        "Shiyan Lake Country Park",
        113.928,
        22.648,
        1300.0,
        1.3,
    ),
    (
        "凤凰山森林公园",
        "Fenghuangshan Forest Park",
        113.862,
        22.668,
        1100.0,
        1.2,
    ),
    (
        "罗田森林公园",
        "Luotian Forest Park",
        113.878,
        22.838,
        1600.0,
        1.3,
    ),
    (
        "五指耙森林公园",
        "Wuzhipa Forest Park",
        113.858,
        22.763,
        700.0,
        1.4,
    ),
];

/// City parks.
pub const CITY_PARKS: &[Site] = &[
    ("宝安公园", "Bao'an Park", 113.893, 22.576, 450.0, 1.2),
    ("灵芝公园", "Lingzhi Park", 113.882, 22.566, 350.0, 1.1),
    ("新安公园", "Xin'an Park", 113.903, 22.562, 280.0, 1.2),
    (
        "西湾红树林公园",
        "Xiwan Mangrove Park",
        113.866,
        22.548,
        320.0,
        2.5,
    ),
    (
        "宝安滨海文化公园",
        "Bao'an Seaside Culture Park",
        113.874,
        22.556,
        300.0,
        1.6,
    ),
    ("铁仔山公园", "Tiezaishan Park", 113.876, 22.598, 450.0, 1.2),
    ("西乡公园", "Xixiang Park", 113.862, 22.588, 250.0, 1.3),
    ("固戍公园", "Gushu Park", 113.856, 22.603, 230.0, 1.2),
    ("立新湖公园", "Lixin Lake Park", 113.852, 22.640, 350.0, 1.4),
    ("鹤洲公园", "Hezhou Park", 113.862, 22.622, 250.0, 1.2),
    ("福永公园", "Fuyong Park", 113.835, 22.672, 300.0, 1.3),
    ("怀德公园", "Huaide Park", 113.842, 22.690, 250.0, 1.2),
    ("福海公园", "Fuhai Park", 113.800, 22.700, 300.0, 1.2),
    ("桥头公园", "Qiaotou Park", 113.790, 22.682, 220.0, 1.3),
    (
        "海上田园",
        "Seaside Fields Park",
        113.782,
        22.742,
        650.0,
        1.5,
    ),
    (
        "沙井中心公园",
        "Shajing Central Park",
        113.810,
        22.735,
        300.0,
        1.2,
    ),
    (
        "蚝乡湖公园",
        "Haoxiang Lake Park",
        113.800,
        22.722,
        280.0,
        1.3,
    ),
    ("新桥公园", "Xinqiao Park", 113.845, 22.720, 280.0, 1.2),
    (
        "万丰湖公园",
        "Wanfeng Lake Park",
        113.834,
        22.706,
        300.0,
        1.4,
    ),
    ("松岗公园", "Songgang Park", 113.845, 22.768, 300.0, 1.2),
    (
        "茅洲河碧道公园",
        "Maozhou River Greenway Park",
        113.830,
        22.784,
        380.0,
        2.4,
    ),
    (
        "燕罗湿地公园",
        "Yanluo Wetland Park",
        113.862,
        22.805,
        450.0,
        1.4,
    ),
    (
        "石岩湿地公园",
        "Shiyan Wetland Park",
        113.930,
        22.690,
        450.0,
        1.4,
    ),
    ("石岩公园", "Shiyan Park", 113.918, 22.678, 250.0, 1.2),
];

pub const COMMUNITY_PARKS: usize = 360;
pub const POCKET_PARKS: usize = 1_000;

fn subdistrict_of(subs: &[Subdistrict], p: Coord<f64>) -> Option<usize> {
    subs.iter().position(|s| s.ring.contains(p))
}

/// A blob kept whole if it fits in the subdistrict, else clipped to it.
fn fit(b: Ring, s: &Subdistrict, min_part_m2: f64, allow_clip: bool) -> Option<Cell> {
    let mut cell = if s.ring.contains_ring(&b) {
        vec![b]
    } else if allow_clip {
        let mp = geom::to_polygon(&b).intersection(&geom::to_multipolygon(&s.cell));
        geom::from_multipolygon(&mp)
    } else {
        return None;
    };
    geom::round_cell(&mut cell);
    cell.retain(|r| geom::area_m2(r) >= min_part_m2);
    (!cell.is_empty()).then_some(cell)
}

/// Places the country and city parks (before the population is sampled:
/// people live around parks, not in them).
pub fn big_parks(rng: &mut SmallRng, subs: &[Subdistrict], idx: &mut ShapeIndex) -> Vec<Green> {
    let mut out = Vec::new();
    for (tier, list) in [
        (ParkTier::Country, COUNTRY_PARKS),
        (ParkTier::City, CITY_PARKS),
    ] {
        for &(name, name_en, x, y, r0, elong) in list {
            let mut centre = Coord { x, y };
            let mut si = subdistrict_of(subs, centre);
            for _ in 0..30 {
                if si.is_some() {
                    break;
                }
                centre = geom::offset(
                    Coord { x, y },
                    rng.random_range(-800.0..800.0),
                    rng.random_range(-800.0..800.0),
                );
                si = subdistrict_of(subs, centre);
            }
            let Some(si) = si else { continue };
            let mut r = r0;
            let n = if tier == ParkTier::Country {
                32
            } else {
                rng.random_range(16..=28)
            };
            for _ in 0..10 {
                let b = geom::blob(rng, centre, r, n, elong);
                if let Some(cell) = fit(b, &subs[si], 3_000.0, true) {
                    if !idx.overlaps_cell(&cell) {
                        idx.insert(&cell);
                        out.push(Green {
                            area_m2: geom::wgs84_area_m2(&cell),
                            cell,
                            sub: si,
                            tier,
                            name: name.into(),
                            name_en: name_en.into(),
                            kind: "",
                            kind_en: "",
                        });
                        break;
                    }
                }
                r *= 0.85;
            }
        }
    }
    out
}

/// Population damping inside the big parks (for the population sample).
pub fn park_damping(parks: &[Green]) -> impl Fn(Coord<f64>) -> f64 + '_ {
    let rings: Vec<(IndexedRing, f64)> = parks
        .iter()
        .flat_map(|g| {
            let f = if g.tier == ParkTier::Country {
                0.03
            } else {
                0.15
            };
            g.cell.iter().map(move |r| (IndexedRing::new(r.clone()), f))
        })
        .collect();
    move |p| {
        rings
            .iter()
            .find(|(r, _)| r.contains(p))
            .map(|(_, f)| *f)
            .unwrap_or(1.0)
    }
}

const COMMUNITY_SUFFIX: &[(&str, &str)] = &[
    ("公园", "Park"),
    ("文体公园", "Sports and Culture Park"),
    ("休闲公园", "Leisure Park"),
    ("街心公园", "Street Garden"),
    ("滨水公园", "Waterside Park"),
    ("儿童公园", "Children's Park"),
    ("健康公园", "Health Park"),
    ("荔枝公园", "Lychee Park"),
];

/// Community parks and pocket parks, where people live.
pub fn small_parks(rng: &mut SmallRng, admin: &Admin, idx: &mut ShapeIndex) -> Vec<Green> {
    let mut point_grid = vec![0u32; admin.points.len()];
    for (gi, g) in admin.grids.iter().enumerate() {
        for &p in &g.points {
            point_grid[p as usize] = gi as u32;
        }
    }
    let mut out = Vec::new();
    let mut per_comm: HashMap<usize, (usize, usize)> = HashMap::new();
    for (tier, want, rmin, rmax) in [
        (ParkTier::Community, COMMUNITY_PARKS, 50.0, 140.0),
        (ParkTier::Pocket, POCKET_PARKS, 12.0, 32.0),
    ] {
        let mut placed = 0;
        let mut attempts = 0;
        while placed < want && attempts < want * 8 {
            attempts += 1;
            let pi = rng.random_range(0..admin.points.len());
            let g = &admin.grids[point_grid[pi] as usize];
            let centre = geom::offset(
                admin.points[pi],
                rng.random_range(-40.0..40.0),
                rng.random_range(-40.0..40.0),
            );
            let r = rng.random_range(rmin..rmax);
            let n = rng.random_range(12..=20);
            let el = rng.random_range(1.0..1.8);
            let b = geom::blob(rng, centre, r, n, el);
            let Some(cell) = fit(b, &admin.subs[g.sub], 50.0, false) else {
                continue;
            };
            if idx.overlaps_cell(&cell) {
                continue;
            }
            idx.insert(&cell);
            let comm = &admin.comms[g.comm];
            let counter = per_comm.entry(g.comm).or_insert((0, 0));
            let (name, name_en) = if tier == ParkTier::Community {
                counter.0 += 1;
                let k = counter.0 - 1;
                if k < COMMUNITY_SUFFIX.len() {
                    let (zs, es) = COMMUNITY_SUFFIX[k];
                    (
                        format!("{}{}", comm.base, zs),
                        format!("{} {}", comm.base_en, es),
                    )
                } else {
                    (
                        format!("{}{}号社区公园", comm.base, k + 1),
                        format!("{} Community Park {}", comm.base_en, k + 1),
                    )
                }
            } else {
                counter.1 += 1;
                (
                    format!("{}口袋公园{}", comm.base, counter.1),
                    format!("{} Pocket Park {}", comm.base_en, counter.1),
                )
            };
            out.push(Green {
                area_m2: geom::wgs84_area_m2(&cell),
                cell,
                sub: g.sub,
                tier,
                name,
                name_en,
                kind: "",
                kind_en: "",
            });
            placed += 1;
        }
    }
    out
}

fn kind_of(p: Coord<f64>, belt: bool) -> (&'static str, &'static str) {
    if belt {
        ("道路绿带", "Road green belt")
    } else if fields::hilliness(p) > 0.45 {
        ("生态绿地", "Ecological green land")
    } else if fields::lowland(p) > 0.45 || fields::industry(p) > 0.6 {
        ("防护绿地", "Protective green")
    } else {
        ("附属绿地", "Attached green")
    }
}

/// Other green space, per subdistrict until its target coverage is met:
/// large blobs (in the hills), medium and small ones, road green belts.
pub fn greenspace(
    rng: &mut SmallRng,
    subs: &[Subdistrict],
    parks: &[Green],
    idx: &mut ShapeIndex,
) -> Vec<Green> {
    let mut out = Vec::new();
    for (si, s) in subs.iter().enumerate() {
        let mut have: f64 = parks
            .iter()
            .filter(|g| g.sub == si)
            .map(|g| g.area_m2)
            .sum();
        let target = s.green_target * s.area_m2;
        let bb = s.ring.bbox;
        // (min radius, max radius, candidates, clip allowed, belt)
        let phases: [(f64, f64, usize, bool, bool); 6] = [
            (400.0, 850.0, 400, true, false),
            (160.0, 400.0, 2_000, true, false),
            (0.0, 0.0, 800, false, true),
            (70.0, 160.0, 5_000, false, false),
            (35.0, 70.0, 5_000, false, false),
            (20.0, 35.0, 3_000, false, false),
        ];
        'phases: for (rmin, rmax, candidates, clip, belt) in phases {
            let mut tried = 0;
            let mut draws = 0;
            while tried < candidates && draws < candidates * 40 {
                draws += 1;
                if have >= target {
                    break 'phases;
                }
                let p = Coord {
                    x: rng.random_range(bb[0]..bb[2]),
                    y: rng.random_range(bb[1]..bb[3]),
                };
                let w = if belt {
                    fields::density(p).min(1.0)
                } else {
                    (0.2 + fields::hilliness(p) + 0.5 * fields::lowland(p)) / 1.7
                };
                if rng.random::<f64>() > w || !s.ring.contains(p) {
                    continue;
                }
                tried += 1;
                let b = if belt {
                    let angle = *[0.0, 0.5, 1.05, 1.57, 2.1, 2.6].choose(rng).unwrap_or(&0.0)
                        + rng.random_range(-0.1..0.1);
                    geom::strip(
                        p,
                        rng.random_range(300.0..1100.0),
                        rng.random_range(18.0..40.0),
                        angle,
                    )
                } else {
                    let scale = if rmin >= 400.0 {
                        0.45 + 0.55 * fields::hilliness(p)
                    } else {
                        1.0
                    };
                    let r = rng.random_range(rmin..rmax) * scale;
                    let n = if r > 300.0 {
                        rng.random_range(24..=32)
                    } else {
                        rng.random_range(12..=24)
                    };
                    let el = rng.random_range(1.0..2.0);
                    geom::blob(rng, p, r, n, el)
                };
                let Some(cell) = fit(b, s, 400.0, clip) else {
                    continue;
                };
                if idx.overlaps_cell(&cell) {
                    continue;
                }
                idx.insert(&cell);
                let area = geom::wgs84_area_m2(&cell);
                have += area;
                let (kind, kind_en) = kind_of(p, belt);
                out.push(Green {
                    cell,
                    sub: si,
                    tier: ParkTier::Green,
                    name: String::new(),
                    name_en: String::new(),
                    kind,
                    kind_en,
                    area_m2: area,
                });
            }
        }
    }
    out
}
