#!/usr/bin/env bash
# The SIP lab: Kamailio on loopback with the project's configuration (lab/kamailio.cfg) and the
# test users of lab/users.txt, and the TURN lab: coturn on loopback (lab/turnserver.conf), once
# with the long-term credentials of lab/turn.txt and once with its TURN REST API secret. A test
# CA of the lab's own signs one server certificate (127.0.0.1, ::1, localhost and LAB_DOMAIN)
# for Kamailio's WSS, coturn's TLS and the dev server's https origins.
#   scripts/lab.sh start        writes the configurations and a fresh presence database into
#                               $LAB_DIR, makes the test CA and the certificate in $LAB_DIR/tls
#                               when they are missing or expire within a day, and starts
#                               Kamailio and both coturn processes
#   scripts/lab.sh stop         stops them
#   scripts/lab.sh restart      stops and starts them again with the same settings: bindings,
#                               subscriptions, presence state and TURN allocations are gone
#                               (recovery tests)
#   scripts/lab.sh check        registers user 1001 over UDP with SIPp, digest challenge included,
#                               with its password and with short-lived credentials from the
#                               secret of lab/sip-ephemeral.txt (valid ones registered, expired
#                               ones and 1002's refused), sends a MESSAGE from 1001 through the
#                               proxy challenge with short-lived credentials (1002's refused,
#                               1001's accepted), opens a WebSocket over TLS on the WSS
#                               port trusting only the test CA (openssl s_client), and relays UDP
#                               between two TURN allocations on each coturn and on the TLS port
#                               (turnutils_uclient, about 6 s)
#   scripts/lab.sh check-calls  calls through the lab, one line per check (about 10 s): SIPp
#                               against SIPp over UDP (answered, busy, unknown and unregistered
#                               users, a 200 crossing a CANCEL, a re-INVITE glare); logs in
#                               $LAB_DIR/check-calls. WebSocket, MESSAGE and presence are checked
#                               with the project's own agent (crates/sipshell/tests/lab.rs)
# Settings: LAB_DIR (default /tmp/framephone-lab), LAB_UDP_PORT (5060), LAB_WS_PORT (8088),
# LAB_WSS_PORT (LAB_WS_PORT + 1: WebSocket over TLS), LAB_DOMAIN (framephone.test, also the TURN
# realm), LAB_TURN_PORT (3478: long-term credentials), LAB_TURN_TLS_PORT (LAB_TURN_PORT + 1: the
# same coturn over TLS, for turns:), LAB_TURN_SECRET_PORT (LAB_TURN_PORT + 2: the REST API
# secret); each coturn listens on UDP and TCP and relays from 300 UDP ports of LAB_TURN_PORT + 10000
# to + 10599 (start refuses SIP ports inside them). Every command but start takes the settings it does not find in the environment from
# the last start in $LAB_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB_DIR="${LAB_DIR:-/tmp/framephone-lab}"
case $LAB_DIR in /*) ;; *) LAB_DIR="$PWD/$LAB_DIR" ;; esac
if [ "${1:-}" != start ] && [ -f "$LAB_DIR/settings" ]; then
  while IFS='=' read -r name value; do
    case $name in
      LAB_UDP_PORT | LAB_WS_PORT | LAB_WSS_PORT | LAB_DOMAIN | LAB_TURN_PORT | LAB_TURN_TLS_PORT | LAB_TURN_SECRET_PORT) [ -n "${!name:-}" ] || printf -v "$name" %s "$value" ;;
    esac
  done <"$LAB_DIR/settings"
fi
LAB_UDP_PORT="${LAB_UDP_PORT:-5060}"
LAB_WS_PORT="${LAB_WS_PORT:-8088}"
LAB_WSS_PORT="${LAB_WSS_PORT:-$((LAB_WS_PORT + 1))}"
LAB_DOMAIN="${LAB_DOMAIN:-framephone.test}"
LAB_TURN_PORT="${LAB_TURN_PORT:-3478}"
LAB_TURN_TLS_PORT="${LAB_TURN_TLS_PORT:-$((LAB_TURN_PORT + 1))}"
LAB_TURN_SECRET_PORT="${LAB_TURN_SECRET_PORT:-$((LAB_TURN_PORT + 2))}"
schema=/usr/share/kamailio/db_sqlite
pidfile="$LAB_DIR/kamailio.pid"
tls="$LAB_DIR/tls"

start() {
  check_relay_range
  stop_quietly
  mkdir -p "$LAB_DIR"
  printf 'LAB_UDP_PORT=%s\nLAB_WS_PORT=%s\nLAB_WSS_PORT=%s\nLAB_DOMAIN=%s\nLAB_TURN_PORT=%s\nLAB_TURN_TLS_PORT=%s\nLAB_TURN_SECRET_PORT=%s\n' \
    "$LAB_UDP_PORT" "$LAB_WS_PORT" "$LAB_WSS_PORT" "$LAB_DOMAIN" "$LAB_TURN_PORT" "$LAB_TURN_TLS_PORT" \
    "$LAB_TURN_SECRET_PORT" >"$LAB_DIR/settings"
  test_ca
  sed -e "s/UDP_PORT/$LAB_UDP_PORT/g" -e "s/WSS_PORT/$LAB_WSS_PORT/g" -e "s/WS_PORT/$LAB_WS_PORT/g" \
    -e "s/SIP_DOMAIN/$LAB_DOMAIN/g" -e "s|LAB_DIR|$LAB_DIR|g" -e "s|EPHEMERAL_SECRET|$(sip_secret)|g" \
    lab/kamailio.cfg >"$LAB_DIR/kamailio.cfg"
  sed -e "s|LAB_DIR|$LAB_DIR|g" lab/kamailio-tls.cfg >"$LAB_DIR/kamailio-tls.cfg"
  grep -vE '^\s*(#|$)' lab/users.txt | while read -r user password; do
    printf '\t$sht(users=>%s) = "%s";\n' "$user" "$password"
  done >"$LAB_DIR/users.cfg"
  # The presence server's tables, afresh: presence state does not outlive the lab.
  rm -f "$LAB_DIR"/presence.db "$LAB_DIR"/presence.db-*
  cat "$schema/standard-create.sql" "$schema/presence-create.sql" | sqlite3 "$LAB_DIR/presence.db"
  missing_modules "$LAB_DIR/kamailio.cfg"
  kamailio -c -f "$LAB_DIR/kamailio.cfg" >"$LAB_DIR/check.log" 2>&1 || {
    cat "$LAB_DIR/check.log" >&2
    echo "lab: Kamailio refused the configuration $LAB_DIR/kamailio.cfg (above)" >&2
    exit 1
  }
  kamailio -f "$LAB_DIR/kamailio.cfg" -P "$pidfile" -Y "$LAB_DIR" -E >"$LAB_DIR/kamailio.log" 2>&1
  started "$pidfile" "$LAB_DIR/kamailio.log" Kamailio
  echo "lab: Kamailio on udp:127.0.0.1:$LAB_UDP_PORT, ws://127.0.0.1:$LAB_WS_PORT and wss://127.0.0.1:$LAB_WSS_PORT (log: $LAB_DIR/kamailio.log)"
  start_turn long-term "$LAB_TURN_PORT" $((LAB_TURN_PORT + RELAY_OFFSET)) \
    "$(echo lt-cred-mech; turn_users | while read -r name password; do echo "user=$name:$password"; done
      printf 'tls-listening-port=%s\ncert=%s\npkey=%s\n' "$LAB_TURN_TLS_PORT" "$tls/server.pem" "$tls/server.key")" \
    "$LAB_TURN_TLS_PORT"
  start_turn rest-api "$LAB_TURN_SECRET_PORT" $((LAB_TURN_PORT + RELAY_OFFSET + RELAY_PORTS)) \
    "$(printf 'use-auth-secret\nstatic-auth-secret=%s\nno-tls' "$(turn_secret)")"
  echo "lab: coturn on udp and tcp 127.0.0.1:$LAB_TURN_PORT and tls 127.0.0.1:$LAB_TURN_TLS_PORT (long-term credentials) and udp and tcp 127.0.0.1:$LAB_TURN_SECRET_PORT (REST API secret), realm $LAB_DOMAIN (logs: $LAB_DIR/turn-*.log)"
  echo "lab: test CA $tls/ca.pem, server certificate $tls/server.pem and key $tls/server.key"
}

# The lab's test CA and the server certificate it signs, in $LAB_DIR/tls (never in the
# repository): made afresh when either is missing, expires within a day or does not name
# LAB_DOMAIN; kept otherwise, so that a restart leaves browsers that trust the CA trusting it.
test_ca() {
  local names="DNS:localhost,DNS:$LAB_DOMAIN,IP:127.0.0.1,IP:::1"
  if [ -s "$tls/ca.pem" ] && [ -s "$tls/server.key" ] &&
    openssl x509 -in "$tls/ca.pem" -noout -checkend 86400 >/dev/null 2>&1 &&
    openssl x509 -in "$tls/server.pem" -noout -checkend 86400 >/dev/null 2>&1 &&
    openssl x509 -in "$tls/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:$LAB_DOMAIN\b"; then
    return
  fi
  command -v openssl >/dev/null || { echo "lab: openssl is missing: install the Debian package openssl (scripts/bootstrap.sh does)" >&2; exit 1; }
  rm -rf "$tls"
  mkdir -p "$tls"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 3650 \
    -subj "/O=Framephone lab/CN=Framephone lab test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$tls/openssl.log" &&
    openssl req -new "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" \
      -subj "/O=Framephone lab/CN=127.0.0.1" 2>>"$tls/openssl.log" &&
    printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
      "$names" >"$tls/server.ext" &&
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 90 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>>"$tls/openssl.log" || {
    cat "$tls/openssl.log" >&2
    echo "lab: openssl could not make the test CA and certificate in $tls (above)" >&2
    exit 1
  }
  echo "lab: made a test CA and a certificate for $names in $tls"
}

# Waits until the daemon of PIDFILE runs; else shows LOG and stops.
started() {
  local pidfile=$1 log=$2 name=$3
  for _ in $(seq 50); do
    [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && return
    sleep 0.1
  done
  cat "$log" >&2
  echo "lab: $name did not start (log above: $log)" >&2
  exit 1
}

# The long-term TURN users of lab/turn.txt, "NAME PASSWORD" a line.
turn_users() { awk '$1 == "user" { print $2, $3 }' lab/turn.txt; }
turn_secret() { awk '$1 == "secret" { print $2 }' lab/turn.txt; }
# The secret of Kamailio's short-lived SIP credentials (auth_ephemeral).
sip_secret() { awk '$1 == "secret" { print $2 }' lab/sip-ephemeral.txt; }
# sip_ephemeral USER EXPIRY: "USERNAME PASSWORD", the short-lived credentials that
# lab/sip-ephemeral.txt's secret gives USER until EXPIRY (unix time).
sip_ephemeral() {
  local username="$2:$1"
  echo "$username $(printf %s "$username" | openssl dgst -sha256 -hmac "$(sip_secret)" -binary | base64)"
}

# Relay ports per coturn, to spare: a browser that quits without releasing its allocations (a
# failed test) holds them for coturn's ten minutes, and every call, connection kept ready and
# ICE restart takes one per browser.
RELAY_PORTS=300
# Where the relay ports begin, above LAB_TURN_PORT: far enough that the usual SIP and WebSocket
# ports of a lab stay clear of them.
RELAY_OFFSET=10000

# Refuses a lab whose SIP or WebSocket ports fall among the relay ports: coturn would hand such a
# port to a browser's allocation whenever Kamailio was not yet holding it, or fail to.
check_relay_range() {
  local first=$((LAB_TURN_PORT + RELAY_OFFSET)) last=$((LAB_TURN_PORT + RELAY_OFFSET + 2 * RELAY_PORTS - 1)) port
  for port in "$LAB_UDP_PORT" "$LAB_WS_PORT" "$LAB_WSS_PORT" "$LAB_TURN_TLS_PORT" "$LAB_TURN_SECRET_PORT"; do
    if [ "$port" -ge "$first" ] && [ "$port" -le "$last" ]; then
      echo "lab: port $port lies among coturn's relay ports $first-$last (LAB_TURN_PORT + $RELAY_OFFSET): choose another LAB_TURN_PORT" >&2
      exit 1
    fi
  done
  if [ "$last" -gt 65535 ]; then
    echo "lab: LAB_TURN_PORT $LAB_TURN_PORT leaves no room for the relay ports (up to $last): choose one below $((65536 - RELAY_OFFSET - 2 * RELAY_PORTS))" >&2
    exit 1
  fi
}

# start_turn INSTANCE PORT FIRST_RELAY_PORT SETTINGS [TLS_PORT]: one coturn of our own (daemon),
# its configuration lab/turnserver.conf with SETTINGS (configuration lines) appended.
start_turn() {
  local instance=$1 port=$2 relay=$3 credentials=$4 tls_port=${5:-} config="$LAB_DIR/turn-$1.conf" taken
  command -v turnserver >/dev/null || {
    echo "lab: turnserver is missing: install the Debian package coturn (scripts/bootstrap.sh does)" >&2
    exit 1
  }
  # coturn binds with SO_REUSEPORT: a second one on a taken port would start and share its
  # packets with the first. A TCP connection that succeeds means the port is taken.
  for taken in $port $tls_port; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$taken") 2>/dev/null; then
      echo "lab: 127.0.0.1:$taken is in use already (another lab's coturn? stop it, or choose LAB_TURN_PORT)" >&2
      exit 1
    fi
  done
  sed -e "s/TURN_PORT/$port/g" -e "s/RELAY_MIN/$relay/g" -e "s/RELAY_MAX/$((relay + RELAY_PORTS - 1))/g" \
    -e "s/TURN_REALM/$LAB_DOMAIN/g" -e "s/INSTANCE/$instance/g" -e "s|LAB_DIR|$LAB_DIR|g" \
    lab/turnserver.conf >"$config"
  printf '%s\n' "$credentials" >>"$config"
  rm -f "$LAB_DIR/turn-$instance.db" "$LAB_DIR/turn-$instance.log"
  turnserver -c "$config" -o >/dev/null 2>&1 || true
  started "$LAB_DIR/turn-$instance.pid" "$LAB_DIR/turn-$instance.log" "coturn ($instance)"
}

# The Debian package that ships a Kamailio module.
module_package() {
  case $1 in
    websocket | xhttp) echo kamailio-websocket-modules ;;
    tls) echo kamailio-tls-modules ;;
    db_sqlite) echo kamailio-sqlite-modules ;;
    auth_ephemeral) echo kamailio-autheph-modules ;;
    presence | presence_* | pua | pua_* | rls | xcap_*) echo kamailio-presence-modules ;;
    *) echo kamailio ;;
  esac
}

# Stops with the module and its package named when a module the configuration loads is absent.
missing_modules() {
  local config=$1 dir module missing=0
  dir=$(sed -nE 's/^mpath="([^"]+)".*/\1/p' "$config")
  for module in $(sed -nE 's/^loadmodule "([^"]+)\.so".*/\1/p' "$config"); do
    if [ ! -f "$dir/$module.so" ]; then
      echo "lab: Kamailio module $module.so is missing from $dir: install the Debian package $(module_package "$module") (scripts/bootstrap.sh does)" >&2
      missing=1
    fi
  done
  [ "$missing" = 0 ] || exit 1
}

stop_quietly() {
  local file
  for file in "$pidfile" "$LAB_DIR/turn-long-term.pid" "$LAB_DIR/turn-rest-api.pid"; do stop_daemon "$file"; done
}

# Stops the process whose id PIDFILE holds, if it still runs.
stop_daemon() {
  [ -s "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  # Kamailio's main process stops its children before it exits.
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}

check() {
  sipp -sf lab/sipp/register.xml -s 1001 -au 1001 -ap "$(awk '$1 == "1001" { print $2 }' lab/users.txt)" \
    -i 127.0.0.1 -p $((LAB_UDP_PORT + 12)) -m 1 -timeout 10s -trace_err -error_file "$LAB_DIR/sipp-errors.log" \
    -set domain "$LAB_DOMAIN" "127.0.0.1:$LAB_UDP_PORT" >/dev/null 2>&1 &&
    echo "lab: 1001 registered over UDP with digest authentication" ||
    { echo "lab: registration failed (see $LAB_DIR/sipp-errors.log)" >&2; exit 1; }
  local now
  now=$(date +%s)
  check_ephemeral valid register.xml 1001 $((now + 600)) \
    "1001 registered over UDP with short-lived credentials (auth_ephemeral, expiring in 600 s)"
  check_ephemeral expired register-refused.xml 1001 $((now - 10)) \
    "1001's expired short-lived credentials refused (challenged again: 401)" -set expect 401
  check_ephemeral other-user register-refused.xml 1002 $((now + 600)) \
    "1002's short-lived credentials refused for registering 1001 (403)" -set expect 403
  check_ephemeral message-other-user message-auth.xml 1002 $((now + 600)) \
    "1002's short-lived credentials refused for a MESSAGE from 1001 (407 challenge, then 403)" \
    -set callee 1999 -set expect 403
  check_ephemeral message-valid message-auth.xml 1001 $((now + 600)) \
    "1001's short-lived credentials accepted for a MESSAGE from 1001 (407 challenge, then routed: 404 for 1999)" \
    -set callee 1999 -set expect 404
  check_wss
  check_turn
}

# check_ephemeral NAME SCENARIO USER EXPIRY DESCRIPTION [SIPp options]: SCENARIO registers 1001,
# or sends a request from 1001 (message-auth.xml), over UDP with USER's short-lived credentials
# until EXPIRY and must pass.
check_ephemeral() {
  local name=$1 scenario=$2 description=$5 username password
  read -r username password < <(sip_ephemeral "$3" "$4")
  shift 5
  if sipp -sf "lab/sipp/$scenario" -s 1001 -au "$username" -ap "$password" -i 127.0.0.1 -p $((LAB_UDP_PORT + 12)) \
    -m 1 -timeout 10s -trace_err -error_file "$LAB_DIR/sipp-ephemeral-$name-errors.log" -set domain "$LAB_DOMAIN" \
    "$@" "127.0.0.1:$LAB_UDP_PORT" >/dev/null 2>&1; then
    echo "lab: $description"
  else
    echo "lab: short-lived credentials, $name: failed (see $LAB_DIR/sipp-ephemeral-$name-errors.log and $LAB_DIR/kamailio.log)" >&2
    exit 1
  fi
}

# A WebSocket handshake (subprotocol sip) over TLS on the WSS port, the certificate checked
# against the test CA alone and for the address 127.0.0.1: Kamailio must switch protocols.
check_wss() {
  local log="$LAB_DIR/check-wss.log"
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n' "$LAB_WSS_PORT" |
    timeout 10 openssl s_client -quiet -connect "127.0.0.1:$LAB_WSS_PORT" -CAfile "$tls/ca.pem" -verify_ip 127.0.0.1 \
      -verify_return_error >"$log" 2>&1 || true
  if grep -q '^HTTP/1.1 101' "$log"; then
    echo "lab: WebSocket over TLS opened on wss://127.0.0.1:$LAB_WSS_PORT (certificate verified against the test CA)"
  else
    echo "lab: no WebSocket over TLS on 127.0.0.1:$LAB_WSS_PORT (see $log and $LAB_DIR/kamailio.log)" >&2
    exit 1
  fi
}

# Two TURN clients allocate on each coturn and send each other UDP through their relays (both on
# loopback: allow-loopback-peers at work), in parallel; the long-term coturn also over TCP and
# over TLS (the TLS port's certificate verified against the test CA by openssl s_client). A
# broken coturn fails here at once.
check_turn() {
  local user password failures=0 log="$LAB_DIR/check-turn-tls-certificate.log"
  read -r user password < <(turn_users | head -1)
  # One run per transport: UDP, -t (TCP) and -t -S (TLS; -S alone would be DTLS).
  local -A pids
  local name flags port
  for name in long-term tcp tls rest-api; do
    case $name in
      long-term) flags=(-w "$password"); port=$LAB_TURN_PORT ;;
      tcp) flags=(-t -w "$password"); port=$LAB_TURN_PORT ;;
      tls) flags=(-t -S -w "$password"); port=$LAB_TURN_TLS_PORT ;;
      rest-api) flags=(-W "$(turn_secret)"); port=$LAB_TURN_SECRET_PORT ;;
    esac
    timeout 30 turnutils_uclient -y -n 3 -p "$port" -u "$user" "${flags[@]}" -e 127.0.0.1 127.0.0.1 \
      >"$LAB_DIR/check-turn-$name.log" 2>&1 &
    pids[$name]=$!
  done
  turn_result long-term "${pids[long-term]}" "udp 127.0.0.1:$LAB_TURN_PORT" "long-term credentials of $user" || failures=1
  turn_result tcp "${pids[tcp]}" "tcp 127.0.0.1:$LAB_TURN_PORT" "long-term credentials of $user" || failures=1
  turn_result tls "${pids[tls]}" "tls 127.0.0.1:$LAB_TURN_TLS_PORT" "long-term credentials of $user" || failures=1
  turn_result rest-api "${pids[rest-api]}" "udp 127.0.0.1:$LAB_TURN_SECRET_PORT" "REST API credentials from the shared secret" || failures=1
  if timeout 10 openssl s_client -connect "127.0.0.1:$LAB_TURN_TLS_PORT" -CAfile "$tls/ca.pem" -verify_ip 127.0.0.1 \
    -verify_return_error </dev/null >"$log" 2>&1; then
    echo "lab: TURN's TLS port 127.0.0.1:$LAB_TURN_TLS_PORT shows a certificate the test CA signed"
  else
    echo "lab: TURN's TLS port 127.0.0.1:$LAB_TURN_TLS_PORT failed the certificate check (see $log)" >&2
    failures=1
  fi
  [ "$failures" = 0 ] || exit 1
}

# turn_result NAME PID WHERE HOW: whether that turnutils_uclient relayed packets both ways.
turn_result() {
  local log="$LAB_DIR/check-turn-$1.log" received
  wait "$2" || true
  received=$(sed -nE 's/.*tot_recv_msgs=([0-9]+)$/\1/p' "$log" | tail -1)
  if [ "${received:-0}" -gt 0 ]; then
    echo "lab: TURN on $3 relayed $received messages between two allocations ($4)"
  else
    echo "lab: TURN on $3 allocated or relayed nothing with the $4 (see $log and $LAB_DIR/turn-*.log)" >&2
    return 1
  fi
}

password() { awk -v user="$1" '$1 == user { print $2 }' lab/users.txt; }
kam() { kamcmd -s "unix:$LAB_DIR/kamailio_ctl" "$@"; }
# Drops USER's bindings, so that a test waits for the registration of its own agent.
unbind() { kam ul.rm location "s:$1" >/dev/null 2>&1 || true; }
registered() {
  for _ in $(seq 60); do
    kam ul.lookup location "s:$1" 2>/dev/null | grep -q Contacts && return 0
    sleep 0.05
  done
  return 1
}
result() {
  if [ "$2" = 0 ]; then
    echo "lab: ok   $1"
  else
    echo "lab: FAIL $1 (logs: $logs/$3*)"
    failures=$((failures + 1))
  fi
}
# sipp_call NAME DESCRIPTION UAS UAC [SIPp options for the caller]: registered.xml with UAS as
# its out-of-call scenario plays 1002, UAC calls it as 1001; both must pass.
sipp_call() {
  local name=$1 description=$2 uas=$3 uac=$4 pid status=1
  shift 4
  unbind 1002
  sipp -sf lab/sipp/registered.xml -oocsf "lab/sipp/$uas" -s 1002 -au 1002 -ap "$(password 1002)" \
    -p "$uas_port" "${sipp_options[@]}" -error_file "$logs/$name-uas.log" "127.0.0.1:$LAB_UDP_PORT" \
    </dev/null >/dev/null 2>&1 &
  pid=$!
  if registered 1002 && sipp -sf "lab/sipp/$uac" -s 1001 -au 1001 -ap "$(password 1001)" -p "$uac_port" \
    -set callee 1002 "${sipp_options[@]}" -error_file "$logs/$name-uac.log" "$@" "127.0.0.1:$LAB_UDP_PORT" \
    </dev/null >/dev/null 2>&1; then
    wait "$pid" && status=0
  else
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  result "$description" "$status" "$name"
}
sipp_reject() {
  local name=$1 description=$2 callee=$3 expect=$4 status=0
  sipp -sf lab/sipp/uac-reject.xml -s 1001 -au 1001 -ap "$(password 1001)" -p "$uac_port" \
    -set callee "$callee" -set expect "$expect" "${sipp_options[@]}" -error_file "$logs/$name-uac.log" \
    "127.0.0.1:$LAB_UDP_PORT" </dev/null >/dev/null 2>&1 || status=1
  result "$description" "$status" "$name"
}
check_calls() {
  local failures=0 uas_port=$((LAB_UDP_PORT + 10)) uac_port=$((LAB_UDP_PORT + 11)) logs="$LAB_DIR/check-calls"
  local sipp_options=(-i 127.0.0.1 -m 1 -set domain "$LAB_DOMAIN" -timeout 20s -timeout_error -trace_err)
  local pid status note
  rm -rf "$logs"
  mkdir -p "$logs"
  [ -S "$LAB_DIR/kamailio_ctl" ] || { echo "lab: not running in $LAB_DIR (scripts/lab.sh start)" >&2; exit 1; }

  sipp_call answer "UDP call answered (SIPp uac-call -> uas-answer)" uas-answer.xml uac-call.xml -d 500
  sipp_call busy "UDP call to a busy user: 486 (uac-reject -> uas-busy)" uas-busy.xml uac-reject.xml \
    -set expect 486
  sipp_reject unknown "UDP call to a user not in users.txt: 404" 1999 404
  unbind 1006
  sipp_reject unregistered "UDP call to a user without a binding: 480" 1006 480
  sipp_call cancel-race "UDP 200 OK crossing the CANCEL: ACK and BYE (uac-cancel -> uas-cancel-race)" \
    uas-cancel-race.xml uac-cancel.xml
  sipp_call glare "UDP re-INVITE glare: 491 both ways, retry after 2.1-4 s (uac-glare -> uas-glare)" \
    uas-glare.xml uac-glare.xml


  [ "$failures" = 0 ] || { echo "lab: $failures check(s) failed" >&2; exit 1; }
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  restart) stop_quietly && start ;;
  check) check ;;
  check-calls) check_calls ;;
  *) echo "usage: scripts/lab.sh start|stop|restart|check|check-calls" >&2; exit 2 ;;
esac
