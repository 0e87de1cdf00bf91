#!/usr/bin/env bash
# Fetches the V8 that Debian ships inside libnode (Node 18's V8 10.2), with
# its headers and the libraries it needs, and unpacks them into a
# project-local prefix without installing anything system-wide.
#
#   scripts/fetch-libnode.sh            # into ./.libnode
#   MOTU_LIBNODE_PREFIX=/opt/libnode scripts/fetch-libnode.sh
#
# engines/v8/build.rs looks in $MOTU_LIBNODE_PREFIX, then ./.libnode, then /usr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${MOTU_LIBNODE_PREFIX:-$root/.libnode}"
packages=(libnode108 libnode-dev libuv1 libuv1-dev libc-ares2)

if [ -f "$prefix/usr/include/node/v8.h" ] && [ -e "$prefix/usr/lib/x86_64-linux-gnu/libnode.so" ]; then
  echo "libnode is already unpacked in $prefix"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get is missing; libnode comes from Debian's packages ($(IFS=' '; echo "${packages[*]}"))" >&2
  exit 1
fi

download_dir="$(mktemp -d)"
chmod 755 "$download_dir"  # apt downloads as the _apt user when it can
trap 'rm -rf "$download_dir"' EXIT

# On a fresh machine the package lists may be empty; refresh them when we can.
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
elif ! apt-cache show libnode108 >/dev/null 2>&1; then
  echo "error: apt's package lists do not know libnode108; run 'sudo apt-get update' first" >&2
  exit 1
fi

(cd "$download_dir" && apt-get download -qq "${packages[@]}")

mkdir -p "$prefix"
for deb in "$download_dir"/*.deb; do
  dpkg-deb -x "$deb" "$prefix"
done

if [ ! -f "$prefix/usr/include/node/v8.h" ]; then
  echo "error: the packages did not contain usr/include/node/v8.h" >&2
  exit 1
fi
echo "libnode unpacked into $prefix"
