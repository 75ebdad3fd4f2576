#!/usr/bin/env bash
# Exact reasons at full speed (issue 11): whole-process `score --explain` runs and the in-process report,
# the SHAP algorithm of this tree beside the one before it, in one run.
#   benchmarks/bench-shap.sh [BASELINE_REF]      e.g. benchmarks/bench-shap.sh main
# 1. bank without `duration`: `train` (auto, its default 60 s budget) into a throwaway workspace, then
#    `score --csv --explain` on all 41,188 rows, whole process, with and without reasons.
# 2. FastForest on 8,000 flat rows (every 5th bank row): `train --algorithm fastforest`, then `score --csv --explain`.
# 3. quickstart (--no-serve): the workspace model the API scores with, for the per-lead figures.
# 4. With BASELINE_REF: the same `score` commands run by the CLI built from that git ref (exported with
#    `git archive` into a temp dir, built there), on the same workspaces and files.
# 5. `LeadScore.Benchmarks shap-speed` on the three workspaces: per lead, ScoreBatch and SHAP alone, for
#    every algorithm (before: tables + plain TreeSHAP; Linear TreeSHAP everywhere; now: the per-tree choice; others),
#    then `shap-trees`: each tree timed with both algorithms, beside the cost model's choice.
# Prints the load average beside every figure: on a shared machine, wall-clock time measures the neighbours too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BASE_REF=${1:-}
DATA="$ROOT/../shared/data/bank-marketing/bank-additional-full.csv"
WORK=$(mktemp -d /tmp/leadscore-bench-shap.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

./leadscore --help >/dev/null   # builds the CLI of this tree into artifacts/cli
dotnet build benchmarks/LeadScore.Benchmarks/LeadScore.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
NEW="dotnet $ROOT/artifacts/cli/leadscore.dll"
OLD=""
if [ -n "$BASE_REF" ]; then
  mkdir -p "$WORK/base-src"
  git archive "$BASE_REF" | tar -x -C "$WORK/base-src"
  echo "bench-shap: building the CLI of $BASE_REF ($(git rev-parse --short "$BASE_REF"))" >&2
  dotnet build "$WORK/base-src/src/LeadScore.Cli/LeadScore.Cli.csproj" -c Release -nologo -v q -clp:ErrorsOnly -o "$WORK/base-cli" >/dev/null
  OLD="dotnet $WORK/base-cli/leadscore.dll"
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
timed() { # label rows command...   (wall and CPU time, user + sys, of the whole process)
  local label=$1 rows=$2; shift 2
  local t0 t1; t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$WORK/cpu" "$@" > /dev/null
  t1=$(date +%s.%N)
  awk -v l="$label" -v r="$rows" -v a="$t0" -v b="$t1" -v ld="$(load)" -v cpu="$(awk '{ print $1 + $2 }' "$WORK/cpu")" \
    'BEGIN { s = b - a; printf "%-58s %7.2f s %10.0f rows/s  %6.2f CPU-s %8.0f rows per CPU-s  (load %s)\n", l, s, r / s, cpu, r / cpu, ld }'
}

BANK="$WORK/bank"; FF="$WORK/ff"; QS="$WORK/qs"
echo "bench-shap: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(load); workspaces under $WORK" >&2
$NEW --workspace "$BANK" train --csv "$DATA" --target y --positive yes --sep ';' --exclude duration > "$WORK/bank-train.log" 2>&1 \
  || { cat "$WORK/bank-train.log"; exit 1; }
grep '^Model v1' "$WORK/bank-train.log"
awk 'NR == 1 || ((NR - 2) % 5 == 0 && ++n <= 8000)' "$DATA" > "$WORK/flat8000.csv"
$NEW --workspace "$FF" train --csv "$WORK/flat8000.csv" --target y --positive yes --sep ';' --exclude duration --algorithm fastforest \
  > "$WORK/ff-train.log" 2>&1 || { cat "$WORK/ff-train.log"; exit 1; }
grep '^Model v1' "$WORK/ff-train.log"
$NEW --workspace "$QS" quickstart --no-serve --time-budget 20 > "$WORK/qs.log" 2>&1 || { cat "$WORK/qs.log"; exit 1; }
grep -m1 '^== Model' "$WORK/qs.log" || true

N=$(($(wc -l < "$DATA") - 1))
for side in NEW OLD; do
  cli=${!side}
  [ -n "$cli" ] || continue
  name=$([ "$side" = NEW ] && echo "this tree" || echo "$BASE_REF")
  timed "[$name] bank score --csv (no reasons), whole process" "$N" $cli --workspace "$BANK" score --csv "$DATA" --sep ';' --out "$WORK/s.csv"
  timed "[$name] bank score --csv --explain, whole process" "$N" $cli --workspace "$BANK" score --csv "$DATA" --sep ';' --explain --out "$WORK/s.csv"
  timed "[$name] FastForest 8,000 rows score --explain, whole process" 8000 $cli --workspace "$FF" score --csv "$WORK/flat8000.csv" --sep ';' --explain --out "$WORK/s.csv"
done

dotnet benchmarks/LeadScore.Benchmarks/bin/Release/net10.0/LeadScore.Benchmarks.dll shap-speed "$BANK" "$FF" "$QS"
# The per-tree choice: every tree timed with the tables and with Linear TreeSHAP, beside the cost model's choice.
dotnet benchmarks/LeadScore.Benchmarks/bin/Release/net10.0/LeadScore.Benchmarks.dll shap-trees "$BANK"
