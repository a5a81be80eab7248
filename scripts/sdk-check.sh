#!/usr/bin/env bash
# Drives the simulator with Lark's official Python SDK (tests/sdk/lark_sdk_check.py): every call
# the SDK makes the way Lark's own samples make it must succeed, and the counts it sees must match
# the simulated tenant. Runs twice: default page sizes, and pages of 3 (page tokens everywhere).
# Needs the debug `aviary` binary (cargo build --bins) and python3 with venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/debug/aviary"
python="$(bash scripts/install-lark-sdk.sh)"
log="$(mktemp)"
"$bin" simulator --port 0 >"$log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q '^App Secret:' "$log" && break; sleep 0.1; done
base_url="$(awk '/^Base URL:/ {print $3}' "$log")"
app_id="$(awk '/^App ID:/ {print $3}' "$log")"
AVIARY_SIM_APP_SECRET="$(awk '/^App Secret:/ {print $3}' "$log")"
export AVIARY_SIM_APP_SECRET
[ -n "$base_url" ] || { echo "the simulator did not start:" >&2; cat "$log" >&2; exit 1; }
"$python" tests/sdk/lark_sdk_check.py --base-url "$base_url" --app-id "$app_id" >/dev/null
"$python" tests/sdk/lark_sdk_check.py --base-url "$base_url" --app-id "$app_id" --page-size 3 >/dev/null
