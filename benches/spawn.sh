#!/usr/bin/env bash
# Process spawn to first response: spawns `motu serve` RUNS times per
# engine (pinned to core 0, as benches/compare/run.sh does) and prints the
# median, p90, p99 and minimum time to the first 200 answer to GET /.
#
#   benches/spawn.sh                          # builds release with V8, 50 runs
#   RUNS=100 benches/spawn.sh
#   ENGINES=quickjs benches/spawn.sh
#   benches/spawn.sh /tmp/motu-before         # also that binary, runs interleaved
#
# Extra arguments are other motu binaries to compare against the one just
# built: their runs are interleaved with its runs, so that the noise of a
# shared machine falls on all alike. Needs python3 and taskset's affinity
# (Linux); V8 needs scripts/fetch-libnode.sh run once (or MOTU_LIBNODE_PREFIX).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
echo "building motu (release, QuickJS and V8)" >&2
(cd "$repo" && cargo build --release --features v8 --bin motu >&2)
target="${CARGO_TARGET_DIR:-$repo/target}"

args=(--motu "$target/release/motu")
for other in "$@"; do
  args+=(--motu "$other")
done
exec python3 "$repo/benches/compare/spawn.py" "${args[@]}" \
  --workers "$repo/benches/workers" \
  --workload "${WORKLOAD:-hello}" \
  --engines "${ENGINES:-quickjs,v8}" \
  --runs "${RUNS:-50}"
