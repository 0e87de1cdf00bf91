#!/usr/bin/env bash
# Installs redis-server (Debian's package; and openssl), which the cluster tests start on
# loopback ports of their own (tests/common/redis.rs) and the KV benchmark
# uses. Nothing happens when it is already installed; as root it is
# installed with apt-get, otherwise the script says how. The package's own
# service is not needed (the tests start their servers): it is left as
# Debian sets it up.
set -euo pipefail

# openssl: the TLS test makes its certificates with it.
missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server redis-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-redis: installing ${missing[*]} with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "install-redis: ${missing[*]} missing (as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
