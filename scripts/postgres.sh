#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the integration service's tests, on 127.0.0.1 only, with
# trust authentication for the one role `framephone`. Debian's server binaries, run as the
# `postgres` system user when this script runs as root (PostgreSQL refuses root).
#
#   scripts/postgres.sh start   starts it unless it runs; prints its admin URL on the last line
#   scripts/postgres.sh stop    stops it and deletes its files
#   scripts/postgres.sh url     prints the admin URL
#
# PG_DIR (default /tmp/framephone-postgres) and PG_PORT (default 15432) place it.
set -euo pipefail
PG_DIR="${PG_DIR:-/tmp/framephone-postgres}"
PG_PORT="${PG_PORT:-15432}"
URL="postgres://framephone@127.0.0.1:$PG_PORT/postgres"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "postgres.sh: no PostgreSQL server found: install Debian's postgresql (scripts/bootstrap.sh does)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
running() { [ -f "$PG_DIR/data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" status -D "$PG_DIR/data" >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if ! running; then
      rm -rf "$PG_DIR"
      mkdir -p "$PG_DIR/socket"
      [ "$(id -u)" -ne 0 ] || chown -R postgres: "$PG_DIR"
      as_owner "$bindir/initdb" -D "$PG_DIR/data" -U framephone --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; exit 1; }
      # fsync off: a test cluster that a crash may lose; max_connections for several service
      # instances per test.
      as_owner "$bindir/pg_ctl" start -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o \
        "-p $PG_PORT -k $PG_DIR/socket -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" >/dev/null ||
        { cat "$PG_DIR/server.log" >&2; exit 1; }
    fi
    echo "$URL"
    ;;
  stop)
    if running; then as_owner "$bindir/pg_ctl" stop -D "$PG_DIR/data" -m fast >/dev/null; fi
    rm -rf "$PG_DIR"
    ;;
  url) echo "$URL" ;;
  *) echo "usage: scripts/postgres.sh start|stop|url" >&2; exit 2 ;;
esac
