#!/usr/bin/env bash
# Shared setup for Ping'an Map: idempotent tool installs, data generation and the
# front-end build. Other scripts source this file and call its functions;
# running it directly performs the whole build setup:
#
#   scripts/setup.sh              # tools + data + front end (what scripts/run.sh needs)
#   scripts/setup.sh --test-deps  # the above plus Chromium, CJK fonts and e2e/node_modules
#
# Every step is skipped when its result is already there, so re-running is cheap.
# Nothing here downloads prebuilt binaries: tools are built from crates.io,
# the browser comes from Debian, trunk runs with --offline.

# --- helpers -------------------------------------------------------------------------------

PINGAN_ROOT="${PINGAN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TRUNK_SERIES="0.21"   # trunk 0.22 needs a newer rustc than the stable toolchain here

# Every data file the server catalogues (see GET /api/layers); setup regenerates data/
# when any is missing or when the generator's inputs changed.
PINGAN_DATA_FILES=(
  grids.geojson greenspace.geojson parks.geojson monitored_areas.geojson
  communities.geojson subdistricts.geojson district.geojson
  sentinels.geojson sensors.geojson hazards.geojson cases_recent.bin
)

log()  { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Put cargo's bin dir (rustup, trunk, wasm-bindgen) on PATH.
pingan_path() {
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  case ":$PATH:" in
    *":$cargo_bin:"*) ;;
    *) export PATH="$cargo_bin:$PATH" ;;
  esac
  command -v cargo >/dev/null || die "cargo not found (looked in $cargo_bin and PATH); install Rust with rustup first"
}

# The exact wasm-bindgen version the app locks; wasm-bindgen-cli must match it.
pingan_wasm_bindgen_version() {
  local lock="$PINGAN_ROOT/Cargo.lock"
  [[ -f "$lock" ]] || die "Cargo.lock not found at $lock"
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$lock"
}

# --- build tools -----------------------------------------------------------------------------

pingan_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    return 0
  fi
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown || die "rustup target add wasm32-unknown-unknown failed"
}

pingan_trunk() {
  local have=""
  if command -v trunk >/dev/null; then
    have="$(trunk --version 2>/dev/null | awk '{print $2}')"
  fi
  if [[ "$have" == "$TRUNK_SERIES".* ]]; then
    return 0
  fi
  log "installing trunk ^$TRUNK_SERIES (found: ${have:-none}); this compiles from source, a few minutes"
  cargo install trunk --version "^$TRUNK_SERIES" --locked \
    || die "cargo install trunk --version ^$TRUNK_SERIES --locked failed"
}

pingan_wasm_bindgen() {
  local want have=""
  want="$(pingan_wasm_bindgen_version)"
  [[ -n "$want" ]] || die "could not read the wasm-bindgen version from Cargo.lock"
  if command -v wasm-bindgen >/dev/null; then
    have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
  fi
  if [[ "$have" == "$want" ]] && command -v wasm-bindgen-test-runner >/dev/null; then
    return 0
  fi
  log "installing wasm-bindgen-cli $want (found: ${have:-none}); this compiles from source, a few minutes"
  # Not --locked: the CLI's own lock file pins crates that need a newer rustc.
  cargo install wasm-bindgen-cli --version "$want" --force \
    || die "cargo install wasm-bindgen-cli --version $want failed"
}

# trunk only runs wasm-opt when index.html asks for it (data-wasm-opt other than 0);
# it is then taken from PATH (Debian's binaryen) since trunk runs offline.
pingan_wasm_opt() {
  local html="$PINGAN_ROOT/index.html"
  [[ -f "$html" ]] || return 0
  if grep -Eq 'data-wasm-opt="[^0"]' "$html" && ! command -v wasm-opt >/dev/null; then
    log "index.html enables wasm-opt: installing Debian's binaryen"
    pingan_apt_install binaryen
  fi
}

pingan_tools() {
  pingan_path
  pingan_wasm_target
  pingan_trunk
  pingan_wasm_bindgen
  pingan_wasm_opt
}

# --- data ------------------------------------------------------------------------------------

# Hash of everything the generated data depends on: regenerate when it changes.
pingan_data_stamp() {
  (cd "$PINGAN_ROOT" && find datagen model/src data/boundaries -type f -not -path '*/target/*' -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | awk '{print $1}')
}

pingan_data() {
  pingan_path
  local dir="$PINGAN_ROOT/data" missing="" f stamp
  for f in "${PINGAN_DATA_FILES[@]}"; do
    [[ -s "$dir/$f" ]] || missing+=" $f"
  done
  stamp="$(pingan_data_stamp)"
  if [[ -z "$missing" && -f "$dir/.datagen-stamp" && "$(cat "$dir/.datagen-stamp")" == "$stamp" ]]; then
    return 0
  fi
  if [[ -n "$missing" ]]; then
    log "generating data/ (missing:$missing)"
  else
    log "regenerating data/ (the generator or its inputs changed)"
  fi
  (cd "$PINGAN_ROOT" && cargo run --release -p pingan-datagen -- --out data) \
    || die "data generation failed: cargo run --release -p pingan-datagen -- --out data"
  missing=""
  for f in "${PINGAN_DATA_FILES[@]}"; do
    [[ -s "$dir/$f" ]] || missing+=" $f"
  done
  [[ -z "$missing" ]] || die "pingan-datagen finished but these files are still missing from data/:$missing"
  echo "$stamp" >"$dir/.datagen-stamp"
}

# --- front end -------------------------------------------------------------------------------

pingan_frontend() {
  pingan_tools
  log "building the front end: trunk build --release --offline"
  if ! (cd "$PINGAN_ROOT" && trunk build --release --offline); then
    # Another trunk running in the same checkout (trunk serve, a second build) can remove
    # dist/.stage under this one; one retry tells that apart from a real build error.
    warn "trunk build failed; retrying once in case another trunk process shared dist/"
    sleep 5
    (cd "$PINGAN_ROOT" && trunk build --release --offline) \
      || die "front-end build failed (trunk build --release --offline)"
  fi
  [[ -f "$PINGAN_ROOT/dist/index.html" ]] || die "trunk finished but dist/index.html is missing"
  compgen -G "$PINGAN_ROOT/dist/*.wasm" >/dev/null || die "trunk finished but dist/ has no .wasm"
}

# --- running the server ----------------------------------------------------------------------

# pingan_start_server NAME DATA_DIR LOGFILE [ARGS...]: starts the release pingan-server (build it first:
# cargo build --release -p pingan-server) on 127.0.0.1 and a free port, in the background, and
# waits for its `listening on http://ADDR` line. Sets PINGAN_SERVER_PID and PINGAN_SERVER_URL;
# Every server started is remembered in PINGAN_SERVER_PIDS; pingan_stop_servers stops them
# (call it from an EXIT trap).
PINGAN_SERVER_PIDS=()
pingan_stop_servers() {
  local pid
  for pid in "${PINGAN_SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PINGAN_SERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PINGAN_SERVER_PIDS=()
}

pingan_start_server() {
  local name="$1" data_dir="$2" logf="$3" addr="" i pid
  shift 3
  local bin="$PINGAN_ROOT/target/release/pingan-server"
  [[ -x "$bin" ]] || die "server binary not found at $bin (cargo build --release -p pingan-server)"
  mkdir -p "$(dirname "$logf")"
  "$bin" --host 127.0.0.1 --port 0 --data-dir "$data_dir" --dist-dir "$PINGAN_ROOT/dist" "$@" \
    >"$logf" 2>&1 </dev/null &
  pid=$!
  PINGAN_SERVER_PID=$pid
  PINGAN_SERVER_PIDS+=("$pid")
  for ((i = 0; i < 300; i++)); do
    addr="$(sed 's/\x1b\[[0-9;]*m//g' "$logf" | grep -oE 'listening on http://[^ ,"]+' | head -n1 | sed 's/^listening on //')" || true
    [[ -n "$addr" ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$logf" >&2
      die "the $name server exited before listening (log above)"
    fi
    sleep 0.2
  done
  [[ -n "$addr" ]] || { cat "$logf" >&2; die "the $name server printed no 'listening on http://…' line within 60 s"; }
  PINGAN_SERVER_URL="${addr%/}"
  log "$name server: $PINGAN_SERVER_URL (pid $pid, log ${logf#"$PINGAN_ROOT"/})"
}

# --- test dependencies -----------------------------------------------------------------------

PINGAN_APT_UPDATED=""
pingan_apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install these by hand: $*"
  [[ $(id -u) -eq 0 ]] || die "need root to apt-get install $* (or install them by hand)"
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z "$PINGAN_APT_UPDATED" ]]; then
    apt-get update -q || die "apt-get update failed"
    PINGAN_APT_UPDATED=1
  fi
  apt-get install -y -q "$@" </dev/null || die "apt-get install $* failed"
}

pingan_deb_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

pingan_browser() {
  local need=() p
  for p in chromium chromium-driver fonts-noto-cjk curl; do
    pingan_deb_installed "$p" || need+=("$p")
  done
  if ((${#need[@]})); then
    log "installing from Debian: ${need[*]}"
    pingan_apt_install "${need[@]}"
  fi
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is still missing after apt-get install"
}

pingan_node_modules() {
  command -v npm >/dev/null || die "npm not found: install Node.js 20+"
  local e2e="$PINGAN_ROOT/e2e"
  [[ -f "$e2e/package-lock.json" ]] || die "e2e/package-lock.json is missing"
  # Reinstall only when the lock file changed since the last install.
  local want
  want="$(sha256sum <"$e2e/package-lock.json")"
  if [[ -d "$e2e/node_modules/playwright-core" && "$(cat "$e2e/node_modules/.pingan-lock" 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  log "installing e2e node modules: npm ci"
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in e2e/ failed"
  echo "$want" >"$e2e/node_modules/.pingan-lock"
}

pingan_test_deps() {
  pingan_browser
  pingan_node_modules
}

# Everything run.sh needs.
pingan_setup() {
  pingan_tools
  pingan_data
  pingan_frontend
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  pingan_setup
  if [[ "${1:-}" == "--test-deps" ]]; then
    pingan_test_deps
  fi
  log "setup done"
fi
