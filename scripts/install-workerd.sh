#!/usr/bin/env bash
# Installs workerd, Cloudflare's open-source Workers runtime, from npm into a
# cache outside the repository (once), and prints the path of its binary.
# benches/compare/run.sh and scripts/wpt-workerd.sh use it.
#
#   workerd="$(scripts/install-workerd.sh)"
#
# The cache is $MOTU_COMPARE_CACHE (default ~/.cache/motu-compare); the
# package lands in its npm/ directory. Needs npm.
set -euo pipefail

cache="${MOTU_COMPARE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/motu-compare}"
binary="$cache/npm/node_modules/.bin/workerd"

if [ ! -x "$binary" ]; then
  command -v npm >/dev/null || { echo "install-workerd.sh: npm is missing" >&2; exit 1; }
  mkdir -p "$cache/npm"
  echo "installing workerd from npm into $cache/npm" >&2
  npm install --prefix "$cache/npm" --no-audit --no-fund workerd >&2
fi
echo "$binary"
