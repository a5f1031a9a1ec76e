#!/usr/bin/env bash
# Builds the widget for release into dist/ (Trunk, offline, tools from PATH, all installed by
# scripts/bootstrap.sh: wasm-opt is npm's binaryen in ~/.cache/framephone/tools, run by Trunk as
# index.html asks). Trunk keeps the previous dist/ when a build fails, so its exit status, not
# dist/'s presence, decides.
#
# Then writes the HTTP headers the deployment must serve (dist/headers.json and
# dist/headers.nginx.conf: Content-Security-Policy with frame-ancestors from
# hosts.allowedOrigins, Referrer-Policy, Permissions-Policy, X-Content-Type-Options) for the
# configuration being deployed: $FRAMEPHONE_CONFIG, else ./framephone.json, else the example
# (said so). An invalid configuration fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$HOME/.cache/framephone/tools/node_modules/.bin:$PATH"
log=$(mktemp)
if ! trunk build --release --offline >"$log" 2>&1; then
  cat "$log" >&2
  echo "build: trunk build failed" >&2
  exit 1
fi
grep -E 'WARN|warning|success' "$log" || true
rm -f "$log"

config=${FRAMEPHONE_CONFIG:-}
if [[ -z "$config" ]]; then
  if [[ -f framephone.json ]]; then
    config=framephone.json
  else
    config=framephone.example.json
    echo "build: no framephone.json here and FRAMEPHONE_CONFIG unset: headers written for framephone.example.json" >&2
  fi
fi
cargo run --quiet -p devserver --bin deploy-headers -- "${TRUNK_BUILD_DIST:-dist}" "$config"
