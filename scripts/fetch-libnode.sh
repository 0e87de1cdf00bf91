#!/usr/bin/env bash
# Fetches the V8 that Debian ships inside libnode (Node 18's V8 10.2), with
# its headers and the libraries libnode needs, and unpacks them into a
# project-local prefix. Nothing is installed system-wide: a plain
# `apt-get install libnode-dev` conflicts with an installed Node.js.
#
#   scripts/fetch-libnode.sh                                 # into ./.libnode
#   MOTU_LIBNODE_PREFIX=/opt/libnode scripts/fetch-libnode.sh
#
# engines/v8/build.rs looks in $MOTU_LIBNODE_PREFIX, then ./.libnode, then
# /usr. Running it again once everything is unpacked does nothing.
#
# The packages are Debian 12 (bookworm)'s; other releases ship another
# libnode (and V8) under another package name.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${MOTU_LIBNODE_PREFIX:-$root/.libnode}"
packages=(libnode108 libnode-dev libuv1 libuv1-dev libc-ares2)

unpacked() {
  [ -f "$prefix/usr/include/node/v8.h" ] || return 1
  local lib
  for lib in libnode.so libuv.so.1 libcares.so.2; do
    compgen -G "$prefix/usr/lib/*/$lib" >/dev/null || return 1
  done
}

if unpacked; then
  echo "libnode is already unpacked in $prefix"
  exit 0
fi

for tool in apt-get apt-cache dpkg-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is missing; libnode comes from Debian's packages (${packages[*]})" >&2
    exit 1
  fi
done

# On a fresh machine the package lists may be empty (or stale, so that a
# download would fail): refresh them when we may.
if [ "$(id -u)" = 0 ]; then
  echo "refreshing apt's package lists (apt-get update)"
  apt-get update -qq
elif ! apt-cache show libnode108 >/dev/null 2>&1; then
  cat >&2 <<'EOF'
error: apt's package lists do not know libnode108. Refresh them first, as root:

    sudo apt-get update

then run this script again (as yourself; it installs nothing).
EOF
  exit 1
fi

download_dir="$(mktemp -d)"
trap 'rm -rf "$download_dir"' EXIT
# As root, apt downloads as its unprivileged _apt user, which must be able
# to write there.
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
  chown _apt "$download_dir"
fi

echo "downloading ${packages[*]}"
if ! (cd "$download_dir" && apt-get download -qq "${packages[@]}"); then
  echo "error: apt-get download failed (is this Debian 12, whose libnode108 carries V8 10.2?)" >&2
  exit 1
fi

mkdir -p "$prefix"
for deb in "$download_dir"/*.deb; do
  dpkg-deb -x "$deb" "$prefix"
done

if ! unpacked; then
  echo "error: the packages did not contain v8.h, libnode.so, libuv and libcares" >&2
  exit 1
fi
echo "libnode unpacked into $prefix"
