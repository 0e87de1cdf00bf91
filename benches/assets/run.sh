#!/usr/bin/env bash
# Static assets: motu's asset server against nginx (Debian's package), the
# static file server a user would otherwise put in front, serving the same
# 10 KiB file on this machine in one run.
#
# Each server runs pinned to core 0 (nginx: one worker process; motu: one
# executor thread), wrk pinned to core 1, the same load for both, in
# alternating rounds; the medians of req/s and of requests per CPU second
# of the server are reported with their ratios
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
# nginx's worker process runs as an unprivileged user: it must read the site.
chmod -R a+rX "$work"

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

# CPU seconds (user + system) the processes PIDS and their children have
# used so far.
cpu_of() {
  local all=("$@") ticks=0 pid
  for pid in "$@"; do all+=($(pgrep -P "$pid" || true)); done
  for pid in "${all[@]}"; do
    ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# One wrk run against URL for SECONDS, the server being PIDS:
# "req/s requests server-cpu-seconds".
load() {
  local url="$1" seconds="$2"; shift 2
  local before after out
  before="$(cpu_of "$@")"
  out="$(taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" "$url")"
  after="$(cpu_of "$@")"
  echo "$out" | awk -v c="$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" '
    /requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 } END { print r, n, c }'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per_cpu() { awk -v n="$1" -v c="$2" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }'; }

sample() { # METRICS NAME LABEL: the sample's value, 0 when absent
  echo "$1" | awk -v n="$2" -v l="$3" '$1 ~ "^"n"[{]" && index($1, l) { v = $2 } END { print v + 0 }'
}
counts() { # requests answered, events run, their CPU seconds
  local m
  m="$(curl -s "http://$admin_addr/metrics")"
  echo "$(sample "$m" motu_requests_total 'status="2xx"') $(sample "$m" motu_event_cpu_seconds_count 'worker="site"') $(sample "$m" motu_event_cpu_seconds_sum 'worker="site"')"
}

nginx_pid="${pids[0]}"
motu_pid="${pids[1]}"
echo "warming up" >&2
load "$nginx_url" 2 "$nginx_pid" >/dev/null
load "$motu_url" 2 "$motu_pid" >/dev/null

read -r requests0 events0 cpu0 <<<"$(counts)"
declare -A rps cpu_rate
for round in $(seq "$rounds"); do
  read -r r n c <<<"$(load "$nginx_url" "$duration" "$nginx_pid")"
  rps[nginx]+=" $r"; cpu_rate[nginx]+=" $(per_cpu "$n" "$c")"
  read -r r n c <<<"$(load "$motu_url" "$duration" "$motu_pid")"
  rps[motu]+=" $r"; cpu_rate[motu]+=" $(per_cpu "$n" "$c")"
  echo "round $round: req/s nginx ${rps[nginx]##* }, motu ${rps[motu]##* };" \
    "requests per CPU second nginx ${cpu_rate[nginx]##* }, motu ${cpu_rate[motu]##* }" >&2
done
read -r requests1 events1 cpu1 <<<"$(counts)"
requests="$(awk -v a="$requests1" -v b="$requests0" 'BEGIN { print a - b }')"
events="$(awk -v a="$events1" -v b="$events0" 'BEGIN { print a - b }')"
event_cpu="$(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN { printf "%.6f", a - b }')"

load "$worker_url" 2 "$motu_pid" >/dev/null
for round in $(seq "$rounds"); do
  read -r r n c <<<"$(load "$worker_url" "$duration" "$motu_pid")"
  rps[worker]+=" $r"; cpu_rate[worker]+=" $(per_cpu "$n" "$c")"
done
read -r _ events2 _ <<<"$(counts)"

for k in nginx motu worker; do
  printf -v "${k}_rps" '%s' "$(echo "${rps[$k]}" | median)"
  printf -v "${k}_cpu" '%s' "$(echo "${cpu_rate[$k]}" | median)"
done
row() {
  printf '| %-40s | %9.0f | %-8s | %9.0f | %-8s |\n' "$1" "$2" "$(ratio "$2" "$nginx_rps")x" \
    "$3" "$(ratio "$3" "$nginx_cpu")x"
}

cat <<EOF

Static assets, a $asset_size-byte file; each server pinned to core 0, wrk -t1 -c$connections
pinned to core 1; medians of $rounds rounds of ${duration}s ($(nproc) cores, load average at
the end $(cut -d' ' -f1 /proc/loadavg); nginx $("$nginx" -v 2>&1 | sed 's|.*/||')).
req/s depends on what else the machine runs; requests per CPU second (the
server's own CPU time, all its threads and processes) is what one dedicated
core would give, and the fairer ratio on a busy machine.

| server                                   | req/s     | vs nginx | req/CPU-s | vs nginx |
|------------------------------------------|-----------|----------|-----------|----------|
$(row "nginx (1 worker process, sendfile)" "$nginx_rps" "$nginx_cpu")
$(row "motu asset server (1 executor thread)" "$motu_rps" "$motu_cpu")
$(row "motu Worker returning the bytes from JS" "$worker_rps" "$worker_cpu")

motu's /metrics for the Worker over the asset rounds:
  motu_requests_total{status="2xx"}   +$requests   (requests answered)
  motu_event_cpu_seconds_count        +$events   (events its isolates ran)
  motu_event_cpu_seconds_sum          +$event_cpu   (their CPU seconds)
After the Worker rows the event count is $events2: one event per request the
Worker answered, so the metric does count events; the asset requests made none.
EOF
