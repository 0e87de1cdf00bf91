#!/usr/bin/env bash
# Installs redis-server (Debian's package), which the cluster tests start on
# loopback ports of their own (tests/common/redis.rs) and the KV benchmark
# uses. Nothing happens when it is already installed; as root it is
# installed with apt-get, otherwise the script says how. The package's own
# service is not needed (the tests start their servers): it is left as
# Debian sets it up.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-redis: installing redis-server with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools
else
  echo "install-redis: redis-server is missing (as root: apt-get install redis-server)" >&2
  exit 1
fi
