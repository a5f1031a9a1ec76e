#!/usr/bin/env bash
# Builds the widget for release into dist/ (Trunk, offline, tools from PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release --offline 2>&1 | grep -vE '^\s*$' | grep -E 'error|warn|success' || true
test -f dist/index.html || { echo "build: dist/index.html was not produced" >&2; exit 1; }
