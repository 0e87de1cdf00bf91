#!/usr/bin/env bash
# Installs MariaDB (Debian's `mariadb-server` package), whose server the
# MySQL driver tests (tests/mysql.rs) run as instances of their own on free
# loopback ports (tests/common/mariadb.rs: mariadb-install-db in a temporary
# folder, mariadbd started and stopped by the test). Nothing happens when it
# is already installed; as root it is installed with apt-get, otherwise the
# script says how. The package's own service is not needed: it is left as
# Debian sets it up.
set -euo pipefail

if [ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-mariadb: installing mariadb-server with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server
else
  echo "install-mariadb: mariadb-server is missing (as root: apt-get install mariadb-server)" >&2
  exit 1
fi
