#!/usr/bin/env bash
# Calling benchmarks in headless Chromium: builds the widget, starts the SIP lab on its own
# ports, runs crates/e2e/examples/bench_calls.rs (cold load, sign-in to Registered, click to
# INVITE with an unreachable STUN server) and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
scripts/build.sh >/dev/null
export LAB_DIR="${LAB_DIR:-/tmp/framephone-bench-lab}" LAB_UDP_PORT="${LAB_UDP_PORT:-45060}" LAB_WS_PORT="${LAB_WS_PORT:-48088}"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
scripts/lab.sh start >/dev/null
trap 'scripts/lab.sh stop' EXIT
cargo run --quiet --release -p e2e --example bench_calls
