#!/usr/bin/env bash
# Multi-tenant benchmark (part of bench.sh; docs/benchmarks.md § Several tenants and processes):
# 20 simulated tenants of 5k users / 100 departments each, every one with Lark's real limits
# on, synced from their schedule by 3 processes (2 aviary-server, 1 aviary worker) on one
# PostgreSQL database, in two rounds: every tenant's first full sync (5k accounts written each),
# then, all due again, its unchanged resync (nothing written). Reports per round the total
# throughput, the 429s all tenants served, each tenant's sync against the minimum its limits
# allow, how the runs spread over the processes and how busy the machine was.
# Usage: bash scripts/bench-fleet.sh BIN_DIR WORK_DIR PG_URL   (bench.sh calls it).
set -euo pipefail
BIN_DIR="$1"; WORK="$2"; PG="$3"
TENANTS="${BENCH_TENANTS:-20}"
# Scheduled syncs each process runs at once (scheduler.max_concurrent_syncs; default 4).
SLOTS="${BENCH_SLOTS:-4}"
SCRIPTS="$(cd "$(dirname "$0")" && pwd)"
DB="aviary_fleet_$$"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 1; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
export AVIARY_DATABASE__URL="$PG/$DB"
AVIARY_SECRETS__MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export AVIARY_SECRETS__MASTER_KEY
export AVIARY_DATA__DIR="$WORK/fleet"

# Runs a command silently, showing what it said only when it fails.
quiet() { local out; out=$("$@" 2>&1) || { echo "$out" >&2; return 1; }; }
sim_field() { awk -v k="$2" '$1" "$2 == k {print $3}' "$1"; }

echo "== $TENANTS tenants × 5k users / 100 departments, real limits, 3 processes on PostgreSQL, $SLOTS syncs at once in each"
for i in $(seq 1 "$TENANTS"); do
  port=$((9500 + i))
  "$BIN_DIR/aviary" simulator --users 5000 --departments 100 --seed $((100 + i)) --port "$port" >"$WORK/fleet-sim-$i.txt" 2>&1 &
done
for i in $(seq 1 "$TENANTS"); do
  out="$WORK/fleet-sim-$i.txt"
  for _ in $(seq 1 150); do grep -q "App Secret" "$out" 2>/dev/null && break; sleep 0.2; done
  base=$(sim_field "$out" "Base URL:"); app=$(sim_field "$out" "App ID:"); secret=$(sim_field "$out" "App Secret:")
  echo "$base" >"$WORK/fleet-base-$i"
  # A first sync of one small department makes the integration active, so that its schedule
  # holds it; then the whole tenant comes into scope and the measured sync adds it all.
  small=$(curl -sf "$base/_simulator/users" | python3 -c '
import collections, json, sys
counts = collections.Counter(d for u in json.load(sys.stdin) for d in u["department_ids"])
print(min(counts, key=counts.get))')
  curl -sf -X PUT -H 'content-type: application/json' -d "{\"department_ids\":[\"$small\"]}" "$base/_simulator/scope" >/dev/null
  quiet sh -c "echo '$secret' | '$BIN_DIR/aviary' integration add --label t$i --app-id $app --base-url $base --app-secret-stdin"
  quiet "$BIN_DIR/aviary" integration set "t$i" --interval-minutes 5
  "$BIN_DIR/aviary" sync "t$i" >/dev/null
  curl -sf -X PUT -H 'content-type: application/json' -d '{}' "$base/_simulator/scope" >/dev/null
done
cpu() { # CPU seconds the processes used so far (user + system)
  python3 -c 'import os, sys
tick = os.sysconf("SC_CLK_TCK")
print(round(sum(sum(int(f) for f in open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[11:13]) for p in sys.argv[1:]) / tick, 1))' "$@"
}
busy() { # the machine's busy and total CPU ticks so far (/proc/stat)
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat
}
# The simulators' counts start afresh, and the requests before leave Lark's one-second windows
# (Lark counts an app's requests whichever process sends them; each process paces only its own).
fresh_counts() {
  for i in $(seq 1 "$TENANTS"); do curl -sf -X DELETE "$(cat "$WORK/fleet-base-$i")/_simulator/stats" >/dev/null; done
  sleep 2
}
# Every integration due at once: its runs moved back past its interval.
make_due() {
  psql "$AVIARY_DATABASE__URL" -qc "UPDATE sync_runs SET started_at = started_at - 330000000, finished_at = finished_at - 330000000" >/dev/null
}
# Waits for round $1's scheduled runs, then keeps what it needs to report on them.
measure() {
  local round="$1" busy_before sim_before
  fresh_counts
  busy_before=$(busy); sim_before=$(cpu $SIMS)
  make_due
  SECONDS=0
  # Every integration with (at least) this round's scheduled run finished.
  until [ "$(psql "$AVIARY_DATABASE__URL" -tAc "SELECT count(*) FROM (SELECT integration_id FROM sync_runs WHERE trigger = 'schedule' AND status <> 'running' GROUP BY integration_id HAVING count(*) >= $round) AS done")" -ge "$TENANTS" ]; do
    sleep 0.5
    if [ "$SECONDS" -gt 900 ]; then echo "  round $round not done within 15 minutes" >&2; exit 1; fi
  done
  read -r b0 t0 <<<"$busy_before"; read -r b1 t1 <<<"$(busy)"
  python3 -c "print(round(100 * ($b1 - $b0) / max(1, $t1 - $t0)), round($(cpu $SIMS) - $sim_before, 1))" >"$WORK/fleet-cpu-$round"
  for i in 1 2 3; do printf '%s ' "$(grep -c 'scheduled sync started' "$WORK/fleet-p$i.log" || true)"; done >"$WORK/fleet-per-process-$round"
  for i in $(seq 1 "$TENANTS"); do
    "$BIN_DIR/aviary" runs list -i "t$i" --output json >"$WORK/fleet-runs-$round-$i.json"
    curl -sf "$(cat "$WORK/fleet-base-$i")/_simulator/stats" >"$WORK/fleet-stats-$round-$i.json"
  done
}

SIMS=$(jobs -p)
# At info (at least), which the runs-per-process count reads ("scheduled sync started"); the
# schedulers look every second (default 30 s), so that a round starts as soon as it is due.
run_env=(env AVIARY_LOG="${BENCH_PROCESS_LOG:-info}" AVIARY_SCHEDULER__MAX_CONCURRENT_SYNCS="$SLOTS" AVIARY_SCHEDULER__TICK_SECS=1)
"${run_env[@]}" AVIARY_HTTP__PORT=9601 "$BIN_DIR/aviary-server" 2>"$WORK/fleet-p1.log" &
"${run_env[@]}" AVIARY_HTTP__PORT=9602 "$BIN_DIR/aviary-server" 2>"$WORK/fleet-p2.log" &
"${run_env[@]}" "$BIN_DIR/aviary" worker 2>"$WORK/fleet-p3.log" &
PIDS=$(jobs -p | tail -3)
measure 1
measure 2
kill -TERM $PIDS 2>/dev/null || true
wait $PIDS 2>/dev/null || true
for round in 1 2; do
python3 - "$WORK" "$TENANTS" "$SCRIPTS" "$round" <<'PY'
import datetime, json, sys
work, tenants, round_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[4])
sys.path.insert(0, sys.argv[3])
from lark_minimums import minimums

def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

first, last, users, limited, rows = None, None, 0, 0, []
for i in range(1, tenants + 1):
    runs = json.load(open(f"{work}/fleet-runs-{round_}-{i}.json"))
    scheduled = [r for r in runs if r["trigger"] == "schedule"]
    if len(scheduled) != round_:
        print(f"    t{i}: {len(scheduled)} scheduled runs after round {round_}, not one per round")
    # Newest first: this round's scheduled run is the newest one.
    run = scheduled[0]
    stats = json.load(open(f"{work}/fleet-stats-{round_}-{i}.json"))
    api, n, fixed, sliding = minimums(stats)
    secs = run["duration_ms"] / 1000
    u = run["counts"]["users"]
    users += u["added"] + u["changed"] + u["unchanged"] + u["restored"]
    limited += stats["rate_limited"]
    first = min(first or at(run["started_at"]), at(run["started_at"]))
    last = max(last or at(run["finished_at"]), at(run["finished_at"]))
    rows.append((secs / sliding - 1, secs / fixed - 1, i, secs, sliding, fixed, n, run["status"], u["added"], u["unchanged"]))
wall = last - first
rows.sort(reverse=True)
over = [r[0] for r in rows]
busy, sim_cpu = open(f"{work}/fleet-cpu-{round_}").read().split()
per_process = open(f"{work}/fleet-per-process-{round_}").read().split()
what = "first syncs (all accounts written)" if round_ == 1 else "unchanged resyncs (nothing written)"
print(f"  round {round_}, {what}: {users:,} users in {wall:.1f} s (first start to last end) -> {users / wall:,.0f} users/s in all")
print(f"    429s served by all tenants: {limited}; scheduled runs so far per process (server, server, worker): {' '.join(per_process)}; machine {busy}% busy ({sim_cpu} CPU-s of it the simulators)")
print(f"    each tenant vs the minimum its limits allow (sliding windows; fixed ones give the same here): median {sorted(over)[len(over) // 2] * 100:+.0f}%, worst {over[0] * 100:+.0f}%; within 10%: {sum(o <= 0.10 for o in over)} of {tenants}")
for o, of, i, secs, sliding, fixed, n, status, added, unchanged in rows[:2]:
    print(f"      slowest: t{i} {status}, {added} added, {unchanged} unchanged, {secs:.2f} s for {n} requests to its busiest API (minimum {sliding:.1f} s: {o * 100:+.0f}%)")
PY
done
