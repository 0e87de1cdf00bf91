#!/usr/bin/env bash
# motu next to workerd on the web-platform-tests, in one run: the files the
# motu runner selects, each run on every motu engine (QuickJS and V8) and on
# workerd with the same shim and scripts; prints pass / total per directory
# and writes tests/wpt/PEERS.md.
#
#   scripts/wpt-workerd.sh               # all files; writes tests/wpt/PEERS.md
#   scripts/wpt-workerd.sh streams url   # only files whose path has these
#
# Installs workerd from npm into a cache outside the repository
# (scripts/install-workerd.sh), builds motu-wpt with V8 (release; set
# MOTU_WPT_PROFILE=dev to reuse a debug build), then runs
# `motu-wpt --workerd <binary>`. Needs npm, the WPT subset
# (scripts/fetch-wpt.sh) and libnode (scripts/fetch-libnode.sh or
# MOTU_LIBNODE_PREFIX).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$(date +%s)

workerd="$("$repo/scripts/install-workerd.sh")"
profile="${MOTU_WPT_PROFILE:-release}"

echo "building motu-wpt ($profile, QuickJS and V8)" >&2
(cd "$repo" && cargo build -p motu-wpt --profile "$profile" --features v8 >&2)
target="${CARGO_TARGET_DIR:-$repo/target}"
dir="$profile"
[ "$profile" = dev ] && dir=debug

"$target/$dir/motu-wpt" --quiet --workerd "$workerd" "$@"
echo "wpt-workerd.sh: $(( $(date +%s) - started )) s in all" >&2
