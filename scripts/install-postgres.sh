#!/usr/bin/env bash
# Installs PostgreSQL (Debian's `postgresql` package), which the database
# driver tests (tests/postgres.rs) run as clusters of their own on free
# loopback ports (tests/common/postgres.rs: initdb in a temporary folder,
# pg_ctl to start and stop). Nothing happens when it is already installed;
# as root it is installed with apt-get, otherwise the script says how. The
# package's own cluster and service are not needed: they are left as Debian
# sets them up.
set -euo pipefail

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-postgres: installing postgresql with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
else
  echo "install-postgres: postgresql is missing (as root: apt-get install postgresql)" >&2
  exit 1
fi
