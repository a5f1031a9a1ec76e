#!/usr/bin/env bash
# The SIP lab: Kamailio on loopback with the project's configuration (lab/kamailio.cfg) and the
# test users of lab/users.txt.
#   scripts/lab.sh start   writes the configuration into $LAB_DIR and starts Kamailio
#   scripts/lab.sh stop    stops it
#   scripts/lab.sh check   registers user 1001 over UDP with SIPp, digest challenge included
# Settings: LAB_DIR (default /tmp/framephone-lab), LAB_UDP_PORT (5060), LAB_WS_PORT (8088),
# LAB_DOMAIN (framephone.test).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB_DIR="${LAB_DIR:-/tmp/framephone-lab}"
LAB_UDP_PORT="${LAB_UDP_PORT:-5060}"
LAB_WS_PORT="${LAB_WS_PORT:-8088}"
LAB_DOMAIN="${LAB_DOMAIN:-framephone.test}"
pidfile="$LAB_DIR/kamailio.pid"

start() {
  stop_quietly
  mkdir -p "$LAB_DIR"
  sed -e "s/UDP_PORT/$LAB_UDP_PORT/g" -e "s/WS_PORT/$LAB_WS_PORT/g" -e "s/SIP_DOMAIN/$LAB_DOMAIN/g" \
    lab/kamailio.cfg >"$LAB_DIR/kamailio.cfg"
  grep -vE '^\s*(#|$)' lab/users.txt | while read -r user password; do
    printf '\t$sht(users=>%s) = "%s";\n' "$user" "$password"
  done >"$LAB_DIR/users.cfg"
  kamailio -c -f "$LAB_DIR/kamailio.cfg" >"$LAB_DIR/check.log" 2>&1 || { cat "$LAB_DIR/check.log" >&2; exit 1; }
  kamailio -f "$LAB_DIR/kamailio.cfg" -P "$pidfile" -Y "$LAB_DIR" -E >"$LAB_DIR/kamailio.log" 2>&1
  for _ in $(seq 50); do
    [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && { echo "lab: Kamailio on udp:127.0.0.1:$LAB_UDP_PORT and ws://127.0.0.1:$LAB_WS_PORT (log: $LAB_DIR/kamailio.log)"; return; }
    sleep 0.1
  done
  cat "$LAB_DIR/kamailio.log" >&2
  exit 1
}

stop_quietly() {
  [ -s "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  # Kamailio's main process stops its children before it exits.
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
}

check() {
  sipp -sf lab/sipp/register.xml -s 1001 -au 1001 -ap "$(awk '$1 == "1001" { print $2 }' lab/users.txt)" \
    -i 127.0.0.1 -p 0 -m 1 -timeout 10s -trace_err -error_file "$LAB_DIR/sipp-errors.log" \
    -set domain "$LAB_DOMAIN" "127.0.0.1:$LAB_UDP_PORT" >/dev/null 2>&1 &&
    echo "lab: 1001 registered over UDP with digest authentication" ||
    { echo "lab: registration failed (see $LAB_DIR/sipp-errors.log)" >&2; exit 1; }
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  check) check ;;
  *) echo "usage: scripts/lab.sh start|stop|check" >&2; exit 2 ;;
esac
