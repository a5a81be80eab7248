#!/usr/bin/env bash
# Checks the systemd units in deploy/ with `systemd-analyze verify`, their ExecStart pointed at
# the binaries just built (verify wants the executables to exist). Skipped, saying so, where
# systemd-analyze is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze is not installed: the units in deploy/ were not verified"
  exit 0
fi
bin="$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)"
units=$(mktemp -d)
trap 'rm -rf "$units"' EXIT
for unit in deploy/*.service; do
  sed -e "s|/usr/local/bin/aviary-server|$bin/aviary-server|" \
      -e "s|/usr/local/bin/aviary |$bin/aviary |" "$unit" >"$units/$(basename "$unit")"
done
# Any finding, warnings included, fails the check.
findings=$(systemd-analyze verify "$units"/*.service 2>&1) || { echo "$findings" >&2; exit 1; }
if [ -n "$findings" ]; then
  echo "$findings" >&2
  exit 1
fi
echo "deploy/*.service verified"
