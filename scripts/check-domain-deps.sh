#!/usr/bin/env bash
# The dependency rule of DESIGN.md §2: the domain depends on no other workspace crate and on no
# I/O framework. Fails listing the offending crates.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -p aviary-domain -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
forbidden='^(aviary-adapters-lark|aviary-lark-simulator|aviary-adapters-db|aviary-app-http|aviary-app-cli|aviary-tests|sea-orm.*|sqlx.*|actix.*|reqwest|hyper.*|tokio|axum.*|tower.*|mockall)$'
bad=$(grep -E "$forbidden" <<<"$tree" || true)
if [ -n "$bad" ]; then
  echo "domain dependency rule violated: aviary-domain depends on" >&2
  echo "$bad" >&2
  exit 1
fi
echo "domain dependency rule holds ($(wc -l <<<"$tree") crates, none of them I/O frameworks or other workspace crates)"
