#!/usr/bin/env bash
# A throwaway PostgreSQL 15 on loopback, for tests and benchmarks.
#   scripts/pg.sh start DIR [PORT]   initdb into DIR (if new) and start on 127.0.0.1:PORT (default 15432)
#                                    PG_SETTINGS (optional): more server settings, e.g. "-c shared_buffers=4GB"
#   scripts/pg.sh stop DIR
#   scripts/pg.sh replica PRIMARY_DIR DIR PORT
#                                    a streaming read replica of the running server in PRIMARY_DIR: a replication role
#                                    (replicator) and its pg_hba line on the primary, pg_basebackup -R into DIR (if new),
#                                    then start it on 127.0.0.1:PORT as a hot standby; prints its connection string
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
cmd=${1:?start|stop|replica}; dir=${2:?data dir}; port=${3:-15432}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$dir" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    fi
    as_pg "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${PG_SETTINGS:-}" start >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  replica)
    primary=$dir; dir=${3:?replica data dir}; port=${4:?replica port}
    [ -f "$primary/postmaster.pid" ] || { echo "pg.sh: no server running in $primary" >&2; exit 1; }
    pport=$(sed -n 4p "$primary/postmaster.pid")
    psql_p() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pport" -U postgres -d postgres -tA "$@"; }
    [ "$(psql_p -c 'SHOW wal_level')" != minimal ] || { echo "pg.sh: the primary runs with wal_level=minimal" >&2; exit 1; }
    # The role the standby streams as, and the line that lets it in (trust on loopback, like the rest of this throwaway server).
    psql_p -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') THEN CREATE ROLE replicator WITH REPLICATION LOGIN; END IF; END \$\$"
    line="host replication replicator 127.0.0.1/32 trust"
    if ! grep -qxF "$line" "$primary/pg_hba.conf"; then
      echo "$line" >> "$primary/pg_hba.conf"
      psql_p -c "SELECT pg_reload_conf()" >/dev/null
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      rm -rf "$dir"; mkdir -p "$dir"
      if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
      chmod 700 "$dir"
      # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written during the copy; -c fast: no wait for a checkpoint.
      as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U replicator -D "$dir" -R -X stream -c fast --no-sync
    fi
    as_pg "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 -c hot_standby=on" start >/dev/null
    [ "$(as_pg psql -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -tA -c 'SELECT pg_is_in_recovery()')" = t ] \
      || { echo "pg.sh: the server in $dir is not a standby" >&2; exit 1; }
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  *) echo "usage: $0 start|stop DIR [PORT] | replica PRIMARY_DIR DIR PORT" >&2; exit 2 ;;
esac
