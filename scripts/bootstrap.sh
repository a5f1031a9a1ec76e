#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, and skips what is already there:
# Debian's packages (each checked by package with dpkg, never by one of its files), the wasm32
# target, the pinned wasm-bindgen-cli and trunk, and npm's pinned binaryen (wasm-opt) and
# axe-core (the end-to-end tests' accessibility checks) in ~/.cache/framephone/tools.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130 # must equal the `wasm-bindgen` pin in Cargo.toml
TRUNK_VERSION=0.21.14        # 0.22 needs a newer rustc
BINARYEN_VERSION=132.0.0     # npm's; Trunk.toml's `wasm_opt` pin must be version_ and its major
AXE_VERSION=4.14.1           # npm's axe-core, injected by crates/e2e/src/axe.rs
TOOLS_DIR="$HOME/.cache/framephone/tools" # scripts/build.sh puts its node_modules/.bin on PATH

# Every Debian package the build, the demo and the tests use, and what for.
DEBIAN_PACKAGES=(
  chromium                   # the browser of the component and end-to-end tests
  chromium-driver            # ChromeDriver, which drives it
  fonts-noto-cjk             # Japanese glyphs for the browser: the Japanese views and their screenshots
  kamailio                   # the SIP lab's server
  kamailio-websocket-modules # websocket.so, xhttp.so: SIP over WebSocket
  kamailio-tls-modules       # tls.so: SIP over WebSocket over TLS (the lab's wss:// port)
  kamailio-sqlite-modules    # db_sqlite.so: the presence server's tables
  kamailio-presence-modules  # presence, presence_xml, presence_dialoginfo, pua, pua_dialoginfo
  kamailio-autheph-modules   # auth_ephemeral.so: the lab's short-lived SIP credentials
  sqlite3                    # creates the lab's presence database from Kamailio's schema
  sip-tester                 # SIPp: the lab check and the far end of the sipshell tests
  coturn                     # the TURN lab's server (turnserver) and its check (turnutils_uclient)
  openssl                    # the lab's test CA and certificate, and its TLS checks (s_client)
  libnss3-tools              # certutil: the test browsers' certificate store that trusts the lab's CA
  nodejs                     # runs binaryen's wasm-opt (the release build), the SIP bench, esbuild
  npm                        # installs binaryen and axe-core (below) and the benches' JsSIP (and esbuild for its bundle)
  postgresql                 # the integration service's PostgreSQL tests (scripts/postgres.sh)
  curl                       # the demo fills the integration service through its API (scripts/service-demo.sh)
  jq                         # and reads its answers
  python3-pysaml2            # the local identity provider of the SSO tests (lab/idp/idp.py)
  xmlsec1                    # the SSO tests sign and check their SAML fixtures with its CLI
  libxmlsec1-dev             # the service's SAML signature checks (samael links xmlsec1, libxml2, OpenSSL)
  libxml2-dev                # (pulled in by libxmlsec1-dev; named because samael's build needs it)
  libssl-dev                 # OpenSSL for samael and the certificates of SAML settings
  libclang-dev               # bindgen, which samael's build runs over xmlsec1's headers
  pkg-config                 # how samael's build finds xmlsec1 and libxml2
)

say() { printf 'bootstrap: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Installed, or provided by an installed package (NodeSource's nodejs provides npm).
installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ] ||
    dpkg-query -W -f='${db:Status-Status}|${Provides}\n' 2>/dev/null | awk -F'|' -v want="$1" '
      $1 == "installed" { n = split($2, names, /, */); for (i = 1; i <= n; i++) { split(names[i], w, " "); if (w[1] == want) found = 1 } }
      END { exit !found }'
}

export PATH="$HOME/.cargo/bin:$PATH"

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do installed "$package" || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  for package in "${missing[@]}"; do
    installed "$package" || { say "package $package is still not installed" >&2; exit 1; }
  done
  # The lab runs coturn processes of its own (scripts/lab.sh); the package's service, which
  # systemd starts on the standard port 3478 with /etc/turnserver.conf, is not wanted.
  if [[ " ${missing[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ]; then
    say "disabling the coturn package's own service (the lab starts its own)"
    as_root systemctl disable --now coturn.service >/dev/null 2>&1 || true
  fi
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

# npm's pinned packages, each checked by its installed version: binaryen (wasm-opt: Debian's
# binaryen 108 corrupts wasm-bindgen's output, npm's current one does not) and axe-core (the
# accessibility rules the end-to-end tests run in every view of the phone).
npm_version() { node -p "require('$TOOLS_DIR/node_modules/$1/package.json').version" 2>/dev/null; }
for pinned in "binaryen@$BINARYEN_VERSION" "axe-core@$AXE_VERSION"; do
  name=${pinned%@*} version=${pinned#*@}
  if [ "$(npm_version "$name")" != "$version" ]; then
    say "installing $name $version from npm into $TOOLS_DIR"
    mkdir -p "$TOOLS_DIR"
    npm install --silent --no-audit --no-fund --save-exact --prefix "$TOOLS_DIR" "$pinned" >/dev/null
    [ "$(npm_version "$name")" = "$version" ] || { say "$name $version is still not installed" >&2; exit 1; }
  fi
done
