#!/usr/bin/env bash
# Build everything that is missing (tools, data, front end) and serve Ping'an Map.
#   scripts/run.sh                 # http://127.0.0.1:8080 (PORT=… to change)
#   scripts/run.sh --host 0.0.0.0  # extra arguments go to pingan-server
#   scripts/run.sh --time-factor 60  # the simulator runs an hour a minute
#   SIMULATE=0 scripts/run.sh      # no simulated activity: only what is posted to the API
# It prints the desk URL and the command-centre wall URL (?mode=wall) and how to pair a wall screen.
# The live state is kept in data/live.sqlite (seeded from data/ on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
pingan_setup
SIM=(--simulate)
[[ "${SIMULATE:-1}" == 0 ]] && SIM=()
log "starting pingan-server on port ${PORT:-8080}${SIM:+ with the simulator}"
# Where to open it: the desk, and the command-centre wall (with how to pair a wall screen).
HOST=127.0.0.1
prev=""
for a in "$@"; do
  [[ "$prev" == "--host" ]] && HOST="$a"
  [[ "$a" == --host=* ]] && HOST="${a#--host=}"
  prev="$a"
done
[[ "$HOST" == 0.0.0.0 || "$HOST" == "::" ]] && HOST="$(hostname -I 2>/dev/null | awk '{print $1}')"
ORIGIN="http://${HOST:-127.0.0.1}:${PORT:-8080}"
[[ "${PORT:-8080}" == 0 ]] && ORIGIN="http://${HOST:-127.0.0.1}:PORT (the port is in the 'listening on' line below)"
log "desk: $ORIGIN/"
log "wall: $ORIGIN/?mode=wall  (several screens as one: &grid=2x1&tile=0,0&bezel=12 on each; a tour: &tour=60; night dimming: &dim=22:00-07:00@0.5)"
log "pair a wall screen: an admin creates a device (POST /api/devices {\"name\":\"大屏 1\"}, see docs/api.md), then open $ORIGIN/?mode=wall&pair=<its 8-digit code> on the screen (or sign in there as viewer)"
exec cargo run --release -p pingan-server --bin pingan-server -- --port "${PORT:-8080}" --data-dir data --dist-dir dist "${SIM[@]}" "$@"
