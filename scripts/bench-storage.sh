#!/usr/bin/env bash
# Storage benchmark (issue 9, item 8): what a synced tenant costs on disk, per table, on SQLite
# and PostgreSQL, with the release binary against the simulator (100k users / 2k departments by
# default). With BENCH_BASELINE_BIN set to an older `aviary` binary it also upgrades: the old
# binary syncs first, then this one opens the database (migrating it; timed), the sizes are
# read again (on SQLite also of a VACUUMed copy), and an unchanged resync must write no account.
# Usage: [BENCH_BASELINE_BIN=old/aviary] bash scripts/bench-storage.sh [USERS] [DEPARTMENTS]
# Sizes are each table's or index's own (PostgreSQL: pg_table_size, with its TOAST data).
# Needs sqlite3 (Debian package `sqlite3`) and PostgreSQL at AVIARY_BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${1:-100000}"
DEPARTMENTS="${2:-2000}"
PG="${AVIARY_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
BASELINE="${BENCH_BASELINE_BIN:-}"
command -v sqlite3 >/dev/null || { echo "install sqlite3: apt-get install -y sqlite3" >&2; exit 1; }
cargo build --release --locked --bin aviary
BIN="${CARGO_TARGET_DIR:-target}/release/aviary"
WORK=$(mktemp -d)
BENCH_DB="aviary_storage_$$"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

"$BIN" simulator --users "$USERS" --departments "$DEPARTMENTS" --port 9473 --no-rate-limits >"$WORK/sim.txt" &
for _ in $(seq 1 100); do grep -q "App Secret" "$WORK/sim.txt" 2>/dev/null && break; sleep 0.2; done
APP_ID=$(awk '/^App ID:/ {print $3}' "$WORK/sim.txt")
APP_SECRET=$(awk '/^App Secret:/ {print $3}' "$WORK/sim.txt")
BASE_URL=$(awk '/^Base URL:/ {print $3}' "$WORK/sim.txt")

sizes() { # backend; prints the database's size and its largest tables and indexes
  if [ "$1" = sqlite ]; then
    local file="$AVIARY_DATA__DIR/aviary.db"
    sqlite3 "$file" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    echo "  file: $(( $(stat -c %s "$file") / 1024 / 1024 )) MiB = $(( $(stat -c %s "$file") / USERS )) B per account"
    sqlite3 -separator ' ' "$file" "SELECT '   ', name, SUM(pgsize) / 1048576 || ' MiB', \
      SUM(pgsize) / $USERS || ' B/acct', (100 * SUM(unused)) / SUM(pgsize) || '% unused' \
      FROM dbstat GROUP BY name HAVING SUM(pgsize) > 1048576 ORDER BY SUM(pgsize) DESC"
  else
    psql "$PG/$BENCH_DB" -qAt -F ' ' -c "VACUUM ANALYZE" -c "SELECT 'database:', \
      pg_database_size(current_database()) / 1048576 || ' MiB =', \
      pg_database_size(current_database()) / $USERS || ' B per account'" -c "SELECT '   ', \
      relname, pg_table_size(oid) / 1048576 || ' MiB', \
      pg_table_size(oid) / $USERS || ' B/acct' FROM pg_class WHERE relkind IN ('r', 'i') \
      AND relnamespace = 'public'::regnamespace AND pg_table_size(oid) > 1048576 \
      ORDER BY pg_table_size(oid) DESC" -c "SELECT '   accounts: inserted', n_tup_ins, \
      'updated', n_tup_upd, 'hot', n_tup_hot_upd, 'live', n_live_tup, 'dead', n_dead_tup \
      FROM pg_stat_user_tables WHERE relname = 'accounts'"
  fi
}

sync_counts() { # binary; a sync's written counts
  "$1" sync storage --no-pacing --output json >"$WORK/run.json"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); u=r['counts']['users']; \
print(f\"  sync: {r['status']} in {r['duration_ms']/1000:.1f} s; users added={u['added']} changed={u['changed']} unchanged={u['unchanged']}\")" "$WORK/run.json"
}

for backend in sqlite postgres; do
  export AVIARY_DATA__DIR="$WORK/data-$backend"
  if [ "$backend" = postgres ]; then
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB" >/dev/null
    export AVIARY_DATABASE__URL="$PG/$BENCH_DB"
    export AVIARY_SECRETS__MASTER_KEY=$(head -c 32 /dev/urandom | base64)
  else
    unset AVIARY_DATABASE__URL AVIARY_SECRETS__MASTER_KEY
  fi
  FIRST="${BASELINE:-$BIN}"
  echo "$APP_SECRET" | "$FIRST" integration add --label storage --app-id "$APP_ID" --base-url "$BASE_URL" --app-secret-stdin >/dev/null 2>&1
  echo "== $backend: $USERS users / $DEPARTMENTS departments synced by $FIRST"
  sync_counts "$FIRST"
  sizes "$backend"
  if [ -n "$BASELINE" ]; then
    echo "== $backend: upgraded by $BIN"
    start=$(date +%s.%N)
    "$BIN" integration list >/dev/null
    echo "  migration (with the compaction after it): $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)") s"
    sizes "$backend"
    if [ "$backend" = sqlite ]; then
      # On a copy: VACUUM may renumber the rowids the search index is keyed by.
      sqlite3 "$AVIARY_DATA__DIR/aviary.db" "VACUUM INTO '$WORK/vacuumed.db'"
      echo "  a VACUUMed copy: $(( $(stat -c %s "$WORK/vacuumed.db") / 1024 / 1024 )) MiB = $(( $(stat -c %s "$WORK/vacuumed.db") / USERS )) B per account"
    fi
    echo "== $backend: unchanged resync after the upgrade (must write no account)"
    sync_counts "$BIN"
  fi
done
