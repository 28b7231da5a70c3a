//! `cargo bench -p pingan-model --bench rtree`: R-tree bulk load, viewport
//! queries, k-nearest, single inserts and removes, and binning on 1,000,000
//! points spread like cases over Bao'an (world coordinates), timed by
//! Criterion. Reports numbers; asserts nothing about speed.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use pingan_model::aggregate::Bins;
use pingan_model::index::{Bbox, PointIndex};
use pingan_model::projection::{pixels_per_world_unit, to_world};
use pingan_model::viewport::DISTRICT_LONLAT_BBOX;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 1_000_000;

/// Clustered like people: 60 % around 40 centres, 40 % uniform (seeded).
fn points() -> Vec<[f64; 2]> {
    let mut rng = SmallRng::seed_from_u64(42);
    let (min, max) = DISTRICT_LONLAT_BBOX;
    let centres: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                rng.random_range(min[0]..max[0]),
                rng.random_range(min[1]..max[1]),
            )
        })
        .collect();
    (0..N)
        .map(|i| {
            let (lon, lat) = if i % 5 < 3 {
                let c = centres[i % centres.len()];
                (
                    c.0 + rng.random_range(-0.01..0.01),
                    c.1 + rng.random_range(-0.01..0.01),
                )
            } else {
                (
                    rng.random_range(min[0]..max[0]),
                    rng.random_range(min[1]..max[1]),
                )
            };
            let w = to_world(lon, lat);
            [w.x, w.y]
        })
        .collect()
}

fn load(pts: &[[f64; 2]]) -> PointIndex {
    PointIndex::bulk_load(pts.iter().enumerate().map(|(i, p)| (*p, i as u32)))
}

fn rtree(c: &mut Criterion) {
    let pts = points();
    let idx = load(&pts);

    let mut heavy = c.benchmark_group("rtree 1M (heavy)");
    heavy.sample_size(10);
    heavy.bench_function("bulk load", |b| b.iter(|| black_box(load(&pts))));
    for zoom in [10u32, 12, 14] {
        let cell = 56.0 / pixels_per_world_unit(f64::from(zoom));
        heavy.bench_with_input(
            BenchmarkId::new("bin all points", zoom),
            &cell,
            |b, &cell| b.iter(|| black_box(Bins::from_points(cell, pts.iter().copied()).len())),
        );
    }
    heavy.finish();

    // Viewports of a 1920×1080 screen at several zooms, centred on the points.
    let mut group = c.benchmark_group("rtree 1M");
    for zoom in [12u32, 14, 16] {
        let s = pixels_per_world_unit(f64::from(zoom));
        let (hw, hh) = (960.0 / s, 540.0 / s);
        let mut q = 0usize;
        group.bench_function(BenchmarkId::new("viewport query", zoom), |b| {
            b.iter(|| {
                let c = pts[(q * 4999) % N];
                q += 1;
                let bb = Bbox::new([c[0] - hw, c[1] - hh], [c[0] + hw, c[1] + hh]);
                black_box(idx.query(&bb).count())
            })
        });
    }
    for k in [1usize, 10, 100] {
        let mut q = 0usize;
        group.bench_function(BenchmarkId::new("k-nearest", k), |b| {
            b.iter(|| {
                let c = pts[(q * 7919) % N];
                q += 1;
                black_box(idx.k_nearest([c[0] + 1e-6, c[1] - 1e-6], k))
            })
        });
    }
    // Single inserts and removes into the loaded tree: only the timed
    // operation is counted, the tree is put back untimed.
    let mut tree = idx.clone();
    group.bench_function("insert", |b| {
        b.iter_custom(|iters| {
            let ids = (N as u32)..(N as u32 + iters as u32);
            let t = Instant::now();
            for id in ids.clone() {
                tree.insert(pts[id as usize % N], id);
            }
            let took = t.elapsed();
            for id in ids {
                tree.remove(pts[id as usize % N], id);
            }
            took
        })
    });
    group.bench_function("remove", |b| {
        b.iter_custom(|iters| {
            let ids = (N as u32)..(N as u32 + iters as u32);
            for id in ids.clone() {
                tree.insert(pts[id as usize % N], id);
            }
            let t = Instant::now();
            for id in ids {
                tree.remove(pts[id as usize % N], id);
            }
            t.elapsed()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = rtree
}
criterion_main!(benches);
