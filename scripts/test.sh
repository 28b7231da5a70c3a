#!/usr/bin/env bash
# Ping'an Map's whole test suite, from a clean checkout:
#   1. installs what is missing (scripts/setup.sh: Rust tools; in the background, Chromium,
#      CJK fonts and e2e/node_modules),
#   2. generates data/ (seeded, ~2 s), then `cargo test` (model, server, datagen, app logic),
#   3. builds the release server and the front end,
#   4. (waits for the test dependencies)
#   5. the app's wasm tests, when it has any (wasm-bindgen-test-runner, chromedriver),
#   6. starts two servers on free ports: one on the real data, one on a copy with a
#      deliberately broken layer,
#   7. runs the browser tests (node --test e2e/tests/), stops the servers,
#   8. starts the product with the README's run command (scripts/run.sh, simulator on) on a free
#      port and checks that it serves the app and simulated events, and prints
#      `N passed, N failed` as its last line.
# Exits non-zero on any failure. Logs go to target/test-logs/, screenshots to target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
pingan_path

LOGS="$PINGAN_ROOT/target/test-logs"
mkdir -p "$LOGS"
T0=$(date +%s)
elapsed() { local s=$(($(date +%s) - T0)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
phase() { log "[$(elapsed)] $*"; }

CARGO_PASSED=0 CARGO_FAILED=0 E2E_PASSED=0 E2E_FAILED=0 PHASE_FAILED=0 SMOKE_PASSED=0
FAILURES=()
fail_phase() { FAILURES+=("$1"); PHASE_FAILED=$((PHASE_FAILED + 1)); warn "FAILED: $1"; }

# --- cleanup: always stop what we started --------------------------------------------------
SUMMARY_DONE=""
DEPS_PID=""
BROKEN_DIR=""
cleanup() {
  pingan_stop_servers
  if [[ -n "$DEPS_PID" ]] && kill -0 "$DEPS_PID" 2>/dev/null; then
    kill "$DEPS_PID" 2>/dev/null || true
  fi
  [[ -n "$BROKEN_DIR" ]] && rm -rf "$BROKEN_DIR"
  if [[ -z "$SUMMARY_DONE" ]]; then
    fail_phase "aborted (see the error above)"
    summary || true
  fi
  return 0
}
trap cleanup EXIT
trap 'warn "interrupted"; exit 130' INT TERM

summary() {
  SUMMARY_DONE=1
  local passed=$((CARGO_PASSED + E2E_PASSED + SMOKE_PASSED)) failed=$((CARGO_FAILED + E2E_FAILED + PHASE_FAILED))
  echo
  echo "cargo test: $CARGO_PASSED passed, $CARGO_FAILED failed"
  echo "browser e2e: $E2E_PASSED passed, $E2E_FAILED failed"
  echo "run command: $SMOKE_PASSED passed"
  if ((${#FAILURES[@]})); then
    printf 'failed step: %s\n' "${FAILURES[@]}"
  fi
  echo "total time: $(elapsed)"
  echo "$passed passed, $failed failed"
  ((failed == 0))
}

# --- 1. test dependencies (network/disk bound: overlaps the CPU-bound cargo builds) --------
phase "installing test dependencies in the background (log: target/test-logs/test-deps.log)"
( pingan_test_deps ) >"$LOGS/test-deps.log" 2>&1 &
DEPS_PID=$!

phase "checking build tools"
pingan_tools

# --- 2. data (some native tests read the generated data), native tests --------------------------
phase "generating data/ if needed"
pingan_data
phase "cargo test (model, server, datagen)"
set +e
cargo test --color never 2>&1 | tee "$LOGS/cargo-test.log"
rc=${PIPESTATUS[0]}
set -e
read -r CARGO_PASSED CARGO_FAILED < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
  } END { print p + 0, f + 0 }' "$LOGS/cargo-test.log")
echo "cargo test: $CARGO_PASSED passed, $CARGO_FAILED failed (exit $rc)"
if ((rc != 0 && CARGO_FAILED == 0)); then
  fail_phase "cargo test exited $rc (build error?)"
fi

# --- 3. server, front end ------------------------------------------------------------------------
phase "building pingan-server (release)"
cargo build --release -p pingan-server || die "cargo build --release -p pingan-server failed"
phase "building the front end"
pingan_frontend

# --- 4. test dependencies ready
phase "waiting for the test dependencies"
if ! wait "$DEPS_PID"; then
  DEPS_PID=""
  tail -n 40 "$LOGS/test-deps.log" >&2
  die "installing the test dependencies failed (see above / target/test-logs/test-deps.log)"
fi
DEPS_PID=""

# --- 5. the app's wasm tests (hook: runs once the app has wasm_bindgen_test tests) ------------
if grep -rqs 'wasm_bindgen_test' src tests 2>/dev/null; then
  phase "cargo test -p pingan-map (wasm32, wasm-bindgen-test-runner)"
  set +e
  # Browser tests (wasm_bindgen_test_configure!(run_in_browser)) use Debian's chromedriver and
  # chromium; the runner itself adds --headless and --no-sandbox.
  printf '%s\n' '{"goog:chromeOptions":{"binary":"/usr/bin/chromium","args":["--disable-gpu","--disable-background-networking","--disable-component-update","--no-first-run","--disable-sync","--disable-quic"]}}' \
    >"$LOGS/webdriver.json"
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON="$LOGS/webdriver.json" \
    WASM_BINDGEN_TEST_TIMEOUT=120 \
    cargo test -p pingan-map --target wasm32-unknown-unknown --color never 2>&1 | tee "$LOGS/wasm-test.log"
  rc=${PIPESTATUS[0]}
  set -e
  read -r p f < <(awk '/^test result:/ {
      for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
    } END { print p + 0, f + 0 }' "$LOGS/wasm-test.log")
  CARGO_PASSED=$((CARGO_PASSED + p)) CARGO_FAILED=$((CARGO_FAILED + f))
  if ((rc != 0 && f == 0)); then fail_phase "wasm tests exited $rc"; fi
fi

# --- 6. servers ------------------------------------------------------------------------------------
# Each server gets a fresh live database of its own (seeded from its data dir at start) and no
# simulator, so that what the browser tests see is only what they post.
start_server() {
  rm -f "$DB_DIR/live-$1.sqlite"*
  pingan_start_server "$1" "$2" "$LOGS/server-$1.log" --db "$DB_DIR/live-$1.sqlite"
  SERVER_URL="$PINGAN_SERVER_URL"
}

# A data dir in which one layer is broken: links to every real file, except a truncated one.
BROKEN_LAYER="sentinels"
BROKEN_FILE="sentinels.geojson"
BROKEN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/pingan-broken-data.XXXXXX")"
DB_DIR="$BROKEN_DIR/db"
mkdir -p "$DB_DIR"
for f in "$PINGAN_ROOT"/data/*; do
  case "$f" in *.sqlite | *.sqlite-*) continue ;; esac
  ln -s "$f" "$BROKEN_DIR/$(basename "$f")"
done
rm -f "$BROKEN_DIR/$BROKEN_FILE"
printf '%s' '{"type":"FeatureCollection","features":[{"type":"Feature"' >"$BROKEN_DIR/$BROKEN_FILE"

phase "starting servers"
start_server good "$PINGAN_ROOT/data"
GOOD_URL="$SERVER_URL"
start_server broken "$BROKEN_DIR"
BROKEN_URL="$SERVER_URL"

# --- 7. browser tests ------------------------------------------------------------------------------
phase "browser tests: node --test e2e/tests/"
mkdir -p "$PINGAN_ROOT/target/screenshots"
rm -f "$LOGS/e2e.tap" "$LOGS/e2e-sessions.json"
set +e
PINGAN_URL="$GOOD_URL" PINGAN_BROKEN_URL="$BROKEN_URL" PINGAN_BROKEN_LAYER="$BROKEN_LAYER" \
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$LOGS/e2e.tap" \
    e2e/tests/ </dev/null
rc=$?
set -e
E2E_PASSED=$(awk '/^# pass / {print $3}' "$LOGS/e2e.tap" 2>/dev/null | tail -n1)
E2E_FAILED=$(awk '/^# (fail|cancelled) / {n += $3} END {print n + 0}' "$LOGS/e2e.tap" 2>/dev/null)
E2E_PASSED=${E2E_PASSED:-0} E2E_FAILED=${E2E_FAILED:-0}
if ((rc != 0 && E2E_FAILED == 0)); then
  fail_phase "node --test exited $rc"
fi
if ((rc != 0)); then
  for f in good broken; do
    echo "--- last lines of target/test-logs/server-$f.log"
    tail -n 15 "$LOGS/server-$f.log"
  done
fi
echo "screenshots: $(ls "$PINGAN_ROOT"/target/screenshots/*.png 2>/dev/null | sed "s|$PINGAN_ROOT/||" | tr '\n' ' ')"

# --- 8. the README's run command ------------------------------------------------------------------
# `scripts/run.sh` exactly as a user runs it (simulator on), on a free port and a throw-away
# database: it must serve the app and the API, and the simulator must produce events.
phase "the run command: PORT=0 scripts/run.sh (simulator on)"
RUN_LOG="$LOGS/run-command.log"
setsid env PORT=0 bash scripts/run.sh --db "$DB_DIR/live-run.sqlite" --time-factor 60 \
  >"$RUN_LOG" 2>&1 </dev/null &
RUN_PID=$!
run_ok=""
run_url=""
for ((i = 0; i < 300; i++)); do
  run_url="$(sed 's/\x1b\[[0-9;]*m//g' "$RUN_LOG" | grep -oE 'listening on http://[^ ,"]+' | head -n1 | sed 's/^listening on //')" || true
  [[ -n "$run_url" ]] && break
  kill -0 "$RUN_PID" 2>/dev/null || break
  sleep 0.2
done
if [[ -n "$run_url" ]]; then
  for ((i = 0; i < 60; i++)); do
    head="$(curl -fsS "$run_url/api/health" 2>/dev/null | grep -oE '"head":[0-9]+' | head -n1 | cut -d: -f2)" || true
    if [[ -n "$head" && "$head" -gt 0 ]] && curl -fsS "$run_url/" | grep -q '<html'; then
      run_ok=1
      break
    fi
    sleep 0.5
  done
fi
kill -- -"$RUN_PID" 2>/dev/null || true
wait "$RUN_PID" 2>/dev/null || true
if [[ -n "$run_ok" ]]; then
  SMOKE_PASSED=1
  echo "scripts/run.sh served $run_url: the app, /api/health, and simulated events (head $head)"
else
  tail -n 20 "$RUN_LOG"
  fail_phase "scripts/run.sh did not serve the app with live events (log: target/test-logs/run-command.log)"
fi

summary
