#!/usr/bin/env bash
# Installs wrangler, Cloudflare's CLI (its `wrangler dev --local` runs Workers
# on workerd through Miniflare), from npm into a cache outside the repository
# (once), and prints the path of its binary. benches/durable_objects.rs
# measures `wrangler dev` when it finds this one.
#
#   wrangler="$(scripts/install-wrangler.sh)"
#
# The cache is $MOTU_COMPARE_CACHE (default ~/.cache/motu-compare), as for
# scripts/install-workerd.sh; the package lands in its wrangler/ directory.
# Needs npm and Node.js 20 or later.
set -euo pipefail

cache="${MOTU_COMPARE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/motu-compare}"
binary="$cache/wrangler/node_modules/.bin/wrangler"

if [ ! -x "$binary" ]; then
  command -v npm >/dev/null || { echo "install-wrangler.sh: npm is missing" >&2; exit 1; }
  mkdir -p "$cache/wrangler"
  [ -f "$cache/wrangler/package.json" ] || echo '{}' >"$cache/wrangler/package.json"
  echo "installing wrangler from npm into $cache/wrangler" >&2
  npm install --prefix "$cache/wrangler" --no-audit --no-fund wrangler >&2
fi
echo "$binary"
