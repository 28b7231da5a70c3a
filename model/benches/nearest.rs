//! `cargo bench -p pingan-model --bench nearest`: the field phone's nearby
//! list (`field::nearest::nearby`) over 22,000 hazard-like points in three
//! tiers (as in the generated data: 5.6 % open, 8.2 % rectifying, the rest
//! rectified) and 80,000 case-like points of which ~60 % are closed
//! (filtered out), random in Bao'an's box, 20 per layer within 5 km (the
//! app's reach) and unbounded, from random positions; and the worst case,
//! one hazard type of eight shown (tier 0 is then 0.7 % of the points: the
//! search cannot stop before the reach). Timed by Criterion, plus the
//! median and 99th percentile of single calls printed first. The budget is
//! 2 ms in a browser throttled 4×.

use criterion::{criterion_group, criterion_main, Criterion};
use pingan_model::field::nearest::{nearby, Source};
use pingan_model::index::PointIndex;
use pingan_model::layers::LayerId;
use pingan_model::projection::to_world;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

const LON: (f64, f64) = (113.75, 113.95);
const LAT: (f64, f64) = (22.52, 22.87);
const PER_LAYER: usize = 20;
const REACH_M: f64 = 5_000.0;

fn random_lonlat(rng: &mut SmallRng) -> [f64; 2] {
    [
        rng.random_range(LON.0..LON.1),
        rng.random_range(LAT.0..LAT.1),
    ]
}

fn index(rng: &mut SmallRng, n: usize) -> PointIndex {
    PointIndex::bulk_load((0..n as u32).map(|i| {
        let p = random_lonlat(rng);
        let w = to_world(p[0], p[1]);
        ([w.x, w.y], i)
    }))
}

/// Median and 99th percentile of single calls, in µs.
fn percentiles(mut f: impl FnMut() -> usize, positions: usize) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(positions);
    let mut items = 0;
    for _ in 0..positions {
        let t = Instant::now();
        items += f();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    (
        times[positions / 2],
        times[positions * 99 / 100],
        items / positions,
    )
}

fn bench(c: &mut Criterion) {
    let mut rng = SmallRng::seed_from_u64(7);
    let hazards = index(&mut rng, 22_000);
    let cases = index(&mut rng, 80_000);
    // Tiers: 0 open (5.6 %), 1 rectifying (8.2 %), 2 rectified.
    let hazard_tier: Vec<u8> = (0..22_000)
        .map(|_| match rng.random_range(0..1000) {
            0..=55 => 0,
            56..=137 => 1,
            _ => 2,
        })
        .collect();
    let hazard_type: Vec<u8> = (0..22_000).map(|_| rng.random_range(0..8)).collect();
    let case_open: Vec<bool> = (0..80_000).map(|_| rng.random::<f64>() < 0.4).collect();
    let positions: Vec<[f64; 2]> = (0..4_096).map(|_| random_lonlat(&mut rng)).collect();

    let all = |_: u32| true;
    let one_type = |k: u32| hazard_type[k as usize] == 3;
    let tiered = |k: u32| hazard_tier[k as usize];
    let open = |k: u32| case_open[k as usize];
    let flat = |_: u32| 0u8;
    let sources = |which: &'static str| {
        let keep: &dyn Fn(u32) -> bool = if which == "one type" { &one_type } else { &all };
        [
            Source {
                layer: LayerId::Hazards,
                index: &hazards,
                keep,
                tier: &tiered,
            },
            Source {
                layer: LayerId::Cases,
                index: &cases,
                keep: &open,
                tier: &flat,
            },
        ]
    };

    let mut group = c.benchmark_group("nearby 22k hazards + 80k cases");
    for (name, which, reach) in [
        ("all hazards, 5 km", "all", REACH_M),
        ("all hazards, unbounded", "all", f64::INFINITY),
        ("one hazard type, 5 km (worst)", "one type", REACH_M),
        ("one hazard type, unbounded", "one type", f64::INFINITY),
    ] {
        let src = sources(which);
        let mut q = 0usize;
        let (p50, p99, items) = percentiles(
            || {
                q += 1;
                nearby(&src, positions[q % positions.len()], PER_LAYER, reach)
                    .iter()
                    .map(|s| s.items.len())
                    .sum()
            },
            positions.len(),
        );
        println!("nearby, {name}: median {p50:.1} µs, p99 {p99:.1} µs, {items} items per call");
        let mut q = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                q += 1;
                black_box(nearby(
                    &src,
                    positions[q % positions.len()],
                    PER_LAYER,
                    reach,
                ))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
