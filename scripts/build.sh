#!/usr/bin/env bash
# Builds the widget for release into dist/ (Trunk, offline, tools from PATH). Trunk keeps the
# previous dist/ when a build fails, so its exit status, not dist/'s presence, decides.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
if ! trunk build --release --offline >"$log" 2>&1; then
  cat "$log" >&2
  echo "build: trunk build failed" >&2
  exit 1
fi
grep -E 'WARN|warning|success' "$log" || true
rm -f "$log"
