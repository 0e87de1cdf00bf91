#!/usr/bin/env bash
# Installs the npm packages of the test projects under tests/projects (each
# folder with a package-lock.json) with `npm ci`, as pinned by the lock file.
# A project whose node_modules already matches its lock file is skipped, so
# a second run does nothing; npm's cache (~/.npm) makes a reinstall work
# offline. Node.js itself runs in tests too: tests/partyserver.rs drives
# the partyserver project's Yjs editor (client/editor.mjs, with the project's
# `ws` devDependency, which `npm ci` installs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-test-projects: installing nodejs and npm with apt-get"
    apt-get update -qq && apt-get install -y -qq nodejs npm
  else
    echo "install-test-projects: npm is missing (as root: apt-get install nodejs npm)" >&2
    exit 1
  fi
fi

# The cluster tests' redis-server.
scripts/install-redis.sh
# The database driver tests' PostgreSQL.
scripts/install-postgres.sh
# The MySQL driver tests' MariaDB.
scripts/install-mariadb.sh

for lock in tests/projects/*/package-lock.json; do
  dir=$(dirname "$lock")
  stamp="$dir/node_modules/.motu-installed"
  # npm ci writes node_modules/.package-lock.json; the stamp records which
  # lock file the installed tree came from.
  if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
    continue
  fi
  echo "install-test-projects: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  cp "$lock" "$stamp"
done
