#!/usr/bin/env bash
# Proves that vendor/sqlx-core is the published sqlx-core 0.9.0 plus vendor/sqlx-core.patch and
# nothing else (vendor/README.md, docs/adr/0004-vendored-sqlx-core-nodelay.md). Takes the
# published crate from Cargo's download cache when it is there, else from static.crates.io,
# checks its SHA-256 against the one pinned below (crates.io's index `cksum` for sqlx-core
# 0.9.0), unpacks it into a temporary directory, applies the patch and compares the result with
# the vendored copy file for file. Fails naming every difference.
#
# Usage: scripts/check-vendor-patch.sh            check (CI runs this from scripts/test.sh)
#        scripts/check-vendor-patch.sh --update   rewrite vendor/sqlx-core.patch from the
#                                                 vendored copy, then check
set -euo pipefail
cd "$(dirname "$0")/.."

CRATE=sqlx-core
VERSION=0.9.0
SHA256=05b44e85bf579a8eeb4ceaa77a3a523baf2bf0e9bac7e40f405d537b5d2d5ccb
VENDORED=vendor/sqlx-core
PATCH=vendor/sqlx-core.patch
# Files of the published crate that the vendored copy leaves out (vendor/README.md says why).
LEFT_OUT=(Cargo.lock)

fail() {
  echo "check-vendor-patch: $*" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The published crate: Cargo's cache, else crates.io (bounded in time and size).
crate_file="$work/$CRATE-$VERSION.crate"
shopt -s nullglob
cached=("${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$CRATE-$VERSION.crate")
shopt -u nullglob
if [ "${#cached[@]}" -gt 0 ]; then
  source_of_crate=${cached[0]}
  cp "$source_of_crate" "$crate_file"
else
  source_of_crate="https://static.crates.io/crates/$CRATE/$CRATE-$VERSION.crate"
  curl -sSfL --proto '=https' --retry 2 --max-time 120 --max-filesize 10000000 \
    -o "$crate_file" "$source_of_crate" \
    || fail "cannot download $source_of_crate (offline? put $CRATE-$VERSION.crate under ~/.cargo/registry/cache/<registry>/ and run again)"
fi
actual=$(sha256sum "$crate_file" | awk '{print $1}')
[ "$actual" = "$SHA256" ] \
  || fail "$source_of_crate has SHA-256 $actual, not $SHA256 (crates.io's checksum of $CRATE $VERSION)"

published="$work/published"
mkdir "$published"
tar -xzf "$crate_file" -C "$published" --strip-components=1
for file in "${LEFT_OUT[@]}"; do rm -f "$published/$file"; done

if [ "${1:-}" = "--update" ]; then
  # A unified diff with a/ and b/ paths and no timestamps, so that it only changes with the code.
  mkdir "$work/diff"
  cp -R "$published" "$work/diff/a"
  cp -R "$VENDORED" "$work/diff/b"
  (cd "$work/diff" && LC_ALL=C diff -ruN a b || [ $? -eq 1 ]) \
    | sed -E 's/^((---|\+\+\+) [ab]\/[^\t]*)\t.*$/\1/' >"$PATCH"
  echo "wrote $PATCH"
elif [ $# -gt 0 ]; then
  fail "unknown argument $1 (usage: $0 [--update])"
fi

if command -v patch >/dev/null 2>&1; then
  patch -d "$published" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch --reject-file=- --silent <"$PATCH" \
    || fail "$PATCH does not apply cleanly to the published $CRATE $VERSION"
else
  (cd "$published" && git apply -p1 --whitespace=nowarn -) <"$PATCH" \
    || fail "$PATCH does not apply cleanly to the published $CRATE $VERSION"
fi

if ! differences=$(LC_ALL=C diff -r "$published" "$VENDORED"); then
  sed "s#$published#published+patch#g" <<<"$differences" >&2
  fail "$VENDORED is not the published $CRATE $VERSION plus $PATCH (differences above). Undo the change, or record it in the patch with: $0 --update"
fi
echo "vendored $CRATE equals the published $VERSION (sha256 $SHA256) plus $PATCH"
