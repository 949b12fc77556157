#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on loopback for tests and local runs.
#   scripts/postgres-cluster.sh start DIR PORT   -> prints postgres://polyclear@127.0.0.1:PORT/polyclear
#   scripts/postgres-cluster.sh stop DIR
# PostgreSQL refuses to run as root: as root the cluster runs as the unprivileged user
# `postgres` (created by Debian's package); otherwise as the current user. Trust
# authentication on 127.0.0.1 only; fsync stays on (the default), as in production.
set -euo pipefail
command="${1:?start|stop}"
dir="${2:?directory}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  # From /: the postgres user may not be able to enter the caller's working directory.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
case "$command" in
  start)
    port="${3:?port}"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres:postgres "$dir"
      chmod a+x "$(dirname "$dir")"  # the postgres user must reach it (mktemp makes 0700 folders)
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U polyclear --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { echo "initdb failed; see $dir/initdb.log:" >&2; tail -3 "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U polyclear polyclear
    echo "postgres://polyclear@127.0.0.1:$port/polyclear"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 64 ;;
esac
