#!/usr/bin/env bash
# Fetches the web-platform-tests (WPT) subset motu's conformance runner uses,
# offline from the machine's Debian mirror: Firefox vendors the whole WPT
# under testing/web-platform/tests, so the orig tarball of Debian's
# firefox-esr source package carries it.
#
#   scripts/fetch-wpt.sh                       # into ./.wpt
#   MOTU_WPT_DIR=/tmp/wpt scripts/fetch-wpt.sh
#
# apt runs with a private configuration (its own sources list with deb-src
# lines for this machine's Debian release, its own lists and cache
# directories), so nothing under /etc or /var changes and it works as root
# and as an ordinary user. The tarball (~550 MB) is kept in
# $MOTU_WPT_CACHE (default ~/.cache/motu/wpt); only the test directories the
# runner needs, the harness and the files those tests import are extracted
# (a few tens of MB). Running it again once that is done does nothing.
#
# The firefox-esr version the expectations in tests/wpt were made with is
# downloaded when the mirror has it, else the newest one it has
# (MOTU_WPT_FIREFOX_VERSION=<debian version> asks for another).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${MOTU_WPT_DIR:-$root/.wpt}"
cache="${MOTU_WPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/motu/wpt}"
mirror="${MOTU_WPT_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${MOTU_WPT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
pinned="${MOTU_WPT_FIREFOX_VERSION:-140.12.0esr-1~deb12u1}"

# What to extract: the WPT directories the runner selects from (the SUBSET
# in crates/wpt/src/select.rs, with the helpers next to them), the harness,
# and the shared files the tests import. Files the tests import from
# elsewhere are found after extraction and fetched in a second pass.
paths=(
  url
  encoding
  fetch/api/headers fetch/api/request fetch/api/response fetch/api/body
  fetch/api/basic fetch/api/abort fetch/api/resources
  fetch/data-urls
  streams
  dom/events dom/abort
  html/webappapis/atob html/webappapis/structured-clone
  html/webappapis/timers html/webappapis/microtask-queuing
  WebCryptoAPI
  compression
  FileAPI/blob FileAPI/support
  xhr/formdata xhr/resources
  hr-time
  console
  common
  resources/testharness.js resources/idlharness.js resources/webidl2/lib/webidl2.js
  interfaces
)
stamp_version=1

log() { echo "fetch-wpt: $*" >&2; }

done_already() {
  [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$stamp_version" ]
}

if done_already; then
  log "the WPT subset is already in $dest ($(cat "$dest/SOURCE" 2>/dev/null || echo '?'))"
  exit 0
fi

for tool in apt-get tar xz; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "error: $tool is missing"
    exit 1
  fi
done

# --- 1. the orig tarball, through a private apt configuration --------------

codename="${MOTU_WPT_DEBIAN_RELEASE:-}"
if [ -z "$codename" ] && [ -r /etc/os-release ]; then
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
fi
if [ -z "$codename" ]; then
  log "error: cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release); set MOTU_WPT_DEBIAN_RELEASE"
  exit 1
fi

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" "$cache/download"
signed=""
[ -r "$keyring" ] && signed=" [signed-by=$keyring]"
cat >"$apt_dir/sources.list" <<SOURCES
deb-src$signed $mirror $codename main
deb-src$signed $mirror $codename-updates main
deb-src$signed $security_mirror $codename-security main
SOURCES

apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::State::status=/dev/null"
  -o "Debug::NoLocking=1"
)
# As root, apt would download as its unprivileged _apt user, which cannot
# write into root's home; the files are checked against the signed index
# either way.
if [ "$(id -u)" = 0 ]; then
  apt_opts+=(-o "APT::Sandbox::User=root")
fi

tarball() {
  # The main orig tarball (not the orig-<component> ones).
  compgen -G "$cache/download/firefox-esr_*.orig.tar.xz" | sort -V | tail -n 1
}

if [ -z "$(tarball || true)" ]; then
  log "refreshing the private source lists for $codename (apt-get update)"
  apt-get "${apt_opts[@]}" -qq update
  mapfile -t versions < <(apt-cache "${apt_opts[@]}" showsrc firefox-esr |
    awk '/^Version:/ { print $2 }' | sort -Vru)
  if [ "${#versions[@]}" = 0 ]; then
    log "error: the $codename sources have no firefox-esr"
    exit 1
  fi
  # The version the committed expectations were made with comes first, then
  # the newest (an index may list a version its mirror no longer has).
  candidates=()
  for v in "${versions[@]}"; do
    [ "$v" = "$pinned" ] && candidates+=("$v")
  done
  for v in "${versions[@]}"; do
    [ "$v" != "$pinned" ] && candidates+=("$v")
  done
  [ "${candidates[0]}" = "$pinned" ] ||
    log "warning: firefox-esr $pinned is not offered; the results may differ from the expectations"
  for v in "${candidates[@]}"; do
    log "downloading the source of firefox-esr $v into $cache/download"
    if (cd "$cache/download" && apt-get "${apt_opts[@]}" -qq source --download-only --only-source "firefox-esr=$v") 2>"$cache/apt-source.log"; then
      break
    fi
    log "warning: firefox-esr $v could not be downloaded: $(grep -m1 -E '^(E|Err):' "$cache/apt-source.log" || tail -n 1 "$cache/apt-source.log")"
    rm -f "$cache/download"/firefox-esr_*
  done
  # Only the main tarball is needed; the localisations go.
  rm -f "$cache/download"/firefox-esr_*.orig-*.tar.*
fi
tar_path="$(tarball || true)"
if [ -z "$tar_path" ]; then
  log "error: apt-get source left no firefox-esr_*.orig.tar.xz in $cache/download"
  exit 1
fi
log "using $tar_path"

# --- 2. extract the subset ---------------------------------------------------

# Members are named firefox-<version>/testing/web-platform/tests/<path>;
# with --no-wildcards-match-slash the leading * matches the top folder only.
prefix='firefox-*/testing/web-platform/tests/'
extract() { # extract <into> <path>...
  local into="$1"
  shift
  local patterns=() p
  for p in "$@"; do patterns+=("$prefix$p"); done
  # Decompressing the whole tarball takes about a minute.
  tar -xJf "$tar_path" -C "$into" --wildcards --no-wildcards-match-slash \
    --strip-components=4 --no-same-owner "${patterns[@]}"
}

# The META: script= files of the extracted tests (absolute WPT paths, or
# relative to the test) that are not there yet.
missing_imports() {
  local root="$1"
  (cd "$root" && grep -rE --include='*.js' '^// META: *script=' . || true) |
    while IFS= read -r line; do
      local file="${line%%:*}" url="${line#*script=}"
      file="${file#./}"
      url="${url%%\?*}"
      url="${url%$'\r'}"
      case "$url" in
        /resources/WebIDLParser.js) continue ;; # served from resources/webidl2
        /*) path="${url#/}" ;;
        *) path="$(dirname "$file")/$url" ;;
      esac
      path="$(realpath -m --relative-to=/ "/$path")"
      [ -e "$root/$path" ] || echo "$path"
    done | sort -u
}

staging="$(mktemp -d "${dest%/}.partial.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
log "extracting the WPT subset into $dest (about a minute)"
extract "$staging" "${paths[@]}" || log "warning: some of the subset is not in this tarball"
if [ ! -f "$staging/resources/testharness.js" ]; then
  log "error: $tar_path has no testing/web-platform/tests/resources/testharness.js"
  exit 1
fi
mapfile -t more < <(missing_imports "$staging")
if [ "${#more[@]}" -gt 0 ]; then
  log "extracting ${#more[@]} more imported files: ${more[*]}"
  extract "$staging" "${more[@]}" || log "warning: some imported files are not in the tarball"
fi
version="$(basename "$tar_path" .orig.tar.xz)"
echo "${version/_/ } (testing/web-platform/tests of the Debian source package)" >"$staging/SOURCE"
echo "$stamp_version" >"$staging/.complete"
rm -rf "$dest"
mv "$staging" "$dest"
trap - EXIT
log "the WPT subset is in $dest ($(du -sh "$dest" | cut -f1))"
