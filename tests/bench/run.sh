#!/usr/bin/env bash
# Side-by-side benchmark: edge-proxy vs HAProxy (mode tcp) vs nginx `stream` vs direct, on loopback only.
# See README.md beside this file. Usage: run.sh [--quick|--full] [--rounds N] [--only "edge-proxy haproxy ..."]
#                                              [--jfr FILE] [--keep] [--out FILE]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR=${EDGE_PROXY_JAR:-$ROOT/edge-proxy/target/edge-proxy.jar}
LAUNCHER=$ROOT/edge-proxy/src/main/dist/edge-proxy
JAVA=${JAVA:-java}
PY=${PYTHON:-python3}
CLIENTS="$HERE/lib/clients.py"
# `run` refuses root unless told (the unit runs as its own user); a benchmark box may well be root.
RUN_AS=""
[[ $(id -u) -eq 0 ]] && RUN_AS="--allow-root"
# The JVM flags we ship are the launcher's defaults (see edge-proxy/src/main/dist/edge-proxy): serial
# GC (one proxy process per node, 2 cores: no GC threads competing with the event loops), a small
# heap, exit on OOM. EDGE_JAVA_OPTS, when set, replaces them (the launcher's JAVA_OPTS).
EDGE_JAVA_OPTS=${EDGE_JAVA_OPTS:-}

MODE=full
ROUNDS=""
ONLY="direct edge-proxy haproxy nginx-stream"
JFR=""
KEEP=0
OUT="$HERE/results/latest.md"
while (($#)); do
  case "$1" in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --rounds) ROUNDS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --jfr) JFR=$2; shift ;;
    --keep) KEEP=1 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n 2,4p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $MODE == quick ]]; then
  : "${ROUNDS:=1}"; BIG_MIB=32; CPS_N=1000; CPS_C=8; LAT_RATE=200; LAT_CONNS=4; LAT_SECS=3; HOLD=500; WARM_N=2000
else
  : "${ROUNDS:=5}"; BIG_MIB=256; CPS_N=10000; CPS_C=16; LAT_RATE=500; LAT_CONNS=10; LAT_SECS=15; HOLD=2000; WARM_N=5000
fi
SNI=app.bench.test
HZ=$(getconf CLK_TCK)

for tool in nginx haproxy h2load curl openssl "$PY" "$JAVA"; do
  command -v "$tool" >/dev/null || { echo "run.sh: missing tool: $tool" >&2; exit 2; }
done
[[ -f $JAR ]] || { echo "run.sh: no jar at $JAR (build: cd $ROOT && mvn -B -q -o install -DskipTests)" >&2; exit 2; }
STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
[[ -f $STREAM_MOD ]] || { echo "run.sh: nginx stream module missing ($STREAM_MOD; Debian: libnginx-mod-stream)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/edge-bench.XXXXXX")
RAW="$W/raw.tsv"
: >"$RAW"
declare -A PID=()
BACKEND_PID=""
HOLD_PID=""

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

stop_pid() { # pid, seconds to wait before SIGKILL; returns the exit status when we reaped it
  local p=$1 limit=$2 i
  [[ -n $p ]] || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for ((i = 0; i < limit * 20; i++)); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$p" 2>/dev/null || true
  local rc=0
  wait "$p" 2>/dev/null || rc=$?
  return $rc
}

cleanup() {
  local who
  set +e
  [[ -n $HOLD_PID ]] && stop_pid "$HOLD_PID" 2
  for who in "${!PID[@]}"; do stop_pid "${PID[$who]}" 5; done
  [[ -n $BACKEND_PID ]] && stop_pid "$BACKEND_PID" 5
  if ((KEEP)); then log "work dir kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- set-up
mapfile -t PORTS < <("$PY" "$CLIENTS" freeports 6)
P_BACKEND=${PORTS[0]} P_DIRECT=${PORTS[1]} P_EDGE=${PORTS[2]} P_ADMIN=${PORTS[3]} P_HAPROXY=${PORTS[4]} P_NGINX=${PORTS[5]}
declare -A PORT=([direct]=$P_DIRECT [edge-proxy]=$P_EDGE [haproxy]=$P_HAPROXY [nginx-stream]=$P_NGINX)

log "work dir $W; mode $MODE, $ROUNDS round(s); ports backend=$P_BACKEND direct=$P_DIRECT edge=$P_EDGE haproxy=$P_HAPROXY nginx=$P_NGINX"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$SNI" \
  -addext "subjectAltName=DNS:$SNI" -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
mkdir -p "$W/www" "$W/tmp"
# content does not matter (TLS encrypts it); a sparse file keeps disk I/O out of the measurement
truncate -s "${BIG_MIB}M" "$W/www/big.bin"

# the allow-list: 100 names, the test name among them
{
  echo "$SNI"
  for i in $(seq -w 1 99); do echo "svc$i.bench.example"; done
} >"$W/names.txt"
{ echo "allow:"; sed 's/^/  - /' "$W/names.txt"; } >"$W/allowlist.yaml"
sed 's/.*/& pool;/' "$W/names.txt" >"$W/names.map"

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
  log_format bench '\$connection_requests \$ssl_session_reused \$request_uri pp=\$proxy_protocol_addr';
  access_log off;
  client_body_temp_path $W/tmp/body; proxy_temp_path $W/tmp/proxy; fastcgi_temp_path $W/tmp/fcgi;
  uwsgi_temp_path $W/tmp/uwsgi; scgi_temp_path $W/tmp/scgi;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  sendfile on;
  ssl_certificate $W/cert.pem;
  ssl_certificate_key $W/key.pem;
  ssl_protocols TLSv1.2 TLSv1.3;
  # every connection a full handshake: no resumption
  ssl_session_cache off;
  ssl_session_tickets off;
  server {
    listen 127.0.0.1:$P_BACKEND ssl proxy_protocol;
    listen 127.0.0.1:$P_DIRECT ssl;
    location = /c { access_log $W/backend-access.log bench; default_type text/plain; return 200 "ok\n"; }
    location = /keep { default_type text/plain; return 200 "ok\n"; }
    location = /big.bin { root $W/www; default_type application/octet-stream; }
  }
}
EOF

cat >"$W/haproxy.cfg" <<EOF
global
  maxconn 6000
  ulimit-n 16000
  nbthread 2
defaults
  mode tcp
  timeout connect 3s
  timeout client 5m
  timeout server 5m
  option splice-auto
frontend tls
  bind 127.0.0.1:$P_HAPROXY
  tcp-request inspect-delay 10s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend pool if { req.ssl_sni -i -f $W/names.txt }
backend pool
  server b1 127.0.0.1:$P_BACKEND send-proxy-v2
EOF

cat >"$W/nginx-stream.conf" <<EOF
load_module $STREAM_MOD;
$USER_LINE
worker_processes 2;
worker_rlimit_nofile 20000;
pid $W/nginx-stream.pid;
error_log $W/nginx-stream-error.log crit;
events { worker_connections 16384; }
stream {
  map \$ssl_preread_server_name \$pool {
    include $W/names.map;
    default "";
  }
  upstream pool { server 127.0.0.1:$P_BACKEND; }
  server {
    listen 127.0.0.1:$P_NGINX;
    ssl_preread on;
    preread_timeout 10s;
    proxy_pass \$pool;
    proxy_protocol on;
    proxy_connect_timeout 3s;
    proxy_timeout 5m;
  }
}
EOF

cat >"$W/edge-proxy.yaml" <<EOF
node:
  name: bench
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
    proxyProtocol: v2        # IPv4 + authority + unique-id TLVs = 64 bytes, under nginx 1.22's 107
    connectTimeout: 3s
defaultBackend: bench
allowlist:
  stateFile: $W/edge-state.json
  file:
    path: $W/allowlist.yaml
limits:
  maxConnections: 20000
  maxConnectionsPerIp: 20000   # every client here is 127.0.0.1
  idleTimeout: 5m
  drainTimeout: 2s
accessLog:
  format: none
EOF
"$JAVA" -jar "$JAR" validate --config "$W/edge-proxy.yaml" >/dev/null
# One untimed run writes the launcher's archive, as a node's first run after an install does: on
# Java 17-24 an AppCDS archive, on 25+ an AOT cache that also keeps that run's method profiles, so
# the run serves the same warm-up load as every round below (a node's first run has traffic too).
# It needs the backend, so it runs once that is up (see start_backend below).
write_edge_archive() {
  mkdir -p "$W/cds"
  JAVA="$JAVA" JAVA_OPTS="$EDGE_JAVA_OPTS" EDGE_PROXY_JAR="$JAR" EDGE_PROXY_CDS_DIR="$W/cds" \
    "$LAUNCHER" run $RUN_AS --config "$W/edge-proxy.yaml" >>"$W/edge-proxy.out" 2>&1 &
  local cds_pid=$!
  for _ in $(seq 1 1200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ADMIN/readyz") == 200 ]] && break
    kill -0 "$cds_pid" 2>/dev/null || break
    sleep 0.05
  done
  timeout 120 h2load --h1 -c "$CPS_C" -n "$WARM_N" -m 1 -H 'Connection: close' \
    --connect-to="127.0.0.1:$P_EDGE" "https://$SNI:$P_EDGE/c" >/dev/null 2>&1 || log "archive run: h2load failed"
  kill -TERM "$cds_pid" 2>/dev/null || true
  wait "$cds_pid" 2>/dev/null || true
}

wait_port() { # port, timeout seconds[, pid that must stay alive] -> 0 when it accepts
  local port=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.005
  done
  return 1
}

now_ns() { date +%s%N; }

# the launcher's default JVM flags for `run` (JFR is added to them, not instead of them)
launcher_defaults() {
  sed -n 's/^default_opts="\(.*\)"$/\1/p' "$LAUNCHER" | head -n 1 | sed 's/\$heap/256m/; s/\$direct/256m/'
  echo "-XX:+ExitOnOutOfMemoryError"
}

nginx -t -q -p "$W/" -c "$W/backend.conf" -g "daemon off;" 2>/dev/null || nginx -t -p "$W/" -c "$W/backend.conf"
nginx -p "$W/" -c "$W/backend.conf" -g "daemon off;" 2>>"$W/backend-error.log" &
BACKEND_PID=$!
wait_port "$P_BACKEND" 20 "$BACKEND_PID" || { cat "$W/backend-error.log" >&2; exit 1; }
wait_port "$P_DIRECT" 20
if [[ " $ONLY " == *" edge-proxy "* ]]; then write_edge_archive; fi

# ---------------------------------------------------------------- contenders
start_contender() { # name -> sets PID[name], records start-to-ready
  local who=$1 t0 i ok=0
  t0=$(now_ns)
  case $who in
    edge-proxy)
      local jfr=""
      [[ -n $JFR ]] && jfr="-XX:StartFlightRecording=filename=$JFR,settings=profile"
      # shellcheck disable=SC2086
      # The shipped launcher: JVM flags from JAVA_OPTS, and the AppCDS archive a node keeps in its state dir.
      local opts=$EDGE_JAVA_OPTS
      [[ -n $jfr ]] && opts="${opts:-$(launcher_defaults)} $jfr"
      JAVA="$JAVA" JAVA_OPTS="$opts" EDGE_PROXY_JAR="$JAR" EDGE_PROXY_CDS_DIR="$W/cds" \
        "$LAUNCHER" run $RUN_AS --config "$W/edge-proxy.yaml" >>"$W/edge-proxy.out" 2>&1 &
      PID[$who]=$!
      local deadline=$((SECONDS + 60))
      while ((SECONDS < deadline)); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ADMIN/readyz") == 200 ]]; then ok=1; break; fi
        kill -0 "${PID[$who]}" 2>/dev/null || break
        sleep 0.01
      done ;;
    haproxy)
      haproxy -f "$W/haproxy.cfg" -db >>"$W/haproxy.out" 2>&1 &
      PID[$who]=$!
      wait_port "$P_HAPROXY" 30 "${PID[$who]}" && ok=1 ;;
    nginx-stream)
      nginx -p "$W/" -c "$W/nginx-stream.conf" -g "daemon off;" >>"$W/nginx-stream.out" 2>&1 &
      PID[$who]=$!
      wait_port "$P_NGINX" 30 "${PID[$who]}" && ok=1 ;;
    direct) return 0 ;;
  esac
  if ((!ok)); then
    echo "run.sh: $who did not become ready" >&2
    tail -n 30 "$W/$who.out" >&2 || true
    exit 1
  fi
  record "$who" start "$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
}

stop_contender() {
  local who=$1 rc=0
  [[ -n ${PID[$who]:-} ]] || return 0
  stop_pid "${PID[$who]}" 10 || rc=$?
  unset "PID[$who]"
  # edge-proxy must drain and exit 0 on SIGTERM; the others' exit codes on TERM differ and do not matter
  if [[ $who == edge-proxy && $rc != 0 ]]; then log "WARNING: edge-proxy exited $rc on SIGTERM"; fi
}

pids_of() { # the contender's processes (nginx: master + workers)
  local p=${PID[$1]:-}
  [[ -n $p ]] || return 0
  echo "$p"
  pgrep -P "$p" || true
}

rss_mib() {
  local total=0 p kb
  for p in $(pids_of "$1"); do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  awk -v k="$total" 'BEGIN { printf "%.2f", k / 1024 }'
}

cpu_ticks() {
  local total=0 p t
  for p in $(pids_of "$1"); do
    # fields after the ")" of comm: utime is the 12th, stime the 13th
    t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

record() { printf '%s\t%s\t%s\t%s\n' "$ROUND" "$1" "$2" "$3" >>"$RAW"; }

# ---------------------------------------------------------------- measurements
measure_cps() {
  local who=$1 port=${PORT[$1]} before after lines out secs ok t0 t1
  before=$(wc -l <"$W/backend-access.log" 2>/dev/null || echo 0)
  t0=$(cpu_ticks "$who")
  out=$(timeout 300 h2load --h1 -c "$CPS_C" -n "$CPS_N" -m 1 -H 'Connection: close' \
    --connect-to="127.0.0.1:$port" "https://$SNI:$port/c" 2>&1) || true
  t1=$(cpu_ticks "$who")
  # "finished in 1.40s," or "finished in 752.47ms,"
  secs=$(awk '/^finished in / { v = $3; sub(/,$/, "", v); if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else sub(/s$/, "", v); print v }' <<<"$out")
  ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded, \([0-9]*\) failed.*/\1/p' <<<"$out")
  local failed
  failed=$(sed -n 's/^requests: .* succeeded, \([0-9]*\) failed.*/\1/p' <<<"$out")
  if [[ -z $secs || -z $ok || $ok == 0 ]]; then log "cps $who: h2load said: $(tail -n 5 <<<"$out")"; return 0; fi
  record "$who" cps "$(awk -v n="$ok" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')"
  record "$who" cps_failed "$failed"
  if [[ $who != direct ]]; then
    record "$who" cpu_per_10k "$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$ok" 'BEGIN { printf "%.4f", d / hz / n * 10000 }')"
  fi
  # every request must have been the first on its connection, with a full handshake
  lines=$(tail -n +"$((before + 1))" "$W/backend-access.log")
  local total fresh
  total=$(grep -c ' /c ' <<<"$lines" || true)
  fresh=$(grep -c '^1 \. /c ' <<<"$lines" || true)
  record "$who" cps_new_conn_share "$(awk -v f="$fresh" -v t="$total" 'BEGIN { printf "%.4f", t ? f / t : 0 }')"
}

measure_bulk() { # who, parallel connections
  local who=$1 n=$2 port=${PORT[$1]} t0 t1 c0 c1 i bytes=0 b
  c0=$(cpu_ticks "$who")
  t0=$(now_ns)
  local curls=()
  for ((i = 0; i < n; i++)); do
    timeout 300 curl -sk --resolve "$SNI:$port:127.0.0.1" -o /dev/null -w '%{size_download}\n' \
      "https://$SNI:$port/big.bin" >"$W/bulk.$i" &
    curls+=($!)
  done
  for i in "${curls[@]}"; do wait "$i" || true; done
  t1=$(now_ns)
  c1=$(cpu_ticks "$who")
  for ((i = 0; i < n; i++)); do
    b=$(cat "$W/bulk.$i" 2>/dev/null || echo 0)
    bytes=$((bytes + ${b:-0}))
  done
  local expect=$((n * BIG_MIB * 1024 * 1024))
  if ((bytes != expect)); then log "bulk$n $who: got $bytes of $expect bytes"; return 0; fi
  record "$who" "bulk$n" "$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.1f", b / 1e6 / ((z - a) / 1e9) }')"
  if [[ $who != direct ]]; then
    CPU_BULK[$who]=$((${CPU_BULK[$who]:-0} + c1 - c0))
    BYTES_BULK[$who]=$((${BYTES_BULK[$who]:-0} + bytes))
  fi
}

measure_latency() {
  local who=$1 out
  out=$(timeout $((LAT_SECS + 60)) "$PY" "$CLIENTS" latency "${PORT[$who]}" "$SNI" /keep "$LAT_RATE" "$LAT_CONNS" "$LAT_SECS" 2>&1) || {
    log "latency $who failed: $(tail -n 3 <<<"$out")"; return 0; }
  read -r p50 p99 count errors <<<"$out"
  record "$who" lat_p50 "$p50"
  record "$who" lat_p99 "$p99"
  record "$who" lat_requests "$count"
  record "$who" lat_errors "$errors"
}

measure_hold() {
  local who=$1 before held i opened failed
  [[ $who == direct ]] && return 0
  rm -f "$W/hold.ready"
  before=$(rss_mib "$who")
  "$PY" "$CLIENTS" hold "${PORT[$who]}" "$SNI" "$HOLD" "$W/hold.ready" 120 >"$W/hold.out" 2>&1 &
  HOLD_PID=$!
  for ((i = 0; i < 1800; i++)); do
    [[ -f $W/hold.ready ]] && break
    kill -0 "$HOLD_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ ! -f $W/hold.ready ]]; then log "hold $who: client did not get ready: $(tail -n 3 "$W/hold.out")"; stop_pid "$HOLD_PID" 2 || true; HOLD_PID=""; return 0; fi
  sleep 1
  held=$(rss_mib "$who")
  read -r opened failed <"$W/hold.ready"
  stop_pid "$HOLD_PID" 5 || true
  HOLD_PID=""
  record "$who" hold_opened "$opened"
  if ((opened > 0)); then record "$who" rss_per_conn "$(awk -v a="$before" -v b="$held" -v n="$opened" 'BEGIN { printf "%.2f", (b - a) * 1024 / n }')"; fi
  sleep 1  # let the proxy see the closes before the next contender runs
  return 0
}

# ---------------------------------------------------------------- rounds
read -r -a SELECTED <<<"$ONLY"
declare -A CPU_BULK=() BYTES_BULK=()
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  # alternate: each round starts with the next contender
  ORDER=()
  for ((i = 0; i < ${#SELECTED[@]}; i++)); do ORDER+=("${SELECTED[$(((i + ROUND - 1) % ${#SELECTED[@]}))]}"); done
  log "round $ROUND/$ROUNDS: order ${ORDER[*]}"
  CPU_BULK=() BYTES_BULK=()
  for who in "${ORDER[@]}"; do start_contender "$who"; done
  sleep 1
  for who in "${ORDER[@]}"; do if [[ $who != direct ]]; then record "$who" rss_idle "$(rss_mib "$who")"; fi; done
  # untimed warm-up, the same for everyone: a long-running JVM has its hot paths compiled, so the
  # per-connection and per-GB figures below are steady state, not JIT work
  log "  warm-up ($WARM_N connections + one ${BIG_MIB} MiB download each)"
  # ... and its CPU is the "first round" figure: what a just-started node pays (edge-proxy: after
  # its own warm-up, which /readyz waited for), against the warm cpu_per_10k below
  for who in "${ORDER[@]}"; do
    c0=$(cpu_ticks "$who")
    timeout 120 h2load --h1 -c "$CPS_C" -n "$WARM_N" -m 1 -H 'Connection: close' \
      --connect-to="127.0.0.1:${PORT[$who]}" "https://$SNI:${PORT[$who]}/c" >/dev/null 2>&1 || log "warm-up h2load $who failed"
    if [[ $who != direct ]]; then
      record "$who" cpu_per_10k_first "$(awk -v d=$(($(cpu_ticks "$who") - c0)) -v hz="$HZ" -v n="$WARM_N" 'BEGIN { printf "%.4f", d / hz / n * 10000 }')"
    fi
    timeout 120 curl -sk --resolve "$SNI:${PORT[$who]}:127.0.0.1" -o /dev/null "https://$SNI:${PORT[$who]}/big.bin" || log "warm-up curl $who failed"
  done
  log "  new connections/s (h2load -c $CPS_C -n $CPS_N, Connection: close)"
  for who in "${ORDER[@]}"; do measure_cps "$who"; done
  log "  bulk ${BIG_MIB} MiB x1 and x4"
  for who in "${ORDER[@]}"; do measure_bulk "$who" 1; done
  for who in "${ORDER[@]}"; do measure_bulk "$who" 4; done
  for who in "${!CPU_BULK[@]}"; do
    record "$who" cpu_per_gb "$(awk -v t="${CPU_BULK[$who]}" -v hz="$HZ" -v b="${BYTES_BULK[$who]}" 'BEGIN { printf "%.4f", t / hz / (b / 1e9) }')"
  done
  log "  latency: $LAT_RATE req/s over $LAT_CONNS keep-alive connections for ${LAT_SECS}s"
  for who in "${ORDER[@]}"; do measure_latency "$who"; done
  log "  $HOLD idle TLS connections held"
  for who in "${ORDER[@]}"; do measure_hold "$who"; done
  for who in "${ORDER[@]}"; do if [[ $who != direct ]]; then record "$who" rss_after "$(rss_mib "$who")"; fi; done
  for who in "${ORDER[@]}"; do stop_contender "$who"; done
done

# ---------------------------------------------------------------- report
mkdir -p "$(dirname "$OUT")"
EDGE_FLAGS_TEXT="the launcher's defaults"
[[ -n $EDGE_JAVA_OPTS ]] && EDGE_FLAGS_TEXT="\`$EDGE_JAVA_OPTS\`"
cat >"$W/header.md" <<EOF
# edge-proxy benchmark: $MODE mode, $ROUNDS round(s), $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(nproc) cores, $(awk '/^model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo), kernel $(uname -r);
$(nginx -v 2>&1 | sed 's/.*: //'), $(haproxy -v | head -n 1 | cut -d' ' -f1-3), $("$JAVA" -version 2>&1 | head -n 1).
Backend: nginx, TLS 1.3 ECDSA P-256, no session resumption, PROXY protocol; ${BIG_MIB} MiB file.
edge-proxy started by its launcher (archive made by one untimed run with the warm-up load), JVM flags: $EDGE_FLAGS_TEXT${JFR:+ + JFR recording}.
Loads: new connections h2load --h1 -c $CPS_C -n $CPS_N (Connection: close); bulk curl x1 and x4;
latency $LAT_RATE req/s over $LAT_CONNS keep-alive connections for ${LAT_SECS}s (Python client, time from send to
full response); $HOLD idle TLS connections held.
EOF
"$PY" "$HERE/lib/report.py" "$RAW" "$W/header.md" >"$OUT"
cp "$RAW" "${OUT%.md}.tsv"
cat "$OUT"
log "results: $OUT (raw samples: ${OUT%.md}.tsv)"
