#!/usr/bin/env bash
# Tally next to DuckDB and SQLite on the same data, in one go: builds tally-bench, makes (or reuses) the peer kit's
# dataset and virtualenv, runs the three engines and prints the comparison table (Tally, DuckDB, SQLite, ratio to
# the best peer). Arguments go to the kit's side_by_side.sh, e.g.:
#   Benchmarks/compare.sh --scale 0.2            # 2M points, a few seconds once cached
#   Benchmarks/compare.sh --repeat 3 --scan-ingest
# The kit lives in shared/bench beside the checkout (set TALLY_PEER_KIT to use another copy).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kit="${TALLY_PEER_KIT:-$root/../shared/bench}"
[ -x "$kit/side_by_side.sh" ] || { echo "no peer kit at $kit (set TALLY_PEER_KIT)" >&2; exit 2; }
cd "$root"
exec "$kit/side_by_side.sh" "$@"
