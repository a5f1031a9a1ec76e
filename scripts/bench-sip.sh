#!/usr/bin/env bash
# SIP core benchmark: parse and serialize natively beside rsip (criterion), and as wasm in Node
# beside JsSIP's parser in the same engine; then the size of the core compiled to wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-target}"
JSSIP_VERSION=3.13.8

echo "== native (criterion; lower is better)"
cargo bench -q -p sip --bench parse -- --warm-up-time 1 --measurement-time 3 --output-format bencher 2>&1 |
  sed -nE 's/^test (.*) \.\.\. bench: +([0-9,]+) ns\/iter.*/\1: \2 ns/p'

echo
echo "== wasm in Node beside JsSIP $JSSIP_VERSION"
# Speed is what this measures: the core at opt-level 3 (the widget builds it for size).
CARGO_PROFILE_RELEASE_OPT_LEVEL=3 cargo build -q --release --target wasm32-unknown-unknown -p sip-bench-wasm
wasm-bindgen --target nodejs --out-dir "$target/sip-bench-wasm" "$target/wasm32-unknown-unknown/release/sip_bench_wasm.wasm"
if [ ! -f "$target/bench-node/node_modules/jssip/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$target/bench-node" "jssip@$JSSIP_VERSION" >/dev/null
fi
node crates/sip-bench-wasm/bench.cjs "$(realpath "$target/sip-bench-wasm")" "$(realpath "$target/bench-node")"

echo
echo "== size of the SIP core as wasm (parser, validator, digest, transactions; after wasm-bindgen)"
wasm="$target/sip-bench-wasm/sip_bench_wasm_bg.wasm"
printf '%s bytes, %s bytes gzip -9\n' "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
