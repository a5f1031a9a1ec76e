#!/usr/bin/env bash
# Calling benchmarks in headless Chromium: builds the widget and JsSIP's browser bundle, starts
# the SIP and TURN lab on its own ports, runs crates/e2e/examples/bench_calls (the widget beside a
# JsSIP-based phone step by step; cold load, sign-in to Registered, click to INVITE with a dead
# STUN server; a soak of answered calls; the widget beside JsSIP with STUN/TURN healthy, slow and
# dead) and prints the tables; with BENCH_PARTS=hosts, page load to an interactive phone in each
# host view (HOST_LOADS cold loads each, default 10).
# BENCH_PARTS (steps,calls,soak,networks; hosts), STEP_ROUNDS (10), SOAK_CALLS (500), SOAK_WARMUP (100)
# and NETWORK_CALLS (20) narrow the run. The soak runs on a second build with the `heap-count`
# feature (a counting allocator), so that it can show the live wasm heap, or on the build that
# SOAK_DIST names (one that keeps the wasm's names, for SOAK_TRACE_SIZE's places).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
scripts/build.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-target}"
if [[ ",${BENCH_PARTS:-soak}," == *,soak,* && -z "${SOAK_DIST:-}" ]]; then
  export SOAK_DIST
  SOAK_DIST="$(realpath -m "$target/dist-heap-count")"
  TRUNK_BUILD_FEATURES=heap-count TRUNK_BUILD_DIST="$SOAK_DIST" scripts/build.sh >/dev/null
fi
JSSIP_VERSION=3.13.8
# JsSIP's own build (npm-scripts.mjs) bundles lib/ with esbuild 0.27; its npm package ships no
# bundle, so it is built here with the same settings.
ESBUILD_VERSION=0.27.2
node_dir="$target/bench-node"
if [ ! -f "$node_dir/node_modules/jssip/package.json" ] || [ ! -x "$node_dir/node_modules/.bin/esbuild" ]; then
  npm install --silent --no-audit --no-fund --prefix "$node_dir" "jssip@$JSSIP_VERSION" "esbuild@$ESBUILD_VERSION" >/dev/null
fi
"$node_dir/node_modules/.bin/esbuild" "$node_dir/node_modules/jssip/lib/JsSIP.js" --bundle --minify \
  --format=iife --global-name=JsSIP --platform=browser --target=es2015 --supported:template-literal=false --log-level=warning \
  --outfile="$node_dir/jssip.min.js"
export JSSIP_BUNDLE
JSSIP_BUNDLE="$(realpath "$node_dir/jssip.min.js")"
export LAB_DIR="${LAB_DIR:-/tmp/framephone-bench-lab}" LAB_UDP_PORT="${LAB_UDP_PORT:-45060}" LAB_WS_PORT="${LAB_WS_PORT:-48088}"
export LAB_TURN_PORT="${LAB_TURN_PORT:-33478}"
export LAB_TURN_SECRET_PORT="${LAB_TURN_SECRET_PORT:-$((LAB_TURN_PORT + 2))}"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
scripts/lab.sh start >/dev/null
trap 'scripts/lab.sh stop' EXIT
echo "$(date -u '+%F %R UTC'), $(nproc) cores, $(chromium --version 2>/dev/null), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo run --quiet --release -p e2e --example bench_calls
