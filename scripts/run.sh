#!/usr/bin/env bash
# Build everything that is missing (tools, data, front end) and serve Ping'an Map.
#   scripts/run.sh                 # http://127.0.0.1:8080 (PORT=… to change)
#   scripts/run.sh --host 0.0.0.0  # extra arguments go to pingan-server
#   scripts/run.sh --time-factor 60  # the simulator runs an hour a minute
#   SIMULATE=0 scripts/run.sh      # no simulated activity: only what is posted to the API
# The live state is kept in data/live.sqlite (seeded from data/ on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
pingan_setup
SIM=(--simulate)
[[ "${SIMULATE:-1}" == 0 ]] && SIM=()
log "starting pingan-server on port ${PORT:-8080}${SIM:+ with the simulator}"
exec cargo run --release -p pingan-server --bin pingan-server -- --port "${PORT:-8080}" --data-dir data --dist-dir dist "${SIM[@]}" "$@"
