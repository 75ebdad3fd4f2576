#!/usr/bin/env bash
# Load test of the REST API on loopback with wrk (load generator and server share the machine).
#   benchmarks/bench-api.sh [DURATION_SECONDS] [CONNECTIONS] [bank|quickstart]
# Trains a model into a throwaway workspace, serves it, and measures GET /health/live, POST /api/v1/score with
# reasons and with ?explain=false. bank (default): LightGBM on the bank-marketing data (without `duration`), one flat
# row per request. quickstart: `quickstart --no-serve` (the model the product itself picks on its demo data), and the
# request is the lead with attributes and activities that the quickstart prints as its example.
# Prints one line per endpoint: requests/s, p50, p99 (wrk's latency distribution).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DUR=${1:-10}
CONN=${2:-32}
PORT=${LEADSCORE_BENCH_PORT:-5099}
URL="http://127.0.0.1:$PORT"
DATA="$ROOT/../shared/data/bank-marketing/bank-additional-full.csv"

scripts/install-deps.sh --bench >/dev/null
WS=$(mktemp -d /tmp/leadscore-bench.XXXXXX)
LUA=$(mktemp -d /tmp/leadscore-bench-lua.XXXXXX)
SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WS" "$LUA"; }
trap cleanup EXIT

MODEL=${3:-bank}
if [ "$MODEL" = quickstart ]; then
  echo "bench-api: quickstart --no-serve (workspace $WS)" >&2
  ./leadscore --workspace "$WS" quickstart --no-serve > "$WS/train.log" 2>&1 || { cat "$WS/train.log"; exit 1; }
else
  echo "bench-api: building and training a LightGBM model on bank-marketing (workspace $WS)" >&2
  ./leadscore --workspace "$WS" train --csv "$DATA" --target y --positive yes --sep ';' --exclude duration \
    --algorithm lightgbm --time-budget 10 --max-trials 1 --seed 42 > "$WS/train.log" 2>&1 || { cat "$WS/train.log"; exit 1; }
fi
KEY=$(./leadscore --workspace "$WS" apikey create --name bench --scopes score 2>/dev/null)

# No rate limit for the load test; everything else as in production. $1: the prediction log on (true) or off (false).
start_server() {
  LeadScore__RateLimit__PermitsPerSecond=10000000 LeadScore__RateLimit__Burst=10000000 LeadScore__Monitoring__PredictionLog=$1 \
    dotnet artifacts/cli/leadscore.dll --workspace "$WS" serve --urls "$URL" > "$WS/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "$URL/health/ready" >/dev/null && break; sleep 0.2; done
  curl -sf "$URL/health/ready" >/dev/null || { echo "bench-api: server not ready"; cat "$WS/serve.log"; exit 1; }
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
start_server true

if [ "$MODEL" = quickstart ]; then
  # The example request the quickstart prints (the -d '...' of its curl line).
  BODY=$(grep -o -- "-d '{.*}'" "$WS/train.log" | tail -1 | sed -e "s/^-d '//" -e "s/'\$//")
  [ -n "$BODY" ] || { echo "bench-api: no example request in the quickstart output"; exit 1; }
else
  BODY='{"id":"bench-1","attributes":{"age":"41","job":"admin.","marital":"married","education":"university.degree","default":"no","housing":"yes","loan":"no","contact":"cellular","month":"may","day_of_week":"thu","campaign":"2","pdays":"999","previous":"0","poutcome":"nonexistent","emp.var.rate":"-1.8","cons.price.idx":"92.893","cons.conf.idx":"-46.2","euribor3m":"1.313","nr.employed":"5099.1"}}'
fi
cat > "$LUA/score.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "$KEY"
LUA
echo "bench-api: sample answer: $(curl -s -X POST "$URL/api/v1/score" -H 'Content-Type: application/json' -H "X-Api-Key: $KEY" -d "$BODY" | head -c 300)..." >&2

run() { # name path [lua]
  local name=$1 path=$2 lua=${3:-}
  # Warm up (JIT, tiered compilation), then measure.
  wrk -t1 -c"$CONN" -d3s ${lua:+-s "$lua"} "$URL$path" >/dev/null
  local out; out=$(wrk -t2 -c"$CONN" -d"${DUR}s" --latency ${lua:+-s "$lua"} "$URL$path")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out")
  printf "%-34s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n" "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "bench-api: model $MODEL, $(nproc) cores, wrk -t2 -c$CONN -d${DUR}s, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d" " -f1-3 /proc/loadavg)"
run "GET /health/live" "/health/live"
run "POST /api/v1/score (reasons)" "/api/v1/score" "$LUA/score.lua"
run "POST /api/v1/score?explain=false" "/api/v1/score?explain=false" "$LUA/score.lua"

# Prediction logging side by side: the same requests with the log off (LeadScore:Monitoring:PredictionLog=false), then on
# again, alternating (LEADSCORE_BENCH_ROUNDS pairs, default 3) so that a change in the machine's load hits both; the log's
# cost is the drop from off to on. Beside requests/s, the server's own CPU time per request (utime + stime from /proc,
# the writer thread included): on a machine shared with other work, throughput measures the neighbours too, the server's
# CPU per request much less so.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
HZ=$(getconf CLK_TCK)
side() { # name path lua log
  local name=$1 path=$2 lua=$3 log=$4
  wrk -t1 -c"$CONN" -d3s -s "$lua" "$URL$path" >/dev/null
  local t0; t0=$(cpu_ticks)
  local out; out=$(wrk -t2 -c"$CONN" -d"${DUR}s" -s "$lua" "$URL$path")
  local t1; t1=$(cpu_ticks)
  local reqs rps
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local us; us=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$HZ" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')
  printf "%-34s %10s req/s   server CPU %7s us/request   log=%s\n" "$name" "$rps" "$us" "$log"
  echo "$name|$log|$rps|$us" >> "$WS/side.txt"
}
LOGGED_BEFORE=$(sqlite3 "$WS/leadscore.db" 'SELECT COUNT(*) FROM prediction_log' 2>/dev/null || echo "?")
: > "$WS/side.txt"
for _ in $(seq 1 "${LEADSCORE_BENCH_ROUNDS:-3}"); do
  for LOG in false true; do
    stop_server
    start_server $LOG
    side "POST /score?explain=false" "/api/v1/score?explain=false" "$LUA/score.lua" $LOG
    side "POST /score (reasons)" "/api/v1/score" "$LUA/score.lua" $LOG
  done
done
stop_server
echo "bench-api: side by side, medians over the rounds (cost = on / off - 1; for CPU per request, on / off - 1 too):"
awk -F'|' '
  { key = $1 "|" $2; n[key]++; rps[key, n[key]] = $3; us[key, n[key]] = $4; names[$1] = 1 }
  function median(arr, key, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[key, i] + 0
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
  }
  END {
    for (name in names) {
      off = name "|false"; on = name "|true"
      ro = median(rps, off, n[off]); rn = median(rps, on, n[on]); uo = median(us, off, n[off]); un = median(us, on, n[on])
      printf "  %-30s off %9.0f req/s %7.1f us CPU   on %9.0f req/s %7.1f us CPU   throughput %+5.1f%%   CPU per request %+5.1f%%\n", name, ro, uo, rn, un, (rn / ro - 1) * 100, (un / uo - 1) * 100
    }
  }' "$WS/side.txt"
echo "bench-api: prediction_log rows: $LOGGED_BEFORE before the side-by-side runs, $(sqlite3 "$WS/leadscore.db" 'SELECT COUNT(*) FROM prediction_log' 2>/dev/null || echo "?") after"
