#!/usr/bin/env bash
# A throw-away PostgreSQL server on 127.0.0.1 for the tests: start|stop DIR PORT.
# Uses Debian's postgresql binaries; initdb refuses root, so the server runs as the postgres user.
set -euo pipefail
action=$1 dir=$2 port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "PostgreSQL server binaries not found: apt-get install postgresql" >&2
  exit 1
fi
as_postgres() { runuser -u postgres -- "$@"; }
case "$action" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      chown postgres:postgres "$dir"
      chmod 700 "$dir"
      as_postgres "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
    fi
    as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off" start >/dev/null
    ;;
  stop)
    as_postgres "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
