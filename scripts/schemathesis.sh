#!/usr/bin/env bash
# Schemathesis against the JSON API of a running Aviary (the demo: a simulated tenant, synced),
# once with a key of each scope. Every response must be documented, conform to the OpenAPI
# document and never be a 5xx; no response may carry a canary secret; and the runs with the
# `read` and `sync` keys must not change the integrations (nor, with `read`, start any run).
#
# Needs the aviary binary (AVIARY_BIN, default target/debug/aviary) and Python 3; installs
# schemathesis into a virtualenv under the build directory. Usage: scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${AVIARY_BIN:-${CARGO_TARGET_DIR:-target}/debug/aviary}
VENV=$(realpath -m "${SCHEMATHESIS_VENV:-${CARGO_TARGET_DIR:-target}/schemathesis-venv}")
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-25}
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "installing schemathesis into $VENV…"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5'
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export AVIARY_DATA__DIR="$WORK/data"
export AVIARY_HTTP__API_REQUESTS_PER_MINUTE=1000000
# Registrations the fuzzer sends are checked against Lark (or whatever base URL it made up):
# fail fast instead of retrying.
export AVIARY_LARK__CONNECT_TIMEOUT_SECS=1 AVIARY_LARK__REQUEST_TIMEOUT_SECS=2 AVIARY_LARK__MAX_RETRIES=0
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" demo --users 40 --departments 6 --port "$PORT" >"$WORK/demo.out" 2>"$WORK/demo.err" &
SERVER_PID=$!
for _ in $(seq 1 120); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/demo.err"; exit 1; }
  sleep 0.5
done

# A canary integration whose App Secret must never come back.
CANARY="canary-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
echo "$CANARY" | AVIARY_LARK__ALLOW_CUSTOM_BASE_URL=true "$BIN" integration add --label canary \
  --app-id cli_a1b2c3d4e5f6a7b8 --base-url https://127.0.0.1:9 --no-verify --app-secret-stdin >/dev/null
key() { "$BIN" key create --name "schemathesis $1" --scope "$1" --output json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }
READ=$(key read); SYNC=$(key sync); MANAGE=$(key manage)
export AVIARY_CANARIES="$CANARY,$READ,$SYNC,$MANAGE"
export PYTHONPATH="$PWD/scripts/schemathesis" SCHEMATHESIS_HOOKS=aviary_checks

# What a registration, change or deletion alters (not the status: a sync key's syncs move it).
snapshot() {
  "$BIN" integration list --output json | python3 -c '
import json, sys
print(json.dumps(sorted((i["id"], i["label"], i.get("base_url"), i.get("app_id"), i.get("sync_interval_minutes"), i.get("enabled")) for i in json.load(sys.stdin))))'
}
runs() { "$BIN" runs list -i demo --limit 500 --output json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# Every check but two. `positive_data_acceptance`: a request the document allows may still be
# refused for what no schema can say — a cursor must be one the API handed out, a label must be
# unique and not blank, credentials must be ones Lark accepts, a read key may not change anything
# — and such refusals are documented 4xx answers, which the status and schema checks hold to the
# document. `not_a_server_error` is replaced by aviary_checks.no_server_fault, which also fails
# on every 5xx but a documented 502 saying the upstream (Lark, or the base URL a registration
# made up) could not be reached.
fuzz() { # scope key
  local scope=$1 key=$2
  echo "== schemathesis with the $scope key"
  # From the scratch directory: schemathesis keeps a cache of failures in `.schemathesis/`.
  (cd "$WORK" && "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --header "Authorization: Bearer $key" --checks all --exclude-checks positive_data_acceptance,not_a_server_error \
    --max-examples "$EXAMPLES" --workers 1 --seed 1 --no-color --request-timeout 10 \
    --generation-database none)
}

before=$(snapshot); runs_before=$(runs)
fuzz read "$READ"
[ "$(snapshot)" = "$before" ] || { echo "the read key changed the integrations"; exit 1; }
[ "$(runs)" = "$runs_before" ] || { echo "the read key started a run"; exit 1; }
fuzz sync "$SYNC"
[ "$(snapshot)" = "$before" ] || { echo "the sync key changed the integrations"; exit 1; }
fuzz manage "$MANAGE"
echo "schemathesis: every scope conformed"
