#!/usr/bin/env bash
# Scale-out figures on PostgreSQL (docs/cluster.md; figures in the README):
#   scripts/bench-scale.sh [LEADS]   (default 100000)
# Starts scripts/cluster.sh up 3 --no-data (PostgreSQL 15, 3 instances, HAProxy), then, timing each step:
#   1. generates LEADS demo leads (seed 42) and imports them; imports the four activity files through the CLI, the COPY
#      path (rows/s over all files, and each import's peak RSS from /usr/bin/time: flat memory shows as the same RSS
#      for files of very different sizes), and the import processes' own CPU seconds (user + system), so rows per
#      CPU-second shows what the client side costs whatever else runs on the machine (PostgreSQL's CPU is not in it);
#   2. builds the training set (`features build`, server-side cursors) and trains a logistic model (`train`, which
#      re-scores every lead as its last step);
#   3. re-scores every lead once to warm up (promote v1: a rescore job cut into ranges; it also waits out the training's);
#   4. GET /api/v1/leads?grade=A&sort=score&limit=50 with wrk through the balancer at 1, 2, 4 and 8 connections (10 s each;
#      a closed loop: each connection sends its next request when the last one is answered, so 1 and 2 connections show the
#      latency of a box that is not saturated, 8 the queueing of one that is), then 8 connections straight at one instance
#      (15 s): p50, p99 and requests/s each;
#   5. re-scores every lead with 3 instances, then with 1 (two stopped): seconds each and the ratio.
# The steps' own output is kept in $CLUSTER_STATE.log. Prints progress on stderr and one JSON line on stdout (with the 1-minute load average when the imports started and at the end). Everything runs on this machine (load generator included).
# Environment: CLUSTER_STATE (/tmp/leadscore-bench-scale), CLUSTER_PG_PORT (15481), CLUSTER_LB_PORT (15490),
# CLUSTER_BASE_PORT (15491), BENCH_DATA (a folder of an earlier run's generated files, reused), LEADSCORE_DLL (a built leadscore.dll; default: ./leadscore builds artifacts/cli),
# BENCH_UNTIL=trainingset (stop after step 2's training-set build: imports and the build only, printed as the same JSON's first fields),
# BENCH_UNTIL=leadslist (stop after step 4: no 3-vs-1 re-score), BENCH_KEEP=1 (leave PostgreSQL and its data running in
# $CLUSTER_STATE after the run, cluster.sh's `keep` file; stop it with scripts/pg.sh stop $CLUSTER_STATE/pg).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEADS=${1:-100000}
STATE=${CLUSTER_STATE:-/tmp/leadscore-bench-scale}
# PostgreSQL sized for the data (the test scripts' throwaway server keeps the defaults): a quarter of memory for buffers.
export PG_SETTINGS=${PG_SETTINGS:--c shared_buffers=6GB -c max_wal_size=4GB -c maintenance_work_mem=1GB -c work_mem=64MB}
export CLUSTER_PG_PORT=${CLUSTER_PG_PORT:-15481} CLUSTER_LB_PORT=${CLUSTER_LB_PORT:-15490} CLUSTER_BASE_PORT=${CLUSTER_BASE_PORT:-15491}
if [ -z "${LEADSCORE_DLL:-}" ]; then "$ROOT/leadscore" --help >/dev/null; export LEADSCORE_DLL="$ROOT/artifacts/cli/leadscore.dll"; fi
command -v wrk >/dev/null || { echo "bench-scale: wrk is not installed (scripts/install-deps.sh --bench)" >&2; exit 1; }
log() { echo "bench-scale: $*" >&2; }
ls_() { dotnet "$LEADSCORE_DLL" "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

# On the way out (also after a failed step): keep the steps' output beside the state folder, then stop the cluster.
trap 'cp "$STATE/bench.log" "$STATE.log" 2>/dev/null || true; "$ROOT/scripts/cluster.sh" down --state "$STATE" >/dev/null 2>&1 || true' EXIT
out=$("$ROOT/scripts/cluster.sh" up 3 --state "$STATE" --no-data)
url=$(sed -E 's/^\{"url":"([^"]+)".*/\1/' <<<"$out") # the balancer: the first "url"
key=$(sed -E 's/.*"key":"([^"]+)".*/\1/' <<<"$out")
db=$(sed -E 's/.*"database":"([^"]+)".*/\1/' <<<"$out")
first=$(grep -oE '"url":"http://127.0.0.1:[0-9]+"' <<<"$out" | sed -n 2p | cut -d'"' -f4)
mapfile -t pids < <(grep -oE '"pid":[0-9]+' <<<"$out" | cut -d: -f2)
[ "${BENCH_KEEP:-}" = 1 ] && touch "$STATE/keep"
WS="$STATE/ws-bench"
DATA="$STATE/data"

# The benchmark trains once, through the CLI: the retraining policy stays off, or the leader would start a training of its own
# on the first leads while the imports run (a fresh workspace's schedule is due at once).
ls_ policy set enabled=false --database "$db" >"$STATE/bench.log" 2>&1
if [ -n "${BENCH_DATA:-}" ] && [ -f "$BENCH_DATA/leads.csv" ]; then
  DATA=$BENCH_DATA; gen_s=0; log "using the demo data in $DATA"
else
  log "generating $LEADS demo leads"
  t=$(now); ls_ generate --leads "$LEADS" --seed 42 --out "$DATA" >>"$STATE/bench.log" 2>&1; gen_s=$(since "$t")
fi
t=$(now); ls_ import leads "$DATA/leads.csv" --database "$db" >>"$STATE/bench.log" 2>&1; leads_s=$(since "$t")
log "  generated in $gen_s s; leads imported in $leads_s s"

# Activities through the CLI's COPY path: rows/s over every file; each import's peak RSS (kB) and size.
load_start=$(cut -d' ' -f1 /proc/loadavg)
act_rows=0; act_s=0; act_cpu=0; rss=""; rss_max=0
for f in activities_web activities_email activities_social activities_sales; do
  rows=$(($(wc -l <"$DATA/$f.csv") - 1))
  /usr/bin/time -f "%e %M %U %S" -o "$STATE/time.txt" dotnet "$LEADSCORE_DLL" import activities "$DATA/$f.csv" --database "$db" >>"$STATE/bench.log" 2>&1
  read -r secs kb usr sys <"$STATE/time.txt"
  cpu=$(echo "$usr + $sys" | bc)
  log "  $f: $rows rows in $secs s ($cpu CPU s), peak RSS $((kb / 1024)) MB"
  act_rows=$((act_rows + rows)); act_s=$(echo "$act_s + $secs" | bc); act_cpu=$(echo "$act_cpu + $cpu" | bc)
  rss+="${rss:+,}{\"file\":\"$f\",\"rows\":$rows,\"seconds\":$secs,\"cpu_s\":$cpu,\"peak_rss_mb\":$((kb / 1024))}"
  [ "$kb" -gt "$rss_max" ] && rss_max=$kb
done
ls_ import enrichment "$DATA/enrichment.csv" --database "$db" >>"$STATE/bench.log" 2>&1
ls_ import outcomes "$DATA/outcomes.csv" --database "$db" >>"$STATE/bench.log" 2>&1
act_rate=$(echo "$act_rows / $act_s" | bc)
act_cpu_rate=$(echo "$act_rows / $act_cpu" | bc)
log "activities: $act_rows rows in $act_s s = $act_rate rows/s"

log "building the training set"
t=$(now); /usr/bin/time -f "%M %U %S" -o "$STATE/time.txt" dotnet "$LEADSCORE_DLL" features build --database "$db" --workspace "$WS" >>"$STATE/bench.log" 2>&1; tset_s=$(since "$t")
read -r tset_kb tset_usr tset_sys <"$STATE/time.txt"
tset_rows=$(grep -oE 'Training set: [0-9,]+ rows' "$STATE/bench.log" | tail -1 | grep -oE '[0-9,]+' | tr -d ,)
log "  training set: $tset_rows rows in $tset_s s ($(echo "$tset_usr + $tset_sys" | bc) CPU s), peak RSS $((tset_kb / 1024)) MB"
if [ "${BENCH_UNTIL:-}" = trainingset ]; then
  printf '{"date":"%s","cores":%s,"leads":%s,"generate_s":%.1f,"import_leads_s":%.1f,"load_average":[%s,%s],"activities":{"rows":%s,"seconds":%.1f,"rows_per_s":%s,"rows_per_cpu_s":%s,"peak_rss_mb":%s,"files":[%s]},"training_set":{"rows":%s,"seconds":%.1f,"cpu_s":%s,"peak_rss_mb":%s}}\n' \
    "$(date -u +%Y-%m-%d)" "$(nproc)" "$LEADS" "$gen_s" "$leads_s" "$load_start" "$(cut -d' ' -f1 /proc/loadavg)" "$act_rows" "$act_s" "$act_rate" "$act_cpu_rate" "$((rss_max / 1024))" "$rss" \
    "${tset_rows:-0}" "$tset_s" "$(echo "$tset_usr + $tset_sys" | bc)" "$((tset_kb / 1024))"
  exit 0
fi
log "training (the CLI re-scores every lead at the end; the instances' workers take ranges)"
t=$(now); ls_ train --algorithm logistic --time-budget 0 --database "$db" --workspace "$WS" >>"$STATE/bench.log" 2>&1; train_s=$(since "$t")
log "  train: $train_s s"
for _ in $(seq 1 150); do curl -fsS -o /dev/null "$url/health/ready" 2>/dev/null && break; sleep 0.2; done

rescore() { # prints "seconds ranges rescored"
  local t0 job body status
  t0=$(now)
  job=$(curl -fsS -X POST -H "X-Api-Key: $key" "$url/api/v1/models/v1/promote" | sed -E 's/.*"rescore_job":"([^"]+)".*/\1/')
  while :; do
    body=$(curl -fsS -H "X-Api-Key: $key" "$url/api/v1/jobs/$job")
    status=$(sed -E 's/.*"status":"([a-z]+)".*/\1/' <<<"$body")
    [ "$status" = succeeded ] && break
    [ "$status" = failed ] && { log "job failed: $body"; exit 1; }
    sleep 0.1
  done
  echo "$(since "$t0") $(sed -E 's/.*"ranges":([0-9]+).*/\1/' <<<"$body") $(sed -E 's/.*"rescored":([0-9]+).*/\1/' <<<"$body")"
}
# The warm-up also waits out the re-score the training queued (a server's worker may hold it after the CLI left), so
# the list below is measured on a quiet cluster with every lead scored.
log "re-scoring every lead: warm-up, then the list with wrk, then 3 instances, then 1"
log "  warm-up: $(rescore)"
# wrk --latency prints "99%  12.34ms"; in milliseconds.
p() { awk -v q="$2" '$1 == q { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }' "$1"; }
list="/api/v1/leads?grade=A&sort=score&limit=50"
curl -fsS -o /dev/null -H "X-Api-Key: $key" "$url$list" # 200 or the bench stops here
log "GET $list with wrk through HAProxy at 1, 2, 4 and 8 connections (10 s each), then 8 at one instance (15 s)"
conc=""
for c in 1 2 4 8; do
  wrk -t$((c < 2 ? 1 : 2)) -c$c -d10s --latency -H "X-Api-Key: $key" "$url$list" >"$STATE/wrk-lb-c$c.txt"
  rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$STATE/wrk-lb-c$c.txt")
  log "  $c connection(s) via HAProxy: p50 $(p "$STATE/wrk-lb-c$c.txt" 50%) ms, p99 $(p "$STATE/wrk-lb-c$c.txt" 99%) ms, $rps req/s"
  conc+="${conc:+,}{\"connections\":$c,\"p50_ms\":$(p "$STATE/wrk-lb-c$c.txt" 50%),\"p99_ms\":$(p "$STATE/wrk-lb-c$c.txt" 99%),\"rps\":$rps}"
done
cp "$STATE/wrk-lb-c8.txt" "$STATE/wrk-lb.txt"
wrk -t2 -c8 -d15s --latency -H "X-Api-Key: $key" "$first$list" >"$STATE/wrk-one.txt"
rps_lb=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$STATE/wrk-lb.txt")
rps_one=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$STATE/wrk-one.txt")
non2xx=$(awk '/Non-2xx/ { print $NF }' "$STATE"/wrk-lb-c*.txt "$STATE/wrk-one.txt" | paste -sd+ | bc 2>/dev/null || echo 0)
log "  8 connections at one instance: p50 $(p "$STATE/wrk-one.txt" 50%) ms, p99 $(p "$STATE/wrk-one.txt" 99%) ms, $rps_one req/s"
list_json=$(printf '{"by_connections":[%s],"via_haproxy":{"p50_ms":%s,"p99_ms":%s,"rps":%s},"one_instance":{"p50_ms":%s,"p99_ms":%s,"rps":%s},"non_2xx":%s}' \
  "$conc" "$(p "$STATE/wrk-lb.txt" 50%)" "$(p "$STATE/wrk-lb.txt" 99%)" "$rps_lb" "$(p "$STATE/wrk-one.txt" 50%)" "$(p "$STATE/wrk-one.txt" 99%)" "$rps_one" "${non2xx:-0}")
if [ "${BENCH_UNTIL:-}" = leadslist ]; then
  printf '{"date":"%s","cores":%s,"leads":%s,"generate_s":%.1f,"import_leads_s":%.1f,"load_average":[%s,%s],"activities":{"rows":%s,"seconds":%.1f,"rows_per_s":%s,"rows_per_cpu_s":%s,"peak_rss_mb":%s,"files":[%s]},"training_set_s":%.1f,"train_s":%.1f,"leads_list":%s}\n' \
    "$(date -u +%Y-%m-%d)" "$(nproc)" "$LEADS" "$gen_s" "$leads_s" "$load_start" "$(cut -d' ' -f1 /proc/loadavg)" "$act_rows" "$act_s" "$act_rate" "$act_cpu_rate" "$((rss_max / 1024))" "$rss" "$tset_s" "$train_s" "$list_json"
  exit 0
fi
read -r t3 ranges n <<<"$(rescore)"
log "  re-score, 3 instances: $t3 s ($n leads, $ranges ranges)"
kill -TERM "${pids[1]}" "${pids[2]}"
while kill -0 "${pids[1]}" 2>/dev/null || kill -0 "${pids[2]}" 2>/dev/null; do sleep 0.2; done
sleep 3
read -r t1 _ _ <<<"$(rescore)"

printf '{"date":"%s","cores":%s,"leads":%s,"generate_s":%.1f,"import_leads_s":%.1f,"load_average":[%s,%s],"activities":{"rows":%s,"seconds":%.1f,"rows_per_s":%s,"rows_per_cpu_s":%s,"peak_rss_mb":%s,"files":[%s]},"training_set_s":%.1f,"train_s":%.1f,"leads_list":%s,"rescore":{"rescored":%s,"ranges":%s,"seconds_3_instances":%.1f,"seconds_1_instance":%.1f,"speedup":%.2f}}\n' \
  "$(date -u +%Y-%m-%d)" "$(nproc)" "$LEADS" "$gen_s" "$leads_s" "$load_start" "$(cut -d' ' -f1 /proc/loadavg)" "$act_rows" "$act_s" "$act_rate" "$act_cpu_rate" "$((rss_max / 1024))" "$rss" "$tset_s" "$train_s" \
  "$list_json" \
  "$n" "$ranges" "$t3" "$t1" "$(echo "$t1 / $t3" | bc -l)"
