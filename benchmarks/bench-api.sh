#!/usr/bin/env bash
# Load test of the REST API on loopback with wrk (load generator and server share the machine).
#   benchmarks/bench-api.sh [DURATION_SECONDS] [CONNECTIONS]
# Trains a LightGBM model on the bank-marketing data (without `duration`) into a throwaway workspace,
# serves it, and measures GET /health/live, POST /api/v1/score with reasons and with ?explain=false.
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

echo "bench-api: building and training a LightGBM model on bank-marketing (workspace $WS)" >&2
./leadscore --workspace "$WS" train --csv "$DATA" --target y --positive yes --sep ';' --exclude duration \
  --algorithm lightgbm --time-budget 10 --max-trials 1 --seed 42 > "$WS/train.log" 2>&1 || { cat "$WS/train.log"; exit 1; }
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

BODY='{"id":"bench-1","attributes":{"age":"41","job":"admin.","marital":"married","education":"university.degree","default":"no","housing":"yes","loan":"no","contact":"cellular","month":"may","day_of_week":"thu","campaign":"2","pdays":"999","previous":"0","poutcome":"nonexistent","emp.var.rate":"-1.8","cons.price.idx":"92.893","cons.conf.idx":"-46.2","euribor3m":"1.313","nr.employed":"5099.1"}}'
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

echo "bench-api: $(nproc) cores, wrk -t2 -c$CONN -d${DUR}s, $(date -u +%Y-%m-%dT%H:%MZ)"
run "GET /health/live" "/health/live"
run "POST /api/v1/score (reasons)" "/api/v1/score" "$LUA/score.lua"
run "POST /api/v1/score?explain=false" "/api/v1/score?explain=false" "$LUA/score.lua"

# Prediction logging side by side: the same requests with the log off (LeadScore:Monitoring:PredictionLog=false), then on
# again, alternating so that a change in the machine's load hits both; the log's cost is the drop from off to on.
LOGGED_BEFORE=$(sqlite3 "$WS/leadscore.db" 'SELECT COUNT(*) FROM prediction_log' 2>/dev/null || echo "?")
for LOG in false true false true; do
  stop_server
  start_server $LOG
  run "POST /score?explain=false log=$LOG" "/api/v1/score?explain=false" "$LUA/score.lua"
  run "POST /score (reasons) log=$LOG" "/api/v1/score" "$LUA/score.lua"
done
stop_server
echo "bench-api: prediction_log rows: $LOGGED_BEFORE before the side-by-side runs, $(sqlite3 "$WS/leadscore.db" 'SELECT COUNT(*) FROM prediction_log' 2>/dev/null || echo "?") after"
