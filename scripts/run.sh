#!/usr/bin/env bash
# Build everything that is missing (tools, data, front end) and serve Ping'an Map.
#   scripts/run.sh                 # http://127.0.0.1:8080 (PORT=… to change)
#   scripts/run.sh --host 0.0.0.0  # extra arguments go to pingan-server
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
pingan_setup
log "starting pingan-server on port ${PORT:-8080}"
exec cargo run --release -p pingan-server -- --port "${PORT:-8080}" --data-dir data --dist-dir dist "$@"
