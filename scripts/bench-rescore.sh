#!/usr/bin/env bash
# Re-scoring every lead, 3 instances vs 1, on one PostgreSQL database (docs/cluster.md, figures in the README).
#   scripts/bench-rescore.sh [LEADS]   (default 100000)
# Starts scripts/cluster.sh up 3 with LEADS demo leads, times `POST /models/v1/promote` until its re-scoring job has
# succeeded (warm-up, then measured) with 3 instances, stops two instances, and times it again with 1. Prints one JSON line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEADS=${1:-100000}
STATE=${CLUSTER_STATE:-/tmp/leadscore-bench-rescore}
trap '"$ROOT/scripts/cluster.sh" down --state "$STATE" >/dev/null 2>&1 || true' EXIT
out=$("$ROOT/scripts/cluster.sh" up 3 --state "$STATE" --leads "$LEADS")
url=$(sed -E 's/^\{"url":"([^"]+)".*/\1/' <<<"$out") # the balancer: the first "url"
key=$(sed -E 's/.*"key":"([^"]+)".*/\1/' <<<"$out")
mapfile -t pids < <(grep -oE '"pid":[0-9]+' <<<"$out" | cut -d: -f2)

rescore() { # prints "seconds ranges rescored"
  local t0 job body status
  t0=$(date +%s.%N)
  job=$(curl -fsS -X POST -H "X-Api-Key: $key" "$url/api/v1/models/v1/promote" | sed -E 's/.*"rescore_job":"([^"]+)".*/\1/')
  while :; do
    body=$(curl -fsS -H "X-Api-Key: $key" "$url/api/v1/jobs/$job")
    status=$(sed -E 's/.*"status":"([a-z]+)".*/\1/' <<<"$body")
    [ "$status" = succeeded ] && break
    [ "$status" = failed ] && { echo "bench: job failed: $body" >&2; exit 1; }
    sleep 0.1
  done
  echo "$(echo "$(date +%s.%N) - $t0" | bc) $(sed -E 's/.*"ranges":([0-9]+).*/\1/' <<<"$body") $(sed -E 's/.*"rescored":([0-9]+).*/\1/' <<<"$body")"
}

rescore >/dev/null # warm-up: JIT, caches, PostgreSQL buffers
read -r t3 ranges n <<<"$(rescore)"
# Two instances stop gracefully; HAProxy marks them down; the one left claims every range.
kill -TERM "${pids[1]}" "${pids[2]}"
while kill -0 "${pids[1]}" 2>/dev/null || kill -0 "${pids[2]}" 2>/dev/null; do sleep 0.2; done
sleep 3
read -r t1 _ _ <<<"$(rescore)"
printf '{"date":"%s","leads":%s,"rescored":%s,"ranges":%s,"seconds_3_instances":%.1f,"seconds_1_instance":%.1f,"speedup":%.2f,"cores":%s}\n' \
  "$(date -u +%Y-%m-%d)" "$LEADS" "$n" "$ranges" "$t3" "$t1" "$(echo "$t1 / $t3" | bc -l)" "$(nproc)"
