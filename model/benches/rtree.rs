//! `cargo bench -p pingan-model --bench rtree`: R-tree bulk load, viewport
//! queries and k-nearest on 1,000,000 points spread like cases over Bao'an
//! (world coordinates). Prints numbers; asserts nothing about speed.

use pingan_model::aggregate::Bins;
use pingan_model::index::{Bbox, PointIndex};
use pingan_model::projection::{pixels_per_world_unit, to_world};
use pingan_model::viewport::DISTRICT_LONLAT_BBOX;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let n = 1_000_000;
    let mut rng = SmallRng::seed_from_u64(42);
    let (min, max) = DISTRICT_LONLAT_BBOX;
    // Clustered like people: 60 % around 40 centres, 40 % uniform.
    let centres: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                rng.random_range(min[0]..max[0]),
                rng.random_range(min[1]..max[1]),
            )
        })
        .collect();
    let pts: Vec<[f64; 2]> = (0..n)
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
        .collect();

    println!("R-tree benchmark, {n} points (Bao'an extent, clustered)");
    let mut loads = Vec::new();
    let mut idx = PointIndex::default();
    for _ in 0..3 {
        let t = Instant::now();
        idx = PointIndex::bulk_load(pts.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        loads.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "  bulk load                       {:>9.1} ms (median of 3)",
        median(loads)
    );

    // Viewports of a 1920×1080 screen at several zooms, centred on random points.
    for zoom in [12.0, 14.0, 16.0] {
        let s = pixels_per_world_unit(zoom);
        let (hw, hh) = (960.0 / s, 540.0 / s);
        let mut times = Vec::new();
        let mut hits = 0usize;
        for q in 0..200 {
            let c = pts[(q * 4999) % n];
            let b = Bbox::new([c[0] - hw, c[1] - hh], [c[0] + hw, c[1] + hh]);
            let t = Instant::now();
            hits += black_box(idx.query(&b).count());
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "  viewport query z{zoom:<4}            {:>9.3} ms median, {:>8} points/query avg",
            median(times),
            hits / 200
        );
    }
    for k in [1usize, 10, 100] {
        let mut times = Vec::new();
        for q in 0..2000 {
            let c = pts[(q * 7919) % n];
            let p = [c[0] + 1e-6, c[1] - 1e-6];
            let t = Instant::now();
            black_box(idx.k_nearest(p, k));
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        println!(
            "  k-nearest k={k:<4}                {:>9.1} µs median",
            median(times)
        );
    }
    let mut idx2 = idx.clone();
    let t = Instant::now();
    for i in 0..10_000u32 {
        idx2.insert(pts[i as usize], n as u32 + i);
    }
    println!(
        "  insert (10,000 single inserts)  {:>9.2} µs each",
        t.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
    let t = Instant::now();
    for i in 0..10_000u32 {
        idx2.remove(pts[i as usize], n as u32 + i);
    }
    println!(
        "  remove (10,000 single removes)  {:>9.2} µs each",
        t.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );
    for zoom in [10, 12, 14] {
        let t = Instant::now();
        let bins = Bins::from_points(
            56.0 / pixels_per_world_unit(zoom as f64),
            pts.iter().copied(),
        );
        println!(
            "  bin all points at z{zoom:<3}          {:>9.1} ms → {} bins",
            t.elapsed().as_secs_f64() * 1e3,
            bins.len()
        );
    }
}
