#!/usr/bin/env bash
# A simulated year (issue 13): `simulate --days 365` at 137 leads a day (50,000 leads in the year), concept drift at day 180
# and the control without drift, each a whole process; prints wall and CPU seconds, the time per phase and the load average
# (on a shared machine wall-clock time measures the neighbours too: CPU seconds are the run's own).
#   benchmarks/bench-simulate.sh [LEADS_PER_DAY] [DAYS]
set -euo pipefail
cd "$(dirname "$0")/.."
PER_DAY=${1:-137}
DAYS=${2:-365}
./leadscore --help >/dev/null   # builds the CLI of this tree into artifacts/cli
load() { cut -d' ' -f1-3 /proc/loadavg; }
run() { # label args...
  local label=$1; shift
  local out; out=$(mktemp /tmp/leadscore-bench-sim.XXXXXX)
  echo "bench-simulate: $label, load before $(load)" >&2
  dotnet artifacts/cli/leadscore.dll simulate --days "$DAYS" --leads-per-day "$PER_DAY" --seed 42 --json "$@" > "$out"
  python3 - "$label" "$out" "$(load)" <<'PY'
import json, sys
label, path, load = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
late = r["late"]
print(f"{label}: {r['leads']} leads, {r['elapsed_seconds']} s wall, {r['cpu_seconds']} s CPU, load after {load}")
print("  phases (wall): " + ", ".join(f"{k} {v} s" for k, v in r["phase_seconds"].items()))
print("  phases (CPU):  " + ", ".join(f"{k} {v} s" for k, v in r.get("phase_cpu_seconds", {}).items()))
print(f"  days {late['day_from']}-{late['day_to']}: served {late['served_auc']}, frozen {late['frozen_auc']}, oracle {late['oracle_auc']}; "
      f"promotions {len(r['promotions'])}, rollbacks {len(r['rollbacks'])}, drift alerts {sum(1 for a in r['alerts'] if a['kind'] == 'drift_detected' and a['slot'] == 'champion')}")
PY
  rm -f "$out"
}
run "concept drift at day 180" --drift concept --drift-at 180
run "control (no drift)"
