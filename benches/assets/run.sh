#!/usr/bin/env bash
# Static assets: motu's asset server against nginx (Debian's package), the
# static file server a user would otherwise put in front, serving the same
# 10 KiB file on this machine in one run.
#
# Each server runs pinned to core 0 (nginx: one worker process; motu: one
# executor thread), wrk pinned to core 1, the same load for both, in
# alternating rounds; the median of each is reported with the ratio
# motu / nginx. For context, a third row has a Worker returning the same
# 10 KiB from JavaScript.
#
# The motu Worker has code (`main`) behind its assets, so the numbers are
# those of a request answered before any isolate is touched; afterwards its
# /metrics show how many requests it answered and how many events its
# isolates ran for them (none).
#
#   benches/assets/run.sh                 # 10 s per round, 3 rounds
#   DURATION=5 ROUNDS=5 benches/assets/run.sh
#
# Needs: wrk, nginx, taskset, curl and two cores; nginx and wrk are
# installed with apt-get when missing (as root).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
duration="${DURATION:-10}"
rounds="${ROUNDS:-3}"
connections="${CONNECTIONS:-32}"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} with apt-get" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done

echo "building motu (release)" >&2
(cd "$repo" && cargo build --release --bin motu >&2)
motu="${CARGO_TARGET_DIR:-$repo/target}/release/motu"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The site: one 10 KiB JavaScript file.
mkdir -p "$work/public" "$work/nginx/logs"
head -c 7680 /dev/urandom | base64 -w 64 | head -c 10240 > "$work/public/asset.js"
asset_size="$(wc -c < "$work/public/asset.js")"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx as a user would run it: Debian's mime types, sendfile, no access log.
nginx_port="$(free_port)"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/public;
  }
}
EOF
taskset -c 0 "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx.log" &
pids+=($!)

# motu: a Worker with code behind its assets, one executor thread.
cat > "$work/worker.js" <<'EOF'
const body = 'x'.repeat(10240);
export default {
  fetch() {
    return new Response(body, { headers: { 'content-type': 'text/javascript; charset=utf-8' } });
  },
};
EOF
cat > "$work/motu.toml" <<EOF
[server]
threads = 1
[admin]
listen = "127.0.0.1:0"
[[workers]]
name = "site"
main = "worker.js"
routes = ["*/*"]
[workers.assets]
directory = "public"
EOF
RUST_LOG=warn taskset -c 0 "$motu" serve --config "$work/motu.toml" --listen 127.0.0.1:0 \
  >"$work/motu.out" 2>"$work/motu.log" &
pids+=($!)

wait_for() { # FILE PATTERN: the first match once it appears
  for _ in $(seq 200); do
    if grep -qo "$2" "$1" 2>/dev/null; then grep -o "$2" "$1" | head -1; return; fi
    sleep 0.05
  done
  echo "run.sh: no '$2' in $1" >&2; cat "$1" >&2; exit 1
}
motu_addr="$(wait_for "$work/motu.out" 'motu listening on http://[0-9.:]*' | sed 's|.*http://||')"
admin_addr="$(wait_for "$work/motu.out" 'motu admin listening on http://[0-9.:]*' | sed 's|.*http://||')"
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$nginx_port/asset.js" >/dev/null && break; sleep 0.05; done

nginx_url="http://127.0.0.1:$nginx_port/asset.js"
motu_url="http://$motu_addr/asset.js"
worker_url="http://$motu_addr/from-the-worker"
for url in "$nginx_url" "$motu_url"; do
  got="$(curl -sf "$url" | wc -c)"
  [ "$got" = "$asset_size" ] || { echo "run.sh: $url gave $got bytes, not $asset_size" >&2; exit 1; }
done

# req/s of one wrk run against URL.
load() {
  taskset -c 1 wrk -t1 -c"$connections" -d"${2:-$duration}s" "$1" \
    | awk '/^Requests\/sec:/ { print $2 }'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "warming up" >&2
load "$nginx_url" 2 >/dev/null
load "$motu_url" 2 >/dev/null
load "$worker_url" 2 >/dev/null

nginx_runs=(); motu_runs=(); worker_runs=()
for round in $(seq "$rounds"); do
  nginx_runs+=("$(load "$nginx_url")")
  motu_runs+=("$(load "$motu_url")")
  echo "round $round: nginx ${nginx_runs[-1]} req/s, motu assets ${motu_runs[-1]} req/s" >&2
done
asset_requests="$(curl -s "http://$admin_addr/metrics")"
worker_runs+=("$(load "$worker_url")")

nginx_rps="$(echo "${nginx_runs[*]}" | median)"
motu_rps="$(echo "${motu_runs[*]}" | median)"
worker_rps="$(echo "${worker_runs[*]}" | median)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

sample() { # METRICS NAME LABEL: the sample's value, 0 when absent
  echo "$1" | awk -v n="$2" -v l="$3" '$1 ~ "^"n"[{]" && index($1, l) { v = $2 } END { print v + 0 }'
}
requests="$(sample "$asset_requests" motu_requests_total 'status="2xx"')"
events="$(sample "$asset_requests" motu_event_cpu_seconds_count 'worker="site"')"
event_cpu="$(sample "$asset_requests" motu_event_cpu_seconds_sum 'worker="site"')"

cat <<EOF

Static assets, $asset_size-byte file, server on core 0, wrk -t1 -c$connections on core 1,
median of $rounds x ${duration}s ($(nproc) cores; nginx $("$nginx" -v 2>&1 | sed 's|.*/||'))

| server                                   | req/s     | vs nginx |
|------------------------------------------|-----------|----------|
| nginx (1 worker process, sendfile)       | $(printf '%9.0f' "$nginx_rps") | 1.00x    |
| motu asset server (1 executor thread)    | $(printf '%9.0f' "$motu_rps") | $(ratio "$motu_rps" "$nginx_rps")x    |
| motu Worker returning the bytes from JS  | $(printf '%9.0f' "$worker_rps") | $(ratio "$worker_rps" "$nginx_rps")x    |

After the asset rounds (before the Worker row), motu's /metrics for the Worker:
  motu_requests_total{status="2xx"}     $requests   (requests answered)
  motu_event_cpu_seconds_count          $events   (events its isolates ran)
  motu_event_cpu_seconds_sum            $event_cpu   (their CPU seconds)
EOF
