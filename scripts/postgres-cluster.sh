#!/usr/bin/env bash
# Throwaway PostgreSQL 15 servers on loopback for tests and local runs.
#   scripts/postgres-cluster.sh start DIR PORT
#       one server -> prints postgres://polyclear@127.0.0.1:PORT/polyclear
#   scripts/postgres-cluster.sh start-replicated DIR PRIMARY_PORT STANDBY_PORT
#       a primary (DIR/primary) and a synchronous hot standby (DIR/standby) streaming from it,
#       with synchronous_commit = remote_apply: a commit is acknowledged only once the standby
#       has applied it. Prints the primary's URL, then the standby's.
#   scripts/postgres-cluster.sh promote DIR          the standby of DIR becomes a primary
#   scripts/postgres-cluster.sh stop DIR [immediate] every server under DIR (immediate: as a crash)
# PostgreSQL refuses to run as root: as root the servers run as the unprivileged user
# `postgres` (created by Debian's package); otherwise as the current user. Trust
# authentication on 127.0.0.1 only; fsync stays on (the default), as in production. With
# openssl installed the servers also accept TLS (ssl = on, a self-signed certificate for
# 127.0.0.1 whose public part is DIR/ca.crt, or DIR/primary/ca.crt for a pair): connect with
# ?sslmode=verify-full&sslrootcert=DIR/ca.crt.
set -euo pipefail
command="${1:?start|start-replicated|promote|stop}"
dir="${2:?directory}"
source "$(dirname "$0")/postgres-lib.sh"
make_certificate() {  # DIR: a self-signed certificate for 127.0.0.1 (TLS), its public part also in DIR/ca.crt
  command -v openssl >/dev/null 2>&1 || return 0
  openssl req -new -x509 -days 30 -nodes -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$1/data/server.key" -out "$1/data/server.crt" >/dev/null 2>&1 || return 0
  chmod 600 "$1/data/server.key"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$1/data/server.key" "$1/data/server.crt"
  cp "$1/data/server.crt" "$1/ca.crt" && chmod 644 "$1/ca.crt"
}
run_server() {  # DIR PORT [extra -c settings]: starts the server whose data is DIR/data
  local d="$1" port="$2"; shift 2
  local tls=""; [ -f "$d/data/server.crt" ] && tls="-c ssl=on"  # clients choose: sslmode in the URL
  as_owner "$bin/pg_ctl" -D "$d/data" -l "$d/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$d -c max_connections=200 $tls -c log_lock_waits=on -c log_min_duration_statement=10000 $*" start >/dev/null \
    || { echo "PostgreSQL did not start; see $d/server.log:" >&2; tail -5 "$d/server.log" >&2; exit 1; }
}
start_primary() {  # DIR PORT
  prepare "$1"
  as_owner "$bin/initdb" -D "$1/data" -U polyclear --auth=trust -E UTF8 >"$1/initdb.log" 2>&1 \
    || { echo "initdb failed; see $1/initdb.log:" >&2; tail -3 "$1/initdb.log" >&2; exit 1; }
  make_certificate "$1"
  run_server "$1" "$2"
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$2" -U polyclear polyclear
}
stop_server() {  # DIR MODE
  [ -f "$1/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$1/data" -m "$2" -w stop >/dev/null 2>&1 || true
}
case "$command" in
  start)
    port="${3:?port}"
    start_primary "$dir" "$port"
    echo "postgres://polyclear@127.0.0.1:$port/polyclear"
    ;;
  start-replicated)
    primary_port="${3:?primary port}"; standby_port="${4:?standby port}"
    prepare "$dir"
    start_primary "$dir/primary" "$primary_port"
    prepare "$dir/standby"
    # A copy of the primary that streams its WAL (-R writes primary_conninfo and standby.signal).
    as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U polyclear -D "$dir/standby/data" -R -X stream --checkpoint=fast \
      >"$dir/standby/basebackup.log" 2>&1 \
      || { echo "pg_basebackup failed; see $dir/standby/basebackup.log" >&2; exit 1; }
    # cluster_name is the name the standby gives the primary (its application_name).
    # hot_standby_feedback: the primary keeps what the standby's readers still see, so its
    # replay (which every commit waits for: remote_apply) is not held up by their snapshots.
    run_server "$dir/standby" "$standby_port" "-c cluster_name=polyclear_standby -c hot_standby=on -c hot_standby_feedback=on"
    # Only now (not in the copy): commits wait until the standby has applied them.
    psql_on "$primary_port" "ALTER SYSTEM SET synchronous_standby_names = 'polyclear_standby'"
    psql_on "$primary_port" "ALTER SYSTEM SET synchronous_commit = 'remote_apply'"
    psql_on "$primary_port" "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 100); do
      [ "$(psql_on "$primary_port" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] && break
      sleep 0.1
    done
    [ "$(psql_on "$primary_port" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] \
      || { echo "the standby did not become synchronous; see $dir/standby/server.log" >&2; exit 1; }
    echo "postgres://polyclear@127.0.0.1:$primary_port/polyclear"
    echo "postgres://polyclear@127.0.0.1:$standby_port/polyclear"
    ;;
  promote)
    as_owner "$bin/pg_ctl" -D "$dir/standby/data" -w promote >/dev/null
    ;;
  stop)
    mode="fast"; [ "${3:-}" = immediate ] && mode="immediate"
    for d in "$dir/primary" "$dir/standby" "$dir"; do stop_server "$d" "$mode"; done
    ;;
  *) echo "usage: $0 start DIR PORT | start-replicated DIR PRIMARY_PORT STANDBY_PORT | promote DIR | stop DIR [immediate]" >&2; exit 64 ;;
esac
