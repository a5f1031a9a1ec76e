#!/usr/bin/env bash
# CRM benchmarks in headless Chromium: builds the widget, starts the SIP lab on its own ports and
# runs crates/e2e/examples/bench_crm (INVITE → the caller's record shown, and hang-up → log
# stored, in ServiceNow and Salesforce Lightning; a backlog of logs drained after a 503 outage).
# POPS (15) and BACKLOG (100) size the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
scripts/build.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
export LAB_DIR="${LAB_DIR:-/tmp/framephone-bench-crm-lab}" LAB_UDP_PORT="${LAB_UDP_PORT:-25060}" LAB_WS_PORT="${LAB_WS_PORT:-28088}"
export LAB_TURN_PORT="${LAB_TURN_PORT:-27478}"
export LAB_TURN_SECRET_PORT="${LAB_TURN_SECRET_PORT:-$((LAB_TURN_PORT + 2))}"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
scripts/lab.sh start >/dev/null
trap 'scripts/lab.sh stop' EXIT
echo "$(date -u '+%F %R UTC'), $(nproc) cores, $(chromium --version 2>/dev/null), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo run --quiet --release -p e2e --example bench_crm
