#!/usr/bin/env bash
# The whole test suite: formatting, the domain dependency rule, the vendored sqlx-core against
# the published crate plus its patch, clippy, that aviary-server does not link the simulator, and
# every test (unit, repository suite on SQLite and PostgreSQL, simulator, end-to-end), and the
# simulator driven by Lark's official Python SDK, and schemathesis against the running API with a key
# of each scope.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL for the repository suite: start the local cluster if it is not answering.
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && break; sleep 1; done
  fi
fi

# Chromium and ChromeDriver for the headless-browser test, from Debian's packages.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing Chromium and ChromeDriver (Debian packages chromium, chromium-driver)…"
  sudo_if_needed=()
  if [ "$(id -u)" -ne 0 ]; then sudo_if_needed=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_if_needed[@]}" apt-get install -y --no-install-recommends chromium chromium-driver \
    || { "${sudo_if_needed[@]}" apt-get update \
         && "${sudo_if_needed[@]}" apt-get install -y --no-install-recommends chromium chromium-driver; }
fi

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== domain dependency rule"
scripts/check-domain-deps.sh
echo "== vendored sqlx-core equals the published crate plus vendor/sqlx-core.patch"
scripts/check-vendor-patch.sh
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build the aviary and aviary-server binaries for the end-to-end tests"
cargo build --locked --bins
echo "== aviary-server does not link the Lark simulator"
# Only the aviary binary (demo, simulator) and tests may use aviary-lark-simulator. The outputs are
# captured first so that a failing cargo tree or nm fails the script instead of passing the check.
server_deps=$(cargo tree --locked -p aviary-app-http -e normal --prefix none --format '{p}')
if grep -q '^aviary-lark-simulator ' <<<"$server_deps"; then
  echo "aviary-server must not link the simulator: aviary-lark-simulator is a normal dependency of aviary-app-http" >&2
  exit 1
fi
if command -v nm >/dev/null 2>&1; then
  server_symbols=$(mktemp)
  nm -C "${CARGO_TARGET_DIR:-target}/debug/aviary-server" >"$server_symbols"
  if grep -q 'aviary_lark_simulator' "$server_symbols"; then
    rm -f "$server_symbols"
    echo "aviary-server must not link the simulator: the binary has aviary_lark_simulator symbols" >&2
    exit 1
  fi
  rm -f "$server_symbols"
fi
echo "aviary-server does not link aviary-lark-simulator"
echo "== the systemd units in deploy/"
bash scripts/check-units.sh
echo "== Lark's official Python SDK (lark-oapi) against the simulator"
bash scripts/sdk-check.sh
echo "== tests"
cargo test --workspace --locked
echo "== schemathesis against the JSON API, with a key of each scope"
bash scripts/schemathesis.sh
