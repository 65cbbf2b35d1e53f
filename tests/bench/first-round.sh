#!/usr/bin/env bash
# First round vs warm: what a freshly started edge-proxy pays for its first new connections.
# Starts the jar with the launcher's defaults (its archive made by one untimed run first, as a node's
# first run after an install does), waits for /readyz, then runs B bursts of h2load --h1 -c 16 -n N
# (Connection: close) against the TLS port and prints the proxy's CPU seconds per 10k connections per
# burst (utime + stime of the JVM from /proc/<pid>/stat) and start-to-ready; repeated R times for each
# node.warmUpConnections value asked, alternating the values.
# Usage: first-round.sh [--warmup "0 5000"] [--rounds R] [--bursts B] [--n N]   (JAVA=... picks the JDK)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${EDGE_PROXY_JAR:-$ROOT/edge-proxy/target/edge-proxy.jar}
LAUNCHER=$ROOT/edge-proxy/src/main/dist/edge-proxy
JAVA=${JAVA:-java}
WARMUPS="0 5000"
ROUNDS=2
BURSTS=3
N=5000
C=16
while (($#)); do
  case "$1" in
    --warmup) WARMUPS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --bursts) BURSTS=$2; shift ;;
    --n) N=$2; shift ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
RUN_AS=""
[[ $(id -u) -eq 0 ]] && RUN_AS="--allow-root"
HZ=$(getconf CLK_TCK)
SNI=app.bench.test
W=$(mktemp -d)
BACKEND_PID="" EDGE_PID=""
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
stop() { # pid
  [[ -n $1 ]] || return 0
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() { set +e; stop "$EDGE_PID"; stop "$BACKEND_PID"; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mapfile -t PORTS < <(python3 "$HERE/lib/clients.py" freeports 3)
P_BACKEND=${PORTS[0]} P_EDGE=${PORTS[1]} P_ADMIN=${PORTS[2]}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$SNI" \
  -addext "subjectAltName=DNS:$SNI" -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
mkdir -p "$W/tmp"
USER_LINE=""
[[ $(id -u) == 0 ]] && USER_LINE="user root;"
cat >"$W/backend.conf" <<EOF
$USER_LINE
worker_processes 2;
worker_rlimit_nofile 20000;
pid $W/backend.pid;
error_log $W/backend-error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $W/tmp/body; proxy_temp_path $W/tmp/proxy; fastcgi_temp_path $W/tmp/fcgi;
  uwsgi_temp_path $W/tmp/uwsgi; scgi_temp_path $W/tmp/scgi;
  ssl_certificate $W/cert.pem;
  ssl_certificate_key $W/key.pem;
  ssl_session_cache off;
  ssl_session_tickets off;
  server {
    listen 127.0.0.1:$P_BACKEND ssl proxy_protocol;
    location = /c { default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
{ echo "allow:"; echo "  - $SNI"; for i in $(seq -w 1 99); do echo "  - svc$i.bench.example"; done; } >"$W/allowlist.yaml"
config() { # warm-up count -> config file
  cat >"$W/edge-$1.yaml" <<EOF
node:
  name: bench
  warmUpConnections: $1
listeners:
  tls:
    bind: "127.0.0.1:$P_EDGE"
    clientHelloTimeout: 10s
    maxClientHelloBytes: 16KiB
    noSni: refuse
  admin:
    bind: "127.0.0.1:$P_ADMIN"
    allowFrom: ["127.0.0.0/8"]
backends:
  bench:
    tls: ["127.0.0.1:$P_BACKEND"]
    proxyProtocol: v2
    connectTimeout: 3s
defaultBackend: bench
allowlist:
  stateFile: $W/state-$1.json
  file:
    path: $W/allowlist.yaml
limits:
  maxConnections: 20000
  maxConnectionsPerIp: 20000
  idleTimeout: 5m
  drainTimeout: 2s
accessLog:
  format: none
EOF
  echo "$W/edge-$1.yaml"
}
start_edge() { # warm-up count -> EDGE_PID, READY_S (start to ready, seconds)
  local t0 ok=0
  t0=$(date +%s%N)
  JAVA="$JAVA" EDGE_PROXY_JAR="$JAR" EDGE_PROXY_CDS_DIR="$W/cds-$1" \
    "$LAUNCHER" run $RUN_AS --config "$W/edge-$1.yaml" >>"$W/edge.out" 2>&1 &
  EDGE_PID=$!
  for _ in $(seq 1 6000); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ADMIN/readyz") == 200 ]]; then ok=1; break; fi
    kill -0 "$EDGE_PID" 2>/dev/null || break
    sleep 0.01
  done
  ((ok)) || { tail -n 20 "$W/edge.out" >&2; exit 1; }
  READY_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
}
ticks() { sed 's/.*) //' "/proc/$EDGE_PID/stat" | awk '{ print $12 + $13 }'; }
burst() { h2load --h1 -c "$C" -n "$N" -m 1 -H 'Connection: close' --connect-to="127.0.0.1:$P_EDGE" "https://$SNI:$P_EDGE/c" 2>&1; }

nginx -p "$W/" -c "$W/backend.conf" -g "daemon off;" 2>>"$W/backend-error.log" &
BACKEND_PID=$!
sleep 0.5
"$JAVA" -version 2>&1 | head -n 1 >&2
for w in $WARMUPS; do
  config "$w" >/dev/null
  mkdir -p "$W/cds-$w"
  start_edge "$w" # the archive run: writes the launcher's archive as it exits
  burst >/dev/null || true
  stop "$EDGE_PID"; EDGE_PID=""
done
printf 'warmup\tround\tstart_s\tload1'
for ((b = 1; b <= BURSTS; b++)); do printf '\tburst%d' "$b"; done
printf '\tfirst/last\n'
for ((r = 1; r <= ROUNDS; r++)); do
  for w in $WARMUPS; do
    start_edge "$w"
    load=$(cut -d' ' -f1 /proc/loadavg)
    line="$w\t$r\t$READY_S\t$load"
    first="" last=""
    for ((b = 1; b <= BURSTS; b++)); do
      t0=$(ticks)
      out=$(burst) || true
      t1=$(ticks)
      ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
      v=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="${ok:-0}" 'BEGIN { printf "%.2f", n ? d / hz / n * 10000 : 0 }')
      line="$line\t$v"
      [[ -z $first ]] && first=$v
      last=$v
    done
    printf '%b\t%s\n' "$line" "$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')"
    grep -h 'warm-up' "$W/edge.out" | tail -n 1 | sed 's/^/  # /' >&2 || true
    stop "$EDGE_PID"; EDGE_PID=""
  done
done
