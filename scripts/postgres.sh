#!/usr/bin/env bash
# A throwaway PostgreSQL for the metadata-store conformance tests (and local experiments).
#
#   scripts/postgres.sh start DIR   initdb into DIR/pg if needed, start it on 127.0.0.1 on a free
#                                   port, wait until it answers, print one line
#                                   COFFER_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/postgres.sh stop DIR    stop it (immediately: the data is throwaway); safe to repeat
#
# Needs the Debian package `postgresql` (binaries under /usr/lib/postgresql/*/bin); this script
# never installs anything. Everything but the URL line goes to stderr or DIR/pg/log, so callers
# can `eval "$(scripts/postgres.sh start DIR)"`.

# Stop at the first failing command, unset variable or failing pipe stage: a half-started server
# must not look like a working one.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# The newest installed server version's binaries (the package does not put them on PATH).
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "postgres.sh: no PostgreSQL under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
  exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pg=$dir/pg
data=$pg/data

# initdb and postgres refuse to run as root: as root, run them as the `postgres` system user the
# package creates; as anyone else, run them as that user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() { [ -f "$data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case $cmd in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$pg"
      if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$pg"
        # The postgres user must be able to reach DIR/pg: add search (not read) permission to DIR.
        chmod a+x "$dir"
        if ! runuser -u postgres -- test -w "$pg"; then
          echo "postgres.sh: user postgres cannot reach $pg (a parent directory is not searchable)" >&2
          exit 1
        fi
      fi
      # Trust auth: the server listens on 127.0.0.1 only and holds test data only.
      as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 \
        || { cat "$pg/initdb.log" >&2; exit 1; }
    fi
    if running; then
      port=$(cat "$pg/port")
    else
      # A free port, chosen by the kernel (a tiny race with other starters is acceptable here).
      port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
      echo "$port" >"$pg/port"
      mkdir -p "$pg/sock"
      [ "$(id -u)" -ne 0 ] || chown postgres: "$pg/sock" "$pg/port"
      # TCP on 127.0.0.1 only, and the unix socket inside DIR rather than /var/run/postgresql
      # (which may not exist and would clash with a system server). fsync stays on (the default).
      as_pg "$bindir/pg_ctl" -D "$data" -l "$pg/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$pg/sock' -c max_connections=200" \
        start >&2
    fi
    # pg_ctl -w already waits, but wait for the TCP listener the tests use explicitly.
    for _ in $(seq 1 100); do
      if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        echo "COFFER_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
        exit 0
      fi
      sleep 0.1
    done
    echo "postgres.sh: the server on port $port did not answer; see $pg/log" >&2
    exit 1
    ;;
  stop)
    # Nothing there or already stopped: stopping again is not an error.
    if running; then
      as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >&2
    fi
    ;;
  *)
    usage
    ;;
esac
