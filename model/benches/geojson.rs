//! `cargo bench -p pingan-model --bench geojson`: the reader on the layers the
//! browser parses at startup (data/grids.geojson, data/hazards.geojson;
//! another directory with `PINGAN_BENCH_DATA`). A missing file is skipped
//! with a note, so the bench runs before the data is generated.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pingan_model::geojson_io::parse_feature_collection;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn data_dir() -> PathBuf {
    std::env::var_os("PINGAN_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data"))
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("geojson parse");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for file in ["grids.geojson", "hazards.geojson"] {
        let path = data_dir().join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "skipping {}: not found (generate data/ first)",
                path.display()
            );
            continue;
        };
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(file, |b| {
            b.iter(|| black_box(parse_feature_collection(&text).map(|f| f.len())))
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
