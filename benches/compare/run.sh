#!/usr/bin/env bash
# Side by side: motu (QuickJS and V8) against workerd and `deno serve`, on
# the four Worker files of benches/workers, on this machine, in one run.
#
# Installs the peers into a cache outside the repository (workerd from npm
# through scripts/install-workerd.sh, Deno from PyPI), builds motu in
# release mode with V8, then runs compare.py: each server pinned to core 0,
# wrk pinned to core 1, the same load for all. Prints one table and writes
# benches/RESULTS.md.
#
#   benches/compare/run.sh                # 10 s per cell
#   DURATION=5 benches/compare/run.sh     # shorter
#   SPAWN_RUNS=50 benches/compare/run.sh  # spawns per server (default 20)
#   MANY=2000 benches/compare/run.sh      # Workers of the many-Workers phase (default 1000)
#   BUDGET=10000:2048 benches/compare/run.sh  # Workers:MiB of the memory-budget cell
#   PHASES=many,budget benches/compare/run.sh # only these phases (default: cells,spawn,isolates,many,budget);
#                                             # RESULTS.md keeps the other sections
#
# Needs: npm, python3 with pip, wrk (apt install wrk), taskset, curl, two
# cores, and scripts/fetch-libnode.sh run once (or MOTU_LIBNODE_PREFIX).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${MOTU_COMPARE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/motu-compare}"
mkdir -p "$cache"

for tool in npm python3 wrk taskset; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done

workerd="$(MOTU_COMPARE_CACHE="$cache" "$repo/scripts/install-workerd.sh")"
if [ ! -x "$cache/pypi/bin/deno" ]; then
  echo "installing deno from PyPI into $cache/pypi" >&2
  python3 -m pip install --quiet --target "$cache/pypi" deno >&2
fi

echo "building motu (release, QuickJS and V8)" >&2
(cd "$repo" && cargo build --release --features v8 --bin motu >&2)
target="${CARGO_TARGET_DIR:-$repo/target}"

exec python3 "$repo/benches/compare/compare.py" \
  --motu "$target/release/motu" \
  --workerd "$workerd" \
  --deno "$cache/pypi/bin/deno" \
  --workers "$repo/benches/workers" \
  --duration "${DURATION:-10}" \
  --connections "${CONNECTIONS:-32}" \
  --spawn-runs "${SPAWN_RUNS:-20}" \
  --phases "${PHASES:-cells,spawn,isolates,many,budget}" \
  --many "${MANY:-1000}" \
  --budget "${BUDGET:-10000:2048}" \
  --results "$repo/benches/RESULTS.md"
