#!/usr/bin/env bash
# The dependency rule (docs/architecture.md, "Dependency rule"; ADR 0001): the domain depends on
# no other workspace crate and on no I/O framework. Fails listing the offending crates.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -p aviary-domain -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
forbidden='^(aviary-.*|sea-orm.*|sqlx.*|actix.*|reqwest|hyper.*|tokio|axum.*|tower.*|mockall)$'
bad=$(grep -v '^aviary-domain$' <<<"$tree" | grep -E "$forbidden" || true)
if [ -n "$bad" ]; then
  echo "domain dependency rule violated: aviary-domain depends on" >&2
  echo "$bad" >&2
  exit 1
fi
echo "domain dependency rule holds ($(wc -l <<<"$tree") crates, none of them I/O frameworks or other workspace crates)"

# The apps reach the adapters only through the composition root (aviary-wiring): neither names
# an adapter crate among its own dependencies.
for app in aviary-app-http aviary-app-cli; do
  direct=$(cargo tree -p "$app" -e normal --depth 1 --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  bad=$(grep -E '^aviary-adapters-(db|lark)$' <<<"$direct" || true)
  if [ -n "$bad" ]; then
    echo "composition rule violated: $app depends directly on" >&2
    echo "$bad" >&2
    exit 1
  fi
done
echo "the apps reach the adapters only through aviary-wiring"
