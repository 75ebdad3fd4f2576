#!/usr/bin/env bash
# A local LeadScore cluster: a throwaway PostgreSQL 15, N `leadscore serve` instances on loopback and HAProxy in front.
# The reference production topology in miniature (docs/cluster.md).
#
#   scripts/cluster.sh up N [--state DIR] [--leads N] [--no-data]
#       starts everything, loads demo data (generate + import), trains a model, creates an admin key, and prints one
#       JSON line: {"url":...,"key":...,"instances":[{"pid":...,"url":...}],"database":...,"haproxy_pid":...,"state":...}
#   scripts/cluster.sh down [--state DIR]
#       stops everything `up` started (pid files in the state dir) and removes the state dir; with a file named `keep` in
#       the state dir, it stops the balancer and the instances but leaves PostgreSQL running and the state dir (its data)
#       in place, for a look at the database after a benchmark (`scripts/pg.sh stop DIR/pg` and `rm -rf DIR` later).
#
# Environment: CLUSTER_PG_PORT (15441), CLUSTER_LB_PORT (15460), CLUSTER_BASE_PORT (15461: instance i of 1..N listens on base+i-1),
# CLUSTER_POOL_SIZE (Npgsql Maximum Pool Size per instance, 30), LEADSCORE_DLL (a built leadscore.dll; default: build through ./leadscore), LEADSCORE_* settings passed to every instance.
set -Eeuo pipefail # -E: the ERR trap (cleanup on failure) also fires inside functions
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE=${CLUSTER_STATE:-/tmp/leadscore-cluster}
PG_PORT=${CLUSTER_PG_PORT:-15441}
LB_PORT=${CLUSTER_LB_PORT:-15460}
BASE_PORT=${CLUSTER_BASE_PORT:-15461}

usage() { echo "usage: $0 up N [--state DIR] [--leads N] [--no-data] | down [--state DIR]" >&2; exit 2; }
log() { echo "cluster: $*" >&2; }

# A killed process nobody reaps stays a zombie; it holds no port or file, so it counts as gone.
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

leadscore() {
  if [ -n "${LEADSCORE_DLL:-}" ]; then dotnet "$LEADSCORE_DLL" "$@"; else "$ROOT/leadscore" "$@"; fi
}

wait_http() { # url seconds
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

down() {
  [ -d "$STATE" ] || { log "nothing to stop in $STATE"; return 0; }
  local f pid
  # Balancer first (no new requests), then the instances, then the database they use.
  for f in "$STATE"/haproxy.pid "$STATE"/instance-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for f in "$STATE"/haproxy.pid "$STATE"/instance-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$f"
  done
  if [ -f "$STATE/keep" ]; then log "stopped the balancer and the instances; PostgreSQL and $STATE kept ($STATE/keep)"; return 0; fi
  if [ -f "$STATE/pg/PG_VERSION" ]; then "$ROOT/scripts/pg.sh" stop "$STATE/pg"; fi
  rm -rf "$STATE"
  log "stopped"
}

start_instance() { # index database
  local i=$1 db=$2 port=$((BASE_PORT + $1 - 1))
  port_free "$port" || { log "port $port is in use"; return 1; }
  mkdir -p "$STATE/ws-$i"
  # setsid: the instance is its own process group, so a test's SIGKILL hits only it and `down` finds it by pid.
  if [ -n "${LEADSCORE_DLL:-}" ]; then
    setsid dotnet "$LEADSCORE_DLL" serve --database "$db" --urls "http://127.0.0.1:$port" --workspace "$STATE/ws-$i" \
      >"$STATE/instance-$i.log" 2>&1 < /dev/null &
  else
    setsid dotnet "$ROOT/artifacts/cli/leadscore.dll" serve --database "$db" --urls "http://127.0.0.1:$port" --workspace "$STATE/ws-$i" \
      >"$STATE/instance-$i.log" 2>&1 < /dev/null &
  fi
  echo $! >"$STATE/instance-$i.pid"
}

write_haproxy_cfg() { # n
  local n=$1 i
  cat >"$STATE/haproxy.cfg" <<EOF
global
    maxconn 2000
    tune.bufsize 65536
    log stderr format short local0 warning

defaults
    mode http
    log global
    option httplog
    option dontlognull
    # Connect fast to a loopback backend; training and exports can take long, so the server timeout is generous.
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout queue 10s
    # One retry on another instance ("redispatch") when the first one fails: see docs/cluster.md for what is retried.
    retries 2
    option redispatch 1

frontend api
    bind 127.0.0.1:$LB_PORT
    default_backend leadscore

backend leadscore
    balance leastconn
    # Readiness decides routing: an instance that lost its database or has no champion answers 503 and is taken out.
    option httpchk GET /health/ready
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s rise 2 fall 2 on-marked-down shutdown-sessions
    # Retried on another instance: a connection that failed or closed before any response byte (the instance died),
    # and a 503 from an instance going unready; only for requests that are safe to repeat (see the acl below).
    retry-on conn-failure empty-response response-timeout 503
    # GET/HEAD are safe; ingestion POSTs are idempotent (leads by id, activities by event id, outcomes and enrichment
    # by their keys, each batch one transaction), and scoring POSTs only compute, so they are retried too. Other POSTs
    # (train, promote, rollback, webhooks, requeue) are not: a retry could run them twice. A request is retried only
    # while its body fits HAProxy's buffer (tune.bufsize); a bigger ingestion batch gets the error instead.
    acl safe_method method GET HEAD
    acl repeatable_post method POST
    acl repeatable_path path /api/v1/leads /api/v1/activities /api/v1/enrichment /api/v1/outcomes /api/v1/score /api/v1/score/batch
    http-request disable-l7-retry unless safe_method or repeatable_post repeatable_path
EOF
  for i in $(seq 1 "$n"); do
    echo "    server s$i 127.0.0.1:$((BASE_PORT + i - 1)) check" >>"$STATE/haproxy.cfg"
  done
}

up() {
  local n=${1:?instances} leads=2000 data=1
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --state) STATE=$2; shift 2 ;;
      --leads) leads=$2; shift 2 ;;
      --no-data) data=0; shift ;;
      *) usage ;;
    esac
  done
  [ "$n" -ge 1 ] 2>/dev/null || usage
  command -v haproxy >/dev/null || { log "haproxy is not installed (scripts/install-deps.sh)"; exit 1; }
  [ ! -e "$STATE/pg" ] || { log "$STATE is in use: run '$0 down --state $STATE' first"; exit 1; }
  mkdir -p "$STATE"
  chmod 755 "$STATE" # PostgreSQL runs as postgres and must reach its data dir inside
  # Whatever fails from here on, stop what was started.
  trap 'log "up failed; stopping what was started"; tail -15 "$STATE/load.log" >&2 2>/dev/null || true; down; exit 1' ERR
  port_free "$PG_PORT" || { log "port $PG_PORT is in use (CLUSTER_PG_PORT)"; false; }
  port_free "$LB_PORT" || { log "port $LB_PORT is in use (CLUSTER_LB_PORT)"; false; }
  local db
  db="$("$ROOT/scripts/pg.sh" start "$STATE/pg" "$PG_PORT");Maximum Pool Size=${CLUSTER_POOL_SIZE:-30};Timeout=5;Command Timeout=60"
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
  if [ -z "${LEADSCORE_DLL:-}" ]; then leadscore --help >/dev/null; fi # builds artifacts/cli once
  if [ "$data" = 1 ]; then
    log "loading $leads demo leads and training a model"
    local t0=$SECONDS
    leadscore generate --leads "$leads" --seed 42 --out "$STATE/data" >>"$STATE/load.log" 2>&1
    leadscore import leads "$STATE/data/leads.csv" --database "$db" >>"$STATE/load.log" 2>&1
    for f in activities_web activities_email activities_social activities_sales; do
      leadscore import activities "$STATE/data/$f.csv" --database "$db" >>"$STATE/load.log" 2>&1
    done
    leadscore import enrichment "$STATE/data/enrichment.csv" --database "$db" >>"$STATE/load.log" 2>&1
    leadscore import outcomes "$STATE/data/outcomes.csv" --database "$db" >>"$STATE/load.log" 2>&1
    log "imported in $((SECONDS - t0)) s"
    leadscore train --algorithm logistic --time-budget 0 --database "$db" --workspace "$STATE/ws-train" >>"$STATE/load.log" 2>&1
    log "trained in $((SECONDS - t0)) s"
  fi
  local key
  key=$(leadscore apikey create --name cluster-admin --scopes score,ingest,admin,metrics --database "$db" 2>/dev/null | tail -1)
  local i
  for i in $(seq 1 "$n"); do start_instance "$i" "$db"; done
  for i in $(seq 1 "$n"); do
    wait_http "http://127.0.0.1:$((BASE_PORT + i - 1))/health/live" 90 || { log "instance $i did not start"; tail -20 "$STATE/instance-$i.log" >&2; false; }
  done
  write_haproxy_cfg "$n"
  haproxy -c -q -f "$STATE/haproxy.cfg"
  haproxy -f "$STATE/haproxy.cfg" -D -p "$STATE/haproxy.pid" >"$STATE/haproxy.log" 2>&1 </dev/null
  if [ "$data" = 1 ]; then
    wait_http "http://127.0.0.1:$LB_PORT/health/ready" 30 || { log "no instance became ready behind HAProxy"; false; }
  fi
  trap - ERR
  local instances="" pid
  for i in $(seq 1 "$n"); do
    pid=$(cat "$STATE/instance-$i.pid")
    instances+="${instances:+,}{\"pid\":$pid,\"url\":\"http://127.0.0.1:$((BASE_PORT + i - 1))\"}"
  done
  printf '{"url":"http://127.0.0.1:%s","key":"%s","instances":[%s],"database":"%s","haproxy_pid":%s,"state":"%s"}\n' \
    "$LB_PORT" "$key" "$instances" "$db" "$(cat "$STATE/haproxy.pid")" "$STATE"
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case "$cmd" in
  up) up "$@" ;;
  down)
    while [ $# -gt 0 ]; do case "$1" in --state) STATE=$2; shift 2 ;; *) usage ;; esac; done
    down ;;
  *) usage ;;
esac
