#!/usr/bin/env bash
# Read benchmark (targets and their reasons: docs/benchmarks.md § Read targets), with the release
# binaries: the simulator's tenant of 100k users / 2k departments (limits off) is synced into a
# fresh SQLite data directory and into a fresh PostgreSQL database, `aviary serve` answers over
# each in turn, and wrk (Debian package `wrk`, installed when missing) asks each route with
# 16 connections for DURATION seconds: the accounts API page (limit=50), one account, the status,
# an API search, and the web UI's overview, integration page, departments page and a search.
# Each line: requests/s, p50 and p99 latency at 16 connections, the p50 latency of one request at
# a time (3 s), the response's size, and the machine's load when wrk started.
# Usage: bash scripts/bench-read.sh [USERS] [DEPARTMENTS] [DURATION]   (results are printed; copy
# them into docs/benchmarks.md). Needs PostgreSQL at AVIARY_BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432) and python3. BENCH_READ_BIN and BENCH_READ_KEEP: below.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${1:-100000}"
DEPARTMENTS="${2:-2000}"
DURATION="${3:-10}"
CONNECTIONS=16
PG="${AVIARY_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
# The simulator is a custom base URL, which the operator must allow.
export AVIARY_LARK__ALLOW_CUSTOM_BASE_URL=true
# This measures the server, not the per-key API limit (600 a minute by default), which would
# answer nearly every API request 429.
export AVIARY_HTTP__API_REQUESTS_PER_MINUTE=1000000
SIM_PORT=9473
HTTP_PORT=9474
EMAIL=bench@example.com
PASSWORD=bench-password-read-1

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package wrk)…"
  sudo_if_needed=()
  if [ "$(id -u)" -ne 0 ]; then sudo_if_needed=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_if_needed[@]}" apt-get install -y --no-install-recommends wrk \
    || { "${sudo_if_needed[@]}" apt-get update \
         && "${sudo_if_needed[@]}" apt-get install -y --no-install-recommends wrk; }
fi

# BENCH_READ_BIN measures another build (e.g. a copy of main's) without building.
if [ -n "${BENCH_READ_BIN:-}" ]; then
  BIN="$BENCH_READ_BIN"
else
  cargo build --release --locked --bin aviary
  BIN="${CARGO_TARGET_DIR:-target}/release/aviary"
fi
WORK=$(mktemp -d)
SERVER_PID=""
# BENCH_READ_KEEP=1 keeps the data directories (SQLite file, PostgreSQL database) to look into.
if [ -n "${BENCH_READ_KEEP:-}" ]; then
  trap 'kill $(jobs -p) 2>/dev/null || true; echo "kept $WORK"' EXIT
else
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"; [ -z "${db:-}" ] || { sleep 1; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; } || true' EXIT
fi

"$BIN" simulator --users "$USERS" --departments "$DEPARTMENTS" --port "$SIM_PORT" --no-rate-limits >"$WORK/sim.txt" &
for _ in $(seq 1 100); do grep -q "App Secret" "$WORK/sim.txt" 2>/dev/null && break; sleep 0.2; done
APP_ID=$(awk '/^App ID:/ {print $3}' "$WORK/sim.txt")
APP_SECRET=$(awk '/^App Secret:/ {print $3}' "$WORK/sim.txt")
BASE_URL=$(awk '/^Base URL:/ {print $3}' "$WORK/sim.txt")
BASE="http://127.0.0.1:$HTTP_PORT"

# measure LABEL PATH [HEADER]: wrk for DURATION s at CONNECTIONS connections, then one request
# for the body's size.
measure() {
  local label=$1 path=$2 header=$3
  local load size
  load=$(cut -d' ' -f1 /proc/loadavg)
  size=$(curl -s -o /dev/null -w '%{size_download}' -H "$header" "$BASE$path")
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 30s --latency -H "$header" "$BASE$path" >"$WORK/wrk.txt"
  # One request at a time: the latency of a route by itself (what the per-page targets mean).
  wrk -t1 -c1 -d3s --timeout 30s --latency -H "$header" "$BASE$path" >"$WORK/wrk1.txt"
  python3 - "$label" "$size" "$load" "$WORK/wrk.txt" "$WORK/wrk1.txt" <<'PY'
import re, sys
label, size, load = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text, alone = open(sys.argv[4]).read(), open(sys.argv[5]).read()
def ms(pct, text):
    m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text + alone)
bad = f"  NON-2xx: {errors.group(1)}" if errors else ""
def show(value):  # wrk reports 0 when no request finished in its window
    return "     n/a" if not value or value != value else f"{value:>8.1f}"
print(f"  {label:<22} {rps:>9,.1f} req/s  p50 {show(ms(50, text))} ms  p99 {show(ms(99, text))} ms  "
      f"alone p50 {show(ms(50, alone))} ms  {size / 1024:>7.1f} KiB  load {load}{bad}")
PY
}

for backend in sqlite postgres; do
  export AVIARY_DATA__DIR="$WORK/data-$backend"
  if [ "$backend" = postgres ]; then
    db="aviary_bench_read_$$"
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    export AVIARY_DATABASE__URL="$PG/$db"
    AVIARY_SECRETS__MASTER_KEY=$(head -c 32 /dev/urandom | base64)
    export AVIARY_SECRETS__MASTER_KEY
  else
    unset AVIARY_DATABASE__URL AVIARY_SECRETS__MASTER_KEY
  fi
  echo "$APP_SECRET" | "$BIN" integration add --label bench --app-id "$APP_ID" --base-url "$BASE_URL" --app-secret-stdin >/dev/null
  # No scheduled sync may start while wrk measures.
  "$BIN" integration set bench --on-demand >/dev/null
  echo "== $backend: syncing $USERS users / $DEPARTMENTS departments"
  "$BIN" sync bench --no-pacing --output json >"$WORK/run.json"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  sync:", r["status"], r["duration_ms"], "ms")' "$WORK/run.json"
  if [ "$backend" = sqlite ]; then
    echo "  database file: $(du -b "$AVIARY_DATA__DIR"/*.db* | awk '{s+=$1} END {printf "%.1f MB", s/1e6}')"
  else
    psql "$PG/$db" -Atqc "SELECT 'database: ' || pg_size_pretty(pg_database_size('$db'))"
    # What autovacuum does within a minute or two of a large sync: planner statistics and the
    # visibility map (index-only scans). Measured before it, PostgreSQL plans with no
    # statistics at all.
    psql "$PG/$db" -qc "VACUUM ANALYZE" >/dev/null
  fi
  echo "$PASSWORD" | "$BIN" admin create --email "$EMAIL" >/dev/null
  KEY=$("$BIN" key create --name bench --scope read --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  INTEGRATION=$("$BIN" integration list --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

  "$BIN" serve --port "$HTTP_PORT" >"$WORK/serve-$backend.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  COOKIE=$(curl -s -o /dev/null -D - --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" "$BASE/signin" \
    | tr -d '\r' | awk -F'[: ;]+' 'tolower($1) == "set-cookie" {print $2; exit}')
  API="Authorization: Bearer $KEY"
  UI="Cookie: $COOKIE"
  OPEN_ID=$(curl -s -H "$API" "$BASE/api/v1/integrations/$INTEGRATION/accounts?limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["open_id"])')

  echo "== $backend: $CONNECTIONS connections, ${DURATION} s per route"
  measure "API accounts page" "/api/v1/integrations/$INTEGRATION/accounts?limit=50" "$API"
  measure "API one account" "/api/v1/integrations/$INTEGRATION/accounts/$OPEN_ID" "$API"
  measure "API status" "/api/v1/integrations/$INTEGRATION/status" "$API"
  measure "API search smith" "/api/v1/integrations/$INTEGRATION/accounts?limit=50&search=smith" "$API"
  measure "UI overview" "/" "$UI"
  measure "UI integration page" "/admin/integrations/$INTEGRATION" "$UI"
  measure "UI departments page" "/admin/integrations/$INTEGRATION/departments" "$UI"
  measure "UI search smith" "/admin/integrations/$INTEGRATION?search=smith" "$UI"

  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
done
