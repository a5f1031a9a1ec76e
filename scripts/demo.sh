#!/usr/bin/env bash
# The demo: builds the widget, starts the SIP lab (Kamailio on loopback), then serves the widget
# beside the ServiceNow and Salesforce emulators and prints the URL of each view and the test
# agents' credentials. Runs until Ctrl-C, which stops the lab too. PORT (default 8780) and the
# next two are used; the lab listens on LAB_WS_PORT (8088) and LAB_UDP_PORT (5060).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
cargo build --quiet -p devserver
export LAB_DIR="${LAB_DIR:-/tmp/framephone-demo-lab}" LAB_WS_PORT="${LAB_WS_PORT:-8088}" LAB_UDP_PORT="${LAB_UDP_PORT:-5060}"
scripts/lab.sh start
trap 'scripts/lab.sh stop' EXIT
echo "Test agents (sign in with any two, in two views or two browsers, and call the other's number):"
grep -vE '^\s*(#|$)' lab/users.txt | while read -r user password; do echo "  username $user  password $password"; done
"${CARGO_TARGET_DIR:-target}/debug/devserver" --dist dist --port "${PORT:-8780}" --sip-server "ws://127.0.0.1:$LAB_WS_PORT"
