#!/usr/bin/env bash
# Every test, in order: formatting and lints (native and wasm32), native unit tests, component
# tests in headless Chromium, the release build, and end-to-end tests of the release build inside
# the host emulators. Ends with one line: "Summary: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh || { echo "Summary: 0 passed, 1 failed"; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export CHROMEDRIVER
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

logs=$(mktemp -d)
passed=0
failed=0
broken=()

# Runs one step; a cargo test step adds its counts, any other step counts as one failure if it fails.
step() {
  local name=$1
  shift
  printf '\n== %s\n' "$name"
  "$@" 2>&1 | tee "$logs/$name.log"
  local status=${PIPESTATUS[0]}
  local results
  results=$(grep -E '^test result:' "$logs/$name.log" || true)
  if [ -n "$results" ]; then
    passed=$((passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$results" | awk '{ s += $1 } END { print s + 0 }')))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$results" | awk '{ s += $1 } END { print s + 0 }')))
  fi
  if [ "$status" -ne 0 ]; then
    broken+=("$name")
    [ -n "$results" ] && grep -qE ' [1-9][0-9]* failed' <<<"$results" || failed=$((failed + 1))
  fi
}

step format cargo fmt --all -- --check
step clippy-native cargo clippy --quiet --workspace --all-targets -- -D warnings
step clippy-wasm cargo clippy --quiet -p framephone -p sip -p sip-bench-wasm -p admin --all-targets --target wasm32-unknown-unknown -- -D warnings
# The integration service's tests run on SQLite and on a throwaway PostgreSQL cluster.
# Under /tmp, not $logs: the server runs as the postgres user, who cannot enter a 0700 directory.
export PG_DIR="/tmp/framephone-test-postgres-$$" PG_PORT=15433
step postgres-start scripts/postgres.sh start
FRAMEPHONE_TEST_POSTGRES=$(scripts/postgres.sh url)
export FRAMEPHONE_TEST_POSTGRES
step unit cargo test --quiet --workspace --exclude e2e
scripts/postgres.sh stop
step components cargo test -p framephone --target wasm32-unknown-unknown --test web
# The SIP lab (Kamailio on loopback) serves the rest of the run: checked with SIPp against
# SIPp, then the project's user agent against it over WebSocket and UDP and against SIPp playing
# the far end; then the widgets of the end-to-end tests sign in to it and call each other. The
# TURN lab (coturn on loopback, checked by `lab.sh check`) relays the calls of the TURN tests
# (crates/e2e/tests/turn.rs), which read its ports from the same settings. The lab's test CA and
# certificate ($LAB_DIR/tls) serve its WSS and TURN-over-TLS ports and the dev server's https
# origins (crates/e2e/tests/secure_origins.rs).
export LAB_DIR="$logs/lab" LAB_UDP_PORT=15060 LAB_WS_PORT=18088 LAB_WSS_PORT=18089 LAB_TURN_PORT=23478 \
  LAB_TURN_TLS_PORT=23479 LAB_TURN_SECRET_PORT=23480
sip_lab() {
  local status=0
  { scripts/lab.sh check && scripts/lab.sh check-calls; } || status=1
  cargo test --quiet -p sipshell --test lab --test sipp -- --ignored --test-threads=1 || status=1
  return $status
}
step lab-start scripts/lab.sh start
step sip-lab sip_lab
step build scripts/build.sh
step build-admin scripts/build-admin.sh
# The service's own process, killed and started again by crates/e2e/tests/service_crm.rs.
step build-service cargo build --quiet -p service --bin framephone-service
step end-to-end cargo test --quiet --no-fail-fast -p e2e -- --test-threads=2
scripts/lab.sh stop

printf '\n'
if [ ${#broken[@]} -gt 0 ]; then echo "Failed steps: ${broken[*]} (logs in $logs)"; fi
echo "Summary: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ]
