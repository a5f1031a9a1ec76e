#!/usr/bin/env bash
# The demo: builds the widget, starts the SIP lab (Kamailio on loopback), then serves the widget
# beside the ServiceNow and Salesforce emulators, starts the integration service with a demo
# administrator, agents and a ServiceNow account on the emulator (scripts/service-demo.sh), and
# prints the URL of each view and the test agents' credentials. The lab's SAML identity provider
# (lab/idp/idp.py) runs beside it for the service's single sign-on. Runs until Ctrl-C, which
# stops the lab, the IdP and the service too. PORT (default 8780) and the next two are used, the
# service takes PORT+10 and the IdP PORT+11; the lab listens on LAB_WS_PORT (8088) and
# LAB_UDP_PORT (5060), its REST-API coturn on LAB_TURN_SECRET_PORT (3480).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
scripts/build-admin.sh
cargo build --quiet -p devserver -p service
export LAB_DIR="${LAB_DIR:-/tmp/framephone-demo-lab}" LAB_WS_PORT="${LAB_WS_PORT:-8088}" LAB_UDP_PORT="${LAB_UDP_PORT:-5060}"
scripts/lab.sh start
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; scripts/lab.sh stop' EXIT
echo "Test agents (sign in with any two, in two views or two browsers, and call the other's number):"
grep -vE '^\s*(#|$)' lab/users.txt | while read -r user password; do echo "  username $user  password $password"; done
port="${PORT:-8780}"
target="${CARGO_TARGET_DIR:-target}/debug"
# The ServiceNow view gets its tokens and posts its call logs through the service: Authorise
# opens the service's sign-in window (the agents below). The widget's configuration is a file to
# edit (written with the demo's default the first time; delete it to start again from that).
config_file="${FRAMEPHONE_DEMO_CONFIG:-.demo/framephone.json}"
"$target/devserver" --dist dist --port "$port" --sip-server "ws://127.0.0.1:$LAB_WS_PORT" \
  --service "http://127.0.0.1:$((port + 10))" --config-file "$config_file" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$((port + 1))/" >/dev/null && break; sleep 0.1; done
# The identity provider trusts the service's metadata, which it reads once the service is up.
idp_dir="${SERVICE_DIR:-/tmp/framephone-demo-service}-idp"
sp="http://127.0.0.1:$((port + 10))/sso/default"
python3 lab/idp/idp.py --port $((port + 11)) --dir "$idp_dir" --users lab/idp/users.txt \
  --sp-metadata "$sp/agents/metadata" --sp-metadata "$sp/admins/metadata" 2>"$idp_dir.log" &
pids+=($!)
export IDP_URL="http://127.0.0.1:$((port + 11))" IDP_DIR="$idp_dir"
export LAB_TURN_SECRET_PORT="${LAB_TURN_SECRET_PORT:-3480}"
service=$(scripts/service-demo.sh "$target/framephone-service" $((port + 10)) "http://127.0.0.1:$((port + 1))" "http://127.0.0.1:$port")
pids+=("$(tail -n 1 <<<"$service")")
head -n -1 <<<"$service"
wait "${pids[0]}"
