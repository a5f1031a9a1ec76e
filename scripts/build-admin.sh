#!/usr/bin/env bash
# Builds the integration service's admin UI into crates/admin/dist: the wasm (release), its
# wasm-bindgen glue (--target web) and the static page, boot script and stylesheet. The service
# serves that directory at /admin/ when FRAMEPHONE_ADMIN_DIR names it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --release --target wasm32-unknown-unknown -p admin
out=crates/admin/dist
rm -rf "$out"
mkdir -p "$out/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" "$target/wasm32-unknown-unknown/release/admin.wasm"
cp crates/admin/static/* "$out/"
echo "admin UI built in $out ($(du -sk "$out/pkg/admin_bg.wasm" | cut -f1) KiB of wasm)"
