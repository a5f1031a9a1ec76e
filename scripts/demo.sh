#!/usr/bin/env bash
# The demo: builds the widget, then serves it beside the ServiceNow and Salesforce emulators and
# prints the URL of each view. Runs until Ctrl-C. PORT (default 8780) and the next two are used.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
cargo build --quiet -p devserver
exec "${CARGO_TARGET_DIR:-target}/debug/devserver" --dist dist --port "${PORT:-8780}"
