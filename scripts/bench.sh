#!/usr/bin/env bash
# Sync benchmark (targets and their reasons: docs/benchmarks.md § Targets), with the release binary
# against the simulator in its own process:
#   1. full sync of 100k users / 2k departments / 300 user groups / 300 installed apps, limits
#      off, into SQLite and into PostgreSQL (users/s and peak RSS of the aviary process);
#   2. an unchanged resync of each (account rows written must be 0);
#   3. a 5k-user sync with Lark's real limits on in the simulator and client pacing on
#      (duration vs the minimum the limits allow, 429s seen);
#   4. a 60k-user / 1,200-department sync with real limits, where the per-minute window binds
#      (against the fixed- and the sliding-window minimum: scripts/lark_minimums.py);
#   5. 20 tenants × 5k users with real limits, synced from their schedule by 2 aviary-server
#      and 1 aviary worker on PostgreSQL (scripts/bench-fleet.sh).
# Usage: bash scripts/bench.sh [USERS] [DEPARTMENTS] [GROUPS] [APPS]   (results are printed; copy them into
# docs/benchmarks.md). BENCH_PARTS picks parts (default "full limits large fleet").
# Needs /usr/bin/time (Debian package `time`) and PostgreSQL at AVIARY_BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432); release builds, and the machine to itself.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${1:-100000}"
DEPARTMENTS="${2:-2000}"
N_GROUPS="${3:-300}"
N_APPS="${4:-300}"
PG="${AVIARY_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
PARTS="${BENCH_PARTS:-full limits large fleet}"
part() { [[ " $PARTS " == *" $1 "* ]]; }
# The simulators are custom base URLs, which the operator must allow.
export AVIARY_LARK__ALLOW_CUSTOM_BASE_URL=true
command -v /usr/bin/time >/dev/null || { echo "install GNU time: apt-get install -y time" >&2; exit 1; }
cargo build --release --locked --bin aviary --bin aviary-server
BIN_DIR="$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)"
BIN="$BIN_DIR/aviary"
WORK=$(mktemp -d)
BENCH_DB="aviary_bench_$$"
# The benchmark's PostgreSQL database goes with its work directory, however the script ends.
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

start_simulator() { # users departments port extra-args…
  "$BIN" simulator --users "$1" --departments "$2" --port "$3" "${@:4}" >"$WORK/sim-$3.txt" &
  SIM_PID=$!
  for _ in $(seq 1 100); do grep -q "App Secret" "$WORK/sim-$3.txt" 2>/dev/null && break; sleep 0.2; done
  APP_ID=$(awk '/^App ID:/ {print $3}' "$WORK/sim-$3.txt")
  APP_SECRET=$(awk '/^App Secret:/ {print $3}' "$WORK/sim-$3.txt")
  BASE_URL=$(awk '/^Base URL:/ {print $3}' "$WORK/sim-$3.txt")
}

timed_sync() { # label args… ; prints the run JSON fields and peak RSS
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" sync "$@" --output json >"$WORK/run.json"
  python3 - "$WORK/run.json" "$(cat "$WORK/rss")" <<'PY'
import json, sys
run = json.load(open(sys.argv[1])); rss_mb = int(sys.argv[2]) / 1024
u = run["counts"]["users"]; secs = run["duration_ms"] / 1000
seen = u["added"] + u["changed"] + u["unchanged"] + u["restored"]
print(f"  status={run['status']} duration={secs:.2f}s users={seen} -> {seen/secs:,.0f} users/s; "
      f"written: added={u['added']} changed={u['changed']} removed={u['removed']}; "
      f"groups={sum(run['counts']['groups'].values())} apps={sum(run['counts']['apps'].values())}; "
      f"api calls={run['api']['calls']} rate-limit waits={run['api']['rate_limit_waits']}; peak RSS={rss_mb:.0f} MB")
PY
}

if part full; then
start_simulator "$USERS" "$DEPARTMENTS" 9471 --no-rate-limits --groups "$N_GROUPS" --apps "$N_APPS"
for backend in sqlite postgres; do
  export AVIARY_DATA__DIR="$WORK/data-$backend"
  if [ "$backend" = postgres ]; then
    db="$BENCH_DB"
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    export AVIARY_DATABASE__URL="$PG/$db"
    export AVIARY_SECRETS__MASTER_KEY=$(head -c 32 /dev/urandom | base64)
  else
    unset AVIARY_DATABASE__URL AVIARY_SECRETS__MASTER_KEY
  fi
  echo "$APP_SECRET" | "$BIN" integration add --label bench --app-id "$APP_ID" --base-url "$BASE_URL" --app-secret-stdin >/dev/null
  echo "== $backend: full sync of $USERS users / $DEPARTMENTS departments / $N_GROUPS groups / $N_APPS apps (limits off)"
  timed_sync bench --no-pacing
  echo "== $backend: unchanged resync"
  timed_sync bench --no-pacing
done
unset AVIARY_DATABASE__URL AVIARY_SECRETS__MASTER_KEY
kill "$SIM_PID"
fi

limited_sync() { # users departments port label: one SQLite sync with Lark's real limits on
  start_simulator "$1" "$2" "$3"
  export AVIARY_DATA__DIR="$WORK/data-$4"
  echo "$APP_SECRET" | "$BIN" integration add --label "$4" --app-id "$APP_ID" --base-url "$BASE_URL" --app-secret-stdin >/dev/null
  curl -s -X DELETE "$BASE_URL/_simulator/stats" >/dev/null
  echo "== SQLite: $1 users / $2 departments with Lark's real limits on (50/s, 1000/min per API)"
  timed_sync "$4"
  curl -s "$BASE_URL/_simulator/stats" >"$WORK/stats.json"
  python3 - "$WORK/run.json" "$WORK/stats.json" scripts <<'PY'
import json, sys
sys.path.insert(0, sys.argv[3])
from lark_minimums import minimums
run = json.load(open(sys.argv[1])); stats = json.load(open(sys.argv[2]))
# The busiest API bounds the whole sync from below (scripts/lark_minimums.py).
api, n, fixed, sliding = minimums(stats)
secs = run["duration_ms"] / 1000
vs = lambda bound: f"{(secs / bound - 1) * 100:+.0f}%" if bound else "n/a"
print(f"  busiest API: {api} with {n} requests -> minimum {fixed} s with fixed windows, {sliding:.1f} s with sliding ones")
print(f"  sync took {secs:.2f} s ({vs(fixed)} vs the fixed-window minimum, {vs(sliding)} vs the sliding-window one); "
      f"429s served by the simulator: {stats['rate_limited']}")
PY
  kill "$SIM_PID"
}
if part limits; then limited_sync 5000 100 9472 limits; fi
if part large; then limited_sync 60000 1200 9473 large; fi
if part fleet; then bash scripts/bench-fleet.sh "$BIN_DIR" "$WORK" "$PG"; fi
