#!/usr/bin/env bash
# Installs Lark's official Python SDK (lark-oapi, pinned with hashes in
# tests/sdk/requirements-lark-oapi.txt) into a virtualenv outside the clone and prints the
# venv's python. Used by scripts/test.sh for the SDK check (tests/sdk/lark_sdk_check.py).
#
#   LARK_SDK_CACHE=/var/tmp/aviary-lark-sdk bash scripts/install-lark-sdk.sh
#
# A stamp with the requirements' sha256 marks a complete venv, so a warm run costs nothing and
# needs no network. Wheels are cached next to it. When the pinned hashes do not fit this
# machine's Python (they were resolved for CPython 3.11 on x86_64), the same versions are
# installed without hashes, with a warning.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$here/tests/sdk/requirements-lark-oapi.txt"
cache="${LARK_SDK_CACHE:-/var/tmp/aviary-lark-sdk}"
py="${PYTHON:-python3}"

version="$(sed -n 's/^lark-oapi==\([^ ]*\).*/\1/p' "$req")"
pyver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
venv="$cache/lark-oapi-$version-py$pyver"
wheels="$cache/wheels"
stamp="$venv/.complete"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$venv/bin/python"
    exit 0
fi

mkdir -p "$cache" "$wheels"
rm -rf "$venv.tmp"
if ! "$py" -m venv "$venv.tmp" >&2; then
    # Debian's python3 ships venv separately.
    echo "lark-oapi: installing python3-venv" >&2
    sudo_if_needed=()
    if [ "$(id -u)" -ne 0 ]; then sudo_if_needed=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo_if_needed[@]}" apt-get install -y --no-install-recommends python3-venv >&2 \
        || { "${sudo_if_needed[@]}" apt-get update >&2 \
             && DEBIAN_FRONTEND=noninteractive "${sudo_if_needed[@]}" apt-get install -y --no-install-recommends python3-venv >&2; }
    rm -rf "$venv.tmp"
    "$py" -m venv "$venv.tmp" >&2
fi
pip=("$venv.tmp/bin/python" -m pip --disable-pip-version-check --no-input -q)

if ! "${pip[@]}" install --no-index --find-links "$wheels" --require-hashes -r "$req" >&2 2>/dev/null; then
    echo "lark-oapi: downloading $version and its dependencies" >&2
    if "${pip[@]}" download --retries 3 --timeout 60 --require-hashes -d "$wheels" -r "$req" >&2; then
        "${pip[@]}" install --no-index --find-links "$wheels" --require-hashes -r "$req" >&2
    else
        echo "lark-oapi: the pinned hashes do not fit this Python; installing the same versions without hashes" >&2
        sed 's/ --hash=.*//' "$req" | grep -v '^#' > "$cache/requirements-unhashed.txt"
        "${pip[@]}" install --retries 3 --timeout 60 -r "$cache/requirements-unhashed.txt" >&2
    fi
fi

"$venv.tmp/bin/python" -c 'import lark_oapi' >&2
echo "$want" > "$venv.tmp/.complete"
rm -rf "$venv"
mv "$venv.tmp" "$venv"
echo "$venv/bin/python"
