#!/usr/bin/env bash
# The integration service for the demo: starts it on a fresh SQLite database with a master key
# of its own (both in SERVICE_DIR), then, through its API, creates the first administrator with
# the printed setup token, two agents mapped to the lab's SIP users 1001 and 1002, and a
# ServiceNow integration account pointing at the ServiceNow emulator, whose refresh token it
# requests with the emulator's instance administrator, and saves the configuration the widget's
# origin serves as the default tenant's widget configuration (what a widget deployed to follow
# the service would read; the demo's widget reads its file: scripts/demo.sh). Sets up short-lived call credentials with the lab's secrets
# (lab/sip-ephemeral.txt; lab/turn.txt with the coturn on LAB_TURN_SECRET_PORT) and, when IDP_URL
# and IDP_DIR name the lab's identity provider, single sign-on for agents (created just in time
# from agent1001) and administrators (admin.sso). Serves the admin UI from crates/admin/dist
# (scripts/build-admin.sh). Prints the service's PID on its last line.
#
#   scripts/service-demo.sh SERVICE_BINARY SERVICE_PORT SERVICENOW_ORIGIN WIDGET_ORIGIN
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$1 port=$2 servicenow=$3 widget=$4
dir="${SERVICE_DIR:-/tmp/framephone-demo-service}"
url="http://127.0.0.1:$port"
rm -rf "$dir"
mkdir -p "$dir"
( umask 077; "$binary" generate-key >"$dir/master.key" )

FRAMEPHONE_ADMIN_DIR="$PWD/crates/admin/dist" FRAMEPHONE_MASTER_KEY_FILE="$dir/master.key" DATABASE_URL="sqlite://$dir/service.sqlite" \
  FRAMEPHONE_SERVICE_ADDR="127.0.0.1:$port" FRAMEPHONE_WIDGET_ORIGINS="$widget" FRAMEPHONE_LOG=text \
  "$binary" >"$dir/stdout.log" 2>"$dir/service.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf "$url/api/health" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/service.log" >&2; exit 1; }
  sleep 0.1
done
token=$(awk 'found { print $1; exit } /setup token/ { found = 1 }' "$dir/stdout.log")
[ -n "$token" ] || { echo "service-demo: the service printed no setup token" >&2; exit 1; }

jar="$dir/cookies"
api() { # METHOD PATH [JSON]: the answer's body; fails on an HTTP error
  local csrf_header=()
  [ -f "$dir/csrf" ] && csrf_header=(-H "x-csrf-token: $(cat "$dir/csrf")")
  curl -sS --fail-with-body -X "$1" "$url$2" -b "$jar" -c "$jar" -H 'content-type: application/json' \
    "${csrf_header[@]}" ${3:+--data "$3"}
}
admin_password="demo-admin-password"
api POST /api/setup "{\"setupToken\":\"$token\",\"username\":\"admin\",\"displayName\":\"Demo Admin\",\"password\":\"$admin_password\"}" >/dev/null
api POST /api/admin/session "{\"username\":\"admin\",\"password\":\"$admin_password\"}" | jq -r .csrfToken >"$dir/csrf"
for user in 1001 1002; do
  api POST /api/people "{\"username\":\"agent$user\",\"role\":\"agent\",\"sipUser\":\"$user\",\"password\":\"agent-$user-password\"}" >/dev/null
done
account=$(api POST /api/accounts "{\"kind\":\"servicenow\",\"name\":\"ServiceNow emulator\",\"settings\":{\"instanceUrl\":\"$servicenow\",\"clientId\":\"framephone-service\"},\"secrets\":{\"clientSecret\":\"service-client-secret\"}}" | jq -r .id)
api POST "/api/accounts/$account/refresh-token" '{"username":"admin","password":"instance-admin-password"}' >/dev/null
sip_secret=$(awk '$1 == "secret" { print $2 }' lab/sip-ephemeral.txt)
turn_secret=$(awk '$1 == "secret" { print $2 }' lab/turn.txt)
api PUT /api/tenant/call-credentials/sip "{\"secret\":\"$sip_secret\",\"hash\":\"sha256\",\"ttlSeconds\":3600}" >/dev/null
api PUT /api/tenant/call-credentials/turn "{\"secret\":\"$turn_secret\",\"hash\":\"sha1\",\"ttlSeconds\":3600,\"urls\":[\"turn:127.0.0.1:${LAB_TURN_SECRET_PORT:-3480}\"]}" >/dev/null
if [ -n "${IDP_URL:-}" ]; then
  for _ in $(seq 100); do curl -sf "$IDP_URL/metadata" >/dev/null && break; sleep 0.1; done
  api POST /api/people '{"username":"admin.sso","role":"admin","displayName":"Rosa Lind"}' >/dev/null
  for scope in agents admins; do
    jq -n --arg url "$IDP_URL" --arg cert "$(cat "$IDP_DIR/idp.crt")" --arg scope "$scope" '{
      enabled: true, idpSsoUrl: ($url + "/sso"), idpEntityId: ($url + "/metadata"), idpCertificate: $cert,
      spEntityId: ("default_" + $scope + "_sso"), jit: ($scope == "agents"),
      templateUser: (if $scope == "agents" then "agent1001" else null end)}' >"$dir/sso.json"
    api PUT "/api/tenant/sso/$scope" "$(cat "$dir/sso.json")" >/dev/null
  done
  rm -f "$dir/sso.json"
fi
api PUT /api/tenant/widget-config "$(curl -sSf "$widget/framephone.json" | jq -Rs '{config: .}')" >/dev/null
rm -f "$dir/csrf" "$jar"
cat <<TEXT
Integration service: $url/admin/ (SQLite and master key in $dir, log in $dir/service.log)
  administrator  username admin  password $admin_password
  agents         username agent1001 / agent1002  password agent-1001-password / agent-1002-password
  ServiceNow account "ServiceNow emulator" with a refresh token
  the admin UI's Widget configuration tab holds the same framephone.json as the demo's file
  ($url/t/default/framephone.json, for a widget deployed to follow the service)
  short-lived call credentials with the lab's secrets: add "callCredentials": true to "service" in
  the demo's framephone.json file, and Sign in opens the service's window instead of asking a SIP password
TEXT
if [ -n "${IDP_URL:-}" ]; then
  cat <<TEXT
  single sign-on at the lab's identity provider $IDP_URL (users in lab/idp/users.txt): agents
  agent.sso / idp-agent-pw and jit.newcomer / idp-jit-pw (created at their first sign-in) through
  the service's window; administrators admin.sso / idp-admin-pw through the admin UI's sign-in
  (organization "default")
TEXT
fi
echo "$pid"
