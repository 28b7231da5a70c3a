//! `field::nearest`: the index walk with its stopping bound equals a brute
//! force over every point by haversine, for random points over Shenzhen
//! and random positions inside and outside them, with filters, tiers and
//! duplicate positions (ties by key); moving the position moves the list;
//! far latitudes and the antimeridian stay exact; odd inputs give nothing.

use pingan_model::field::nearest::{nearby, nearest, nearest_by_tier, Near, Source};
use pingan_model::index::PointIndex;
use pingan_model::layers::LayerId;
use pingan_model::navigate::bearing_deg;
use pingan_model::projection::{haversine_m, to_lonlat, to_world, World};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::cell::Cell;

/// Points as indexed (world) and as the index gives them back (lon/lat).
struct Layer {
    index: PointIndex,
    lonlat: Vec<[f64; 2]>,
}

fn layer(points: &[[f64; 2]]) -> Layer {
    let world: Vec<[f64; 2]> = points
        .iter()
        .map(|p| {
            let w = to_world(p[0], p[1]);
            [w.x, w.y]
        })
        .collect();
    let lonlat = world
        .iter()
        .map(|w| {
            let (lon, lat) = to_lonlat(World { x: w[0], y: w[1] });
            [lon, lat]
        })
        .collect();
    Layer {
        index: PointIndex::bulk_load(world.iter().enumerate().map(|(i, w)| (*w, i as u32))),
        lonlat,
    }
}

/// Random points over Shenzhen, a tenth of them on another's position.
fn shenzhen(rng: &mut SmallRng, n: usize) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(n);
    for _ in 0..n {
        if !pts.is_empty() && rng.random::<f64>() < 0.1 {
            let j = rng.random_range(0..pts.len());
            pts.push(pts[j]);
        } else {
            pts.push([rng.random_range(113.7..114.0), rng.random_range(22.5..22.9)]);
        }
    }
    pts
}

fn brute(
    l: &Layer,
    at: [f64; 2],
    k: usize,
    max_m: f64,
    keep: impl Fn(u32) -> bool,
    tier: impl Fn(u32) -> u8,
) -> Vec<Near> {
    let mut all: Vec<Near> = (0..l.lonlat.len() as u32)
        .filter(|&i| keep(i))
        .map(|i| {
            let p = l.lonlat[i as usize];
            Near {
                key: i,
                metres: haversine_m(at[0], at[1], p[0], p[1]),
                bearing: bearing_deg(at, p),
                tier: tier(i),
            }
        })
        .filter(|n| n.metres <= max_m)
        .collect();
    all.sort_by(|a, b| {
        a.tier
            .cmp(&b.tier)
            .then(a.metres.total_cmp(&b.metres))
            .then(a.key.cmp(&b.key))
    });
    all.truncate(k);
    all
}

/// A random position: mostly among the points, some around them, some far.
fn position(rng: &mut SmallRng) -> [f64; 2] {
    match rng.random_range(0..10) {
        0..=5 => [rng.random_range(113.7..114.0), rng.random_range(22.5..22.9)],
        6..=8 => [rng.random_range(113.5..114.2), rng.random_range(22.3..23.1)],
        _ => [rng.random_range(100.0..125.0), rng.random_range(10.0..40.0)],
    }
}

#[test]
fn nearest_equals_brute_force_with_filters_and_ties() {
    let mut rng = SmallRng::seed_from_u64(10);
    let pts = shenzhen(&mut rng, 6_000);
    let l = layer(&pts);
    let mut ties = 0;
    for round in 0..400 {
        let at = if round % 7 == 0 {
            pts[rng.random_range(0..pts.len())] // on a point (and its twins)
        } else {
            position(&mut rng)
        };
        let k = rng.random_range(1..40);
        let max_m = match round % 4 {
            0 => f64::INFINITY,
            1 => rng.random_range(50.0..500.0),
            _ => rng.random_range(500.0..20_000.0),
        };
        let modulo = rng.random_range(1..6u32);
        let keep = |key: u32| key.is_multiple_of(modulo);
        let got = nearest(&l.index, at, k, max_m, keep);
        let want = brute(&l, at, k, max_m, keep, |_| 0);
        assert_eq!(got, want, "round {round} at {at:?} k {k} max {max_m}");
        ties += got
            .windows(2)
            .filter(|w| w[0].metres == w[1].metres)
            .count();
    }
    assert!(ties > 0, "the duplicates made ties");
}

#[test]
fn tiers_come_first_and_each_tier_is_its_nearest() {
    let mut rng = SmallRng::seed_from_u64(11);
    let pts = shenzhen(&mut rng, 5_000);
    let l = layer(&pts);
    // A rare tier 0 (2 %), tier 1 and 2 otherwise: tier 0 items far away
    // still come before near tier-1 ones.
    let tiers: Vec<u8> = (0..pts.len())
        .map(|_| match rng.random_range(0..100) {
            0..=1 => 0,
            2..=50 => 1,
            _ => 2,
        })
        .collect();
    let tier = |key: u32| tiers[key as usize];
    for round in 0..300 {
        let at = position(&mut rng);
        let k = rng.random_range(1..30);
        let max_m = if round % 3 == 0 {
            f64::INFINITY
        } else {
            rng.random_range(300.0..10_000.0)
        };
        let keep = |key: u32| key % 3 != 1;
        let got = nearest_by_tier(&l.index, at, k, max_m, keep, tier);
        assert_eq!(got, brute(&l, at, k, max_m, keep, tier), "round {round}");
        // Per tier: the tier-t items listed are the nearest of tier t.
        for t in 0..3u8 {
            let of_t: Vec<u32> = got.iter().filter(|n| n.tier == t).map(|n| n.key).collect();
            let want: Vec<u32> = brute(
                &l,
                at,
                of_t.len(),
                max_m,
                |k| keep(k) && tier(k) == t,
                |_| 0,
            )
            .iter()
            .map(|n| n.key)
            .collect();
            assert_eq!(of_t, want, "tier {t}, round {round}");
        }
        assert!(got.windows(2).all(|w| w[0].tier <= w[1].tier));
    }
}

#[test]
fn nearby_is_one_section_per_source_each_exact() {
    let mut rng = SmallRng::seed_from_u64(12);
    let hazards = layer(&shenzhen(&mut rng, 3_000));
    let cases = layer(&shenzhen(&mut rng, 8_000));
    let open: Vec<bool> = (0..8_000).map(|_| rng.random::<f64>() < 0.4).collect();
    let keep_case = |k: u32| open[k as usize];
    let all = |_: u32| true;
    let hazard_tier = |k: u32| (k % 3) as u8;
    let flat = |_: u32| 0u8;
    let sources = [
        Source {
            layer: LayerId::Hazards,
            index: &hazards.index,
            keep: &all,
            tier: &hazard_tier,
        },
        Source {
            layer: LayerId::Cases,
            index: &cases.index,
            keep: &keep_case,
            tier: &flat,
        },
    ];
    for _ in 0..100 {
        let at = position(&mut rng);
        let got = nearby(&sources, at, 20, 3_000.0);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].layer, got[1].layer),
            (LayerId::Hazards, LayerId::Cases)
        );
        assert_eq!(
            got[0].items,
            brute(&hazards, at, 20, 3_000.0, all, hazard_tier)
        );
        assert_eq!(
            got[1].items,
            brute(&cases, at, 20, 3_000.0, keep_case, flat)
        );
        assert!(got[1].items.iter().all(|n| open[n.key as usize]));
    }
}

#[test]
fn moving_the_position_moves_the_list() {
    let mut rng = SmallRng::seed_from_u64(13);
    let pts = shenzhen(&mut rng, 4_000);
    let l = layer(&pts);
    // Walk from one point to another in 200 steps: at each step the list is
    // the brute force's; standing on a point lists it (or a twin) first at
    // 0 m; the first item changes along the way.
    let (a, b) = (l.lonlat[17], l.lonlat[3_333]);
    let mut firsts = Vec::new();
    for s in 0..=200 {
        let t = f64::from(s) / 200.0;
        let at = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
        let got = nearest(&l.index, at, 5, 2_000.0, |_| true);
        assert_eq!(got, brute(&l, at, 5, 2_000.0, |_| true, |_| 0), "step {s}");
        firsts.push(got[0].key);
    }
    for (end, p) in [(0, a), (200, b)] {
        let got = nearest(&l.index, p, 5, 2_000.0, |_| true);
        assert_eq!(got[0].metres, 0.0, "step {end}");
        assert_eq!(
            l.lonlat[got[0].key as usize],
            l.lonlat[firsts[end] as usize]
        );
    }
    firsts.dedup();
    assert!(
        firsts.len() > 3,
        "the nearest changed {} times",
        firsts.len() - 1
    );
}

#[test]
fn far_latitudes_and_the_antimeridian_stay_exact() {
    let mut rng = SmallRng::seed_from_u64(14);
    for (lon, lat) in [
        ((-180.0, 180.0), (60.0, 84.0)),
        ((170.0, 180.0), (-10.0, 10.0)),
        ((-180.0, -170.0), (-10.0, 10.0)),
        ((-180.0, 180.0), (-84.0, 84.0)),
    ] {
        let pts: Vec<[f64; 2]> = (0..2_000)
            .map(|_| {
                [
                    rng.random_range(lon.0..lon.1),
                    rng.random_range(lat.0..lat.1),
                ]
            })
            .collect();
        let l = layer(&pts);
        for _ in 0..50 {
            let at = [
                rng.random_range(lon.0..lon.1),
                rng.random_range(lat.0..lat.1),
            ];
            for max_m in [f64::INFINITY, 2_000_000.0] {
                let got = nearest(&l.index, at, 8, max_m, |_| true);
                assert_eq!(got, brute(&l, at, 8, max_m, |_| true, |_| 0), "{at:?}");
            }
        }
    }
    // Across the antimeridian: a point at 179.99° E is near 179.99° W.
    let l = layer(&[[179.99, 0.0], [170.0, 0.0]]);
    let got = nearest(&l.index, [-179.99, 0.0], 1, 10_000.0, |_| true);
    assert_eq!(got.first().map(|n| n.key), Some(0));
}

#[test]
fn the_walk_stops_early() {
    let mut rng = SmallRng::seed_from_u64(15);
    let l = layer(&shenzhen(&mut rng, 20_000));
    let asked = Cell::new(0usize);
    for _ in 0..50 {
        let at = [rng.random_range(113.7..114.0), rng.random_range(22.5..22.9)];
        let got = nearest(&l.index, at, 10, f64::INFINITY, |_| {
            asked.set(asked.get() + 1);
            true
        });
        assert_eq!(got.len(), 10);
    }
    // 10 each, plus the few the bound cannot rule out yet.
    assert!(asked.get() < 50 * 30, "{} keys looked at", asked.get());
}

#[test]
fn odd_inputs_give_nothing_and_never_panic() {
    let mut rng = SmallRng::seed_from_u64(16);
    let l = layer(&shenzhen(&mut rng, 100));
    let at = [113.85, 22.7];
    assert!(nearest(&l.index, at, 0, 1e9, |_| true).is_empty());
    assert!(nearest(&PointIndex::default(), at, 5, 1e9, |_| true).is_empty());
    assert!(nearest(&l.index, [f64::NAN, 22.7], 5, 1e9, |_| true).is_empty());
    assert!(nearest(&l.index, [113.85, f64::INFINITY], 5, 1e9, |_| true).is_empty());
    assert!(nearest(&l.index, [113.85, 91.0], 5, 1e9, |_| true).is_empty());
    assert!(nearest(&l.index, at, 5, f64::NAN, |_| true).is_empty());
    assert!(nearest(&l.index, at, 5, -1.0, |_| true).is_empty());
    assert!(nearest(&l.index, at, 5, 1e9, |_| false).is_empty());
    assert_eq!(
        nearest(&l.index, at, usize::MAX, f64::INFINITY, |_| true).len(),
        100
    );
    // A longitude past 180° is the same place one turn round.
    assert_eq!(
        nearest(&l.index, [113.85 + 360.0, 22.7], 5, 1e9, |_| true)
            .iter()
            .map(|n| n.key)
            .collect::<Vec<_>>(),
        nearest(&l.index, at, 5, 1e9, |_| true)
            .iter()
            .map(|n| n.key)
            .collect::<Vec<_>>()
    );
    // Within max_m exactly 0: only what stands on the position.
    let p = l.lonlat[7];
    let on = nearest(&l.index, p, 5, 0.0, |_| true);
    assert!(!on.is_empty() && on.iter().all(|n| n.metres == 0.0));
}

#[test]
fn nearer_on_the_ground_but_farther_in_world_units_is_found() {
    // North of the position a world unit is fewer metres: B, due north at
    // 4,999.9 m, is farther in world units than A, due south at 5,000 m.
    // A bound taken at the position's own latitude would stop after A.
    use pingan_model::projection::EARTH_RADIUS;
    let at = [113.85, 22.7];
    let deg = |m: f64| (m / EARTH_RADIUS).to_degrees();
    let l = layer(&[
        [113.85, 22.7 - deg(5_000.0)],
        [113.85, 22.7 + deg(4_999.9)],
        [113.95, 22.8],
        [113.75, 22.6],
    ]);
    let q = to_world(at[0], at[1]);
    assert_eq!(
        l.index.k_nearest([q.x, q.y], 1)[0].0,
        0,
        "A is nearer in world units"
    );
    let got = nearest(&l.index, at, 1, f64::INFINITY, |_| true);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].key, 1);
    assert!((got[0].metres - 4_999.9).abs() < 1e-3, "{}", got[0].metres);
    assert!(got[0].bearing.abs() < 1e-9, "due north: {}", got[0].bearing);
}

#[test]
fn long_walks_go_on_by_boxes_and_stay_exact() {
    // Rare kept items (1 in 97) and a rare tier 0 make the walk run past its
    // budget and go on by boxes; clusters of 30 points on one position put
    // ties of world distance where the walk hands over.
    let mut rng = SmallRng::seed_from_u64(17);
    let mut pts = shenzhen(&mut rng, 3_000);
    for _ in 0..60 {
        let p = [rng.random_range(113.7..114.0), rng.random_range(22.5..22.9)];
        pts.extend(std::iter::repeat_n(p, 30));
    }
    let l = layer(&pts);
    let tiers: Vec<u8> = (0..pts.len())
        .map(|_| u8::from(rng.random_range(0..50) != 0))
        .collect();
    let tier = |k: u32| tiers[k as usize];
    for round in 0..300 {
        let at = if round % 3 == 0 {
            l.lonlat[rng.random_range(3_000..pts.len())] // on a cluster
        } else {
            position(&mut rng)
        };
        let k = rng.random_range(1..30);
        let max_m = [f64::INFINITY, 2_000.0, 20_000.0][round % 3];
        let m = [97u32, 13, 1][rng.random_range(0..3)];
        let keep = |key: u32| key.is_multiple_of(m) || (key >= 3_000 && key % 30 < 2);
        let got = nearest_by_tier(&l.index, at, k, max_m, keep, tier);
        assert_eq!(got, brute(&l, at, k, max_m, keep, tier), "round {round}");
        let flat = nearest(&l.index, at, k, max_m, keep);
        assert_eq!(flat, brute(&l, at, k, max_m, keep, |_| 0), "round {round}");
    }
}

#[test]
fn the_walk_reports_world_distance_as_the_boxes_measure_it() {
    // The hand-over from the walk to the boxes relies on both measuring
    // (dx² + dy²)^½ the same to the bit.
    let mut rng = SmallRng::seed_from_u64(18);
    let l = layer(&shenzhen(&mut rng, 2_000));
    let q = to_world(113.85, 22.7);
    let mut last = 0.0;
    for (_, w, d) in l.index.nearest_iter([q.x, q.y]) {
        let (dx, dy) = (w[0] - q.x, w[1] - q.y);
        assert_eq!(d.to_bits(), (dx * dx + dy * dy).sqrt().to_bits());
        assert!(d >= last, "nearest first");
        last = d;
    }
    assert_eq!(l.index.nearest_iter([f64::NAN, 0.0]).count(), 0);
}
