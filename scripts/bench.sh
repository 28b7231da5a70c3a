#!/usr/bin/env bash
# Benchmarks:
#   1. the model crate's Criterion-style benches (cargo bench -p pingan-model);
#   2. the front end in headless Chromium (e2e/bench.mjs: first frame, panning frame times, wasm
#      size; e2e/bench-wall.mjs: the wall's speed at 3840×2160 — first frame, flights, pulses,
#      idle frames) against a release server this script starts on a free port and stops again;
#   3. the live stream (ws): pingan-loadgen (server/src/bin/pingan-loadgen.rs) — N WebSocket
#      clients, M events/s through POST /api/readings — against our release server (fresh temp db,
#      no simulator) and against a plain Node.js `ws` broadcast server (bench/node-ws/), printed
#      side by side.
#
#   scripts/bench.sh              # all three
#   scripts/bench.sh --no-cargo   # 2 and 3
#   scripts/bench.sh --ws         # only 3
#   scripts/bench.sh --soak       # only the wall left running (e2e/bench-wall-soak.mjs: SOAK_MIN
#                                 # minutes, 30, with the simulator at --time-factor 60: heap, wasm
#                                 # memory, DOM nodes, CPU share at start and end, and at rest)
#
# The stream benchmark's load: WS_CLIENTS (1000), WS_RATE (500 events/s), WS_DURATION (20 s),
# WS_WARMUP (3 s). Run it on a quiet machine: the generator shares the cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
trap pingan_stop_servers EXIT

mode="${1:-all}"
if [[ "$mode" == "--ws" ]]; then
  pingan_path
  pingan_data
elif [[ "$mode" == "--soak" ]]; then
  pingan_setup
  pingan_test_deps
  cargo build --release -p pingan-server
  soak_db="$(mktemp -d)"
  pingan_start_server soak "$PINGAN_ROOT/data" "$PINGAN_ROOT/target/bench-logs/soak-server.log" \
    --db "$soak_db/soak.sqlite" --simulate --time-factor 60
  soak_url="$PINGAN_SERVER_URL"
  pingan_start_server rest "$PINGAN_ROOT/data" "$PINGAN_ROOT/target/bench-logs/rest-server.log" \
    --db "$soak_db/rest.sqlite"
  log "the wall left running: node e2e/bench-wall-soak.mjs (${SOAK_MIN:-30} min)"
  PINGAN_URL="$soak_url" PINGAN_REST_URL="$PINGAN_SERVER_URL" node e2e/bench-wall-soak.mjs </dev/null
  rm -rf "$soak_db"
  exit 0
else
  pingan_setup
fi

if [[ "$mode" != "--ws" ]]; then
  pingan_test_deps
  if [[ "$mode" != "--no-cargo" ]]; then
    log "cargo bench -p pingan-model"
    cargo bench -p pingan-model
  fi
fi

log "building pingan-server and pingan-loadgen (release)"
cargo build --release -p pingan-server --bins

if [[ "$mode" != "--ws" ]]; then
  pingan_start_server bench "$PINGAN_ROOT/data" "$PINGAN_ROOT/target/bench-logs/server.log"
  log "browser benchmark: node e2e/bench.mjs"
  PINGAN_URL="$PINGAN_SERVER_URL" node e2e/bench.mjs </dev/null
  log "browser benchmark at 4K: node e2e/bench-wall.mjs"
  PINGAN_URL="$PINGAN_SERVER_URL" node e2e/bench-wall.mjs </dev/null
  PINGAN_URL="$PINGAN_SERVER_URL" node e2e/bench-field.mjs </dev/null
  pingan_stop_servers
fi

# --- 3. the live stream ------------------------------------------------------------------------

ws_clients="${WS_CLIENTS:-1000}"
ws_rate="${WS_RATE:-500}"
ws_duration="${WS_DURATION:-20}"
ws_warmup="${WS_WARMUP:-3}"
# Each client is a socket at both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 2 * ws_clients + 256)); then
  warn "ulimit -n is $(ulimit -n): too low for $ws_clients clients; raise the hard limit"
fi
command -v node >/dev/null || die "node not found (scripts/setup.sh --test-deps installs it)"
if [[ ! -d bench/node-ws/node_modules/ws ]]; then
  log "npm ci in bench/node-ws (the ws package)"
  (cd bench/node-ws && npm ci --no-audit --no-fund >/dev/null)
fi

logs="$PINGAN_ROOT/target/bench-logs"
mkdir -p "$logs"
loadgen=(
  "$PINGAN_ROOT/target/release/pingan-loadgen"
  --clients "$ws_clients" --rate "$ws_rate" --duration "$ws_duration" --warmup "$ws_warmup"
)
log "machine load before the stream benchmark: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"

db_dir="$(mktemp -d)"
# The load generator is a gateway and a reader: a key for both, on the fresh store.
key="$("$PINGAN_ROOT/target/release/pingan-server" --db "$db_dir/live.sqlite" --data-dir "$PINGAN_ROOT/data" \
  key add loadgen --scope read --scope readings:write | sed -n 's/^key (shown once): //p')"
# One key for every client and every posted reading: the per-identity caps and write limits
# (meant for people and gateways, not for a load test) are switched off for this server.
pingan_start_server pingan "$PINGAN_ROOT/data" "$logs/ws-server.log" --db "$db_dir/live.sqlite" \
  --ws-per-identity 0 --write-rate 0 --address-write-rate 0
ours="$("${loadgen[@]}" --key "$key" --url "$PINGAN_SERVER_URL" --label pingan-server | tail -n1)"
pingan_stop_servers
rm -rf "$db_dir"

node bench/node-ws/server.js --port 0 >"$logs/ws-node.log" 2>&1 </dev/null &
PINGAN_SERVER_PIDS+=("$!")
node_url=""
for ((i = 0; i < 100; i++)); do
  node_url="$(grep -oE 'http://[0-9.:]+' "$logs/ws-node.log" | head -n1)" || true
  [[ -n "$node_url" ]] && break
  sleep 0.1
done
[[ -n "$node_url" ]] || { cat "$logs/ws-node.log" >&2; die "the Node.js baseline did not start"; }
theirs="$("${loadgen[@]}" --url "$node_url" --label node-ws | tail -n1)"
pingan_stop_servers

log "live stream: $ws_clients clients, $ws_rate events/s offered, ${ws_duration} s measured (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n%s\n' "$ours" "$theirs" | sed 's/ | /\n    /g'
