# Shared by scripts/postgres-cluster.sh and scripts/postgres-pitr.sh (sourced, not run):
# where PostgreSQL's programs are, and how to run them as the server's user.
# PostgreSQL refuses to run as root: as root the servers run as the unprivileged user
# `postgres` (created by Debian's package); otherwise as the current user.
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  # From /: the postgres user may not be able to enter the caller's working directory.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
prepare() {  # DIR: a directory the server's user owns and can reach
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$1"
    chmod a+x "$(dirname "$1")"  # the postgres user must reach it (mktemp makes 0700 folders)
  fi
}
psql_on() {  # PORT SQL
  as_owner "$bin/psql" -h 127.0.0.1 -p "$1" -U polyclear -d polyclear -v ON_ERROR_STOP=1 -qAtc "$2"
}
