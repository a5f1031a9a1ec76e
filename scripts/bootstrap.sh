#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, and skips what is already there:
# the wasm32 target, the pinned wasm-bindgen-cli and trunk, Chromium and ChromeDriver, and the
# SIP lab (Kamailio with its WebSocket module, SIPp).
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130 # must equal the `wasm-bindgen` pin in Cargo.toml
TRUNK_VERSION=0.21.14        # 0.22 needs a newer rustc

say() { printf 'bootstrap: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export PATH="$HOME/.cargo/bin:$PATH"

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v kamailio >/dev/null 2>&1 || packages+=(kamailio)
[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so ] || packages+=(kamailio-websocket-modules)
command -v sipp >/dev/null 2>&1 || packages+=(sip-tester)
if [ ${#packages[@]} -gt 0 ]; then
  say "installing ${packages[*]} from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 10 minutes on 2 cores)"
  cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "building trunk $TRUNK_VERSION (about 15 minutes on 2 cores)"
  # --locked: a fresh resolution pulls a cssparser that lightningcss does not build with.
  cargo install --quiet trunk --version "$TRUNK_VERSION" --locked
fi
