#!/usr/bin/env bash
# Point-in-time recovery for a Polyclear hub on PostgreSQL 15: base backups plus archived WAL.
#   scripts/postgres-pitr.sh start-archiving DIR PORT
#       a server (DIR/primary) whose every finished WAL segment is copied to DIR/archive
#       (archive_mode = on, archive_command = cp, refusing to overwrite); prints its URL.
#   scripts/postgres-pitr.sh base-backup DIR PORT
#       a base backup of the server on PORT into DIR/base (pg_basebackup, WAL included).
#   scripts/postgres-pitr.sh switch-wal DIR PORT
#       closes the current WAL segment and waits until it is archived (run before a restore
#       that must reach the latest commits: only archived WAL can be replayed).
#   scripts/postgres-pitr.sh restore DIR PORT 'TIMESTAMP'
#       a new server (DIR/restored) from DIR/base, replaying DIR/archive up to TIMESTAMP
#       (recovery_target_time, inclusive; e.g. '2026-12-05 10:00:00.25+00'), then promoted;
#       prints its URL. Everything committed at or before the moment is there, nothing after.
#   scripts/postgres-pitr.sh stop DIR                 every server under DIR
# The same recipe on a real deployment: archive_command to durable storage (not the
# server's disk), a base backup on a schedule, restore_command reading the archive back.
# As root the servers run as the `postgres` user, like scripts/postgres-cluster.sh.
set -euo pipefail
command="${1:?start-archiving|base-backup|switch-wal|restore|stop}"
dir="${2:?directory}"
source "$(dirname "$0")/postgres-lib.sh"
run_server() {  # DIR PORT
  as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -c port=$2 -c unix_socket_directories=$1" start >/dev/null \
    || { echo "PostgreSQL did not start; see $1/server.log:" >&2; tail -5 "$1/server.log" >&2; exit 1; }
}
case "$command" in
  start-archiving)
    port="${3:?port}"
    prepare "$dir"; prepare "$dir/primary"; prepare "$dir/archive"
    as_owner "$bin/initdb" -D "$dir/primary/data" -U polyclear --auth=trust -E UTF8 >"$dir/primary/initdb.log" 2>&1 \
      || { echo "initdb failed; see $dir/primary/initdb.log" >&2; exit 1; }
    cat >>"$dir/primary/data/postgresql.conf" <<CONF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $dir/archive/%f && cp %p $dir/archive/%f'
CONF
    run_server "$dir/primary" "$port"
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U polyclear polyclear
    echo "postgres://polyclear@127.0.0.1:$port/polyclear"
    ;;
  base-backup)
    port="${3:?port}"
    rm -rf "$dir/base"; prepare "$dir/base"
    as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U polyclear -D "$dir/base" -X stream --checkpoint=fast \
      >"$dir/basebackup.log" 2>&1 || { echo "pg_basebackup failed; see $dir/basebackup.log" >&2; exit 1; }
    ;;
  switch-wal)
    port="${3:?port}"
    segment="$(psql_on "$port" "SELECT pg_walfile_name(pg_switch_wal())")"
    for _ in $(seq 1 200); do
      [ -f "$dir/archive/$segment" ] && exit 0
      sleep 0.05
    done
    echo "WAL segment $segment was not archived; see $dir/primary/server.log" >&2; exit 1
    ;;
  restore)
    port="${3:?port}"; target="${4:?timestamp}"
    [ -d "$dir/base" ] || { echo "no base backup in $dir/base" >&2; exit 1; }
    rm -rf "$dir/restored"; prepare "$dir/restored"
    cp -a "$dir/base" "$dir/restored/data"
    chmod 700 "$dir/restored/data"
    cat >>"$dir/restored/data/postgresql.conf" <<CONF
archive_mode = off
restore_command = 'cp $dir/archive/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
    as_owner touch "$dir/restored/data/recovery.signal"
    run_server "$dir/restored" "$port"
    for _ in $(seq 1 600); do
      [ "$(psql_on "$port" "SELECT pg_is_in_recovery()" 2>/dev/null || echo t)" = f ] && {
        echo "postgres://polyclear@127.0.0.1:$port/polyclear"; exit 0; }
      sleep 0.1
    done
    echo "recovery did not finish; see $dir/restored/server.log" >&2; exit 1
    ;;
  stop)
    for d in "$dir/primary" "$dir/restored"; do
      [ -f "$d/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
    done
    ;;
  *) echo "usage: $0 start-archiving DIR PORT | base-backup DIR PORT | switch-wal DIR PORT | restore DIR PORT TIME | stop DIR" >&2; exit 64 ;;
esac
