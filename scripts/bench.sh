#!/usr/bin/env bash
# Benchmarks: the model crate's Criterion-style benches (cargo bench -p pingan-model), then the
# front end in headless Chromium (e2e/bench.mjs: first frame, panning frame times, wasm size)
# against a release server this script starts on a free port and stops again.
#   scripts/bench.sh              # both
#   scripts/bench.sh --no-cargo   # only the browser benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
trap pingan_stop_servers EXIT

pingan_setup
pingan_test_deps

if [[ "${1:-}" != "--no-cargo" ]]; then
  log "cargo bench -p pingan-model"
  cargo bench -p pingan-model
fi

log "building pingan-server (release)"
cargo build --release -p pingan-server
pingan_start_server bench "$PINGAN_ROOT/data" "$PINGAN_ROOT/target/bench-logs/server.log"

log "browser benchmark: node e2e/bench.mjs"
PINGAN_URL="$PINGAN_SERVER_URL" node e2e/bench.mjs </dev/null
