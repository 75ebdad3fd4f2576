#!/usr/bin/env bash
# Runs every test project against real parts: SQLite, a throwaway PostgreSQL 15 on loopback,
# a real HTTP server and Debian's Chromium. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

scripts/install-deps.sh || { echo "test.sh: could not install test dependencies"; echo "0 passed, 1 failed"; exit 1; }

PGDIR=$(mktemp -d /tmp/leadscore-pg.XXXXXX)
PGPORT=${LEADSCORE_TEST_PG_PORT:-15432}
REPDIR=$(mktemp -d /tmp/leadscore-pgrep.XXXXXX)
REPPORT=${LEADSCORE_TEST_PG_REPLICA_PORT:-$((PGPORT + 1))}
cleanup() { scripts/pg.sh stop "$REPDIR"; scripts/pg.sh stop "$PGDIR"; rm -rf "$REPDIR" "$PGDIR"; }
trap cleanup EXIT
# A server left over from an interrupted run would hold the port.
if pg_isready -h 127.0.0.1 -p "$PGPORT" -q 2>/dev/null; then
  echo "test.sh: port $PGPORT is in use; set LEADSCORE_TEST_PG_PORT"; echo "0 passed, 1 failed"; exit 1
fi
if pg_isready -h 127.0.0.1 -p "$REPPORT" -q 2>/dev/null; then
  echo "test.sh: port $REPPORT is in use; set LEADSCORE_TEST_PG_REPLICA_PORT"; echo "0 passed, 1 failed"; exit 1
fi
export LEADSCORE_TEST_PG=$(scripts/pg.sh start "$PGDIR" "$PGPORT") || { echo "test.sh: PostgreSQL did not start"; cat "$PGDIR/server.log"; echo "0 passed, 1 failed"; exit 1; }
echo "test.sh: PostgreSQL 15 running on 127.0.0.1:$PGPORT for the PostgreSQL tests"
# A streaming read replica of it (about a second while the server is still empty), for the read replica tests.
export LEADSCORE_TEST_PG_REPLICA=$(scripts/pg.sh replica "$PGDIR" "$REPDIR" "$REPPORT") || { echo "test.sh: the read replica did not start"; cat "$REPDIR/server.log" 2>/dev/null; echo "0 passed, 1 failed"; exit 1; }
export LEADSCORE_TEST_PG_REPLICA_DIR=$REPDIR
echo "test.sh: its streaming read replica on 127.0.0.1:$REPPORT"
export LEADSCORE_CHROMIUM=/usr/bin/chromium

echo "test.sh: building (Release)"
if ! dotnet build LeadScore.slnx -c Release -nologo -v q -clp:ErrorsOnly > /tmp/leadscore-build.log 2>&1; then
  cat /tmp/leadscore-build.log
  echo "0 passed, 1 failed"; exit 1
fi

passed=0; failed=0; status=0
for proj in tests/*.Tests; do
  name=$(basename "$proj")
  dll="$proj/bin/Release/net10.0/$name.dll"
  log=$(mktemp)
  echo "test.sh: running $name"
  dotnet "$dll" -noColor -noLogo ${LEADSCORE_TEST_FILTER:-} 2>&1 | tee "$log" | grep -E '^\s+\[FAIL\]|^\s+(Assert|Shouldly)|Total:' || true
  line=$(grep -E 'Total: [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "test.sh: $name did not report results"; tail -30 "$log"; failed=$((failed+1)); status=1; continue
  fi
  total=$(sed -E 's/.*Total: ([0-9]+).*/\1/' <<<"$line")
  errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
  fails=$(sed -E 's/.*Failed: ([0-9]+).*/\1/' <<<"$line")
  skips=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$line")
  notrun=$(sed -E 's/.*Not Run: ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - fails - skips - notrun))
  failed=$((failed + fails + errs))
  [ $((fails + errs)) -eq 0 ] || { status=1; grep -A25 '\[FAIL\]' "$log" | head -150; }
  rm -f "$log"
done
echo "$passed passed, $failed failed"
exit $status
