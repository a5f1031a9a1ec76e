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
step clippy-wasm cargo clippy --quiet -p framephone -p sip -p sip-bench-wasm --all-targets --target wasm32-unknown-unknown -- -D warnings
step unit cargo test --quiet --workspace --exclude e2e
step components cargo test -p framephone --target wasm32-unknown-unknown --test web
# The lab, checked with SIPp, then the SIP core's registration against it: the right password
# registers and unregisters, a wrong one fails.
lab_register="cargo run -q -p sip --example lab-register -- 127.0.0.1:15060 1002"
step sip-lab env LAB_DIR="$logs/lab" LAB_UDP_PORT=15060 LAB_WS_PORT=18088 sh -c "scripts/lab.sh start && scripts/lab.sh check && $lab_register lab-1002-pw && ! $lab_register wrong-password; status=\$?; scripts/lab.sh stop; exit \$status"
step build scripts/build.sh
step end-to-end cargo test --quiet -p e2e -- --test-threads=2

printf '\n'
if [ ${#broken[@]} -gt 0 ]; then echo "Failed steps: ${broken[*]} (logs in $logs)"; fi
echo "Summary: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ]
