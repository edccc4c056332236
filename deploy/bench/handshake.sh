#!/usr/bin/env bash
# deploy/bench/handshake.sh: STARTTLS handshakes per second against the physical limit, per key
# type, TLS engine and key-exchange group. Not part of `mvn verify`.
#
#   deploy/bench/handshake.sh     about 5 minutes; writes deploy/bench/results/handshake-<date>.md
#
# For each key type (KEYS: "ec:p256 rsa:2048") and engine (ENGINES: "openssl jdk"): a node whose
# server certificate has that key, then `postern loadgen` opening new STARTTLS sessions (connect,
# EHLO, STARTTLS, full handshake, EHLO, QUIT) from 32 concurrent lanes for HS_SECONDS. The OpenSSL
# engine runs twice: with the default tls.groups (the client and the node both prefer the
# X25519MLKEM768 hybrid) and with tls.groups = X25519. The node's CPU time, and that of its
# event-loop threads (where listeners, policy and queue run, TLS included: all a session costs but
# JIT, GC and logging), come from /proc; dividing the handshakes by them says what the node does
# per second of one core.
#
# Three yardsticks on the same machine, each per second of one core:
#  - `openssl speed` for the key type's signature, the one private-key operation each full
#    handshake needs;
#  - the same with OpenSSL's AVX-512 IFMA code switched off (OPENSSL_ia32cap), which is the RSA
#    arithmetic BoringSSL has: BoringSSL has no IFMA code path, so this is the signature cost the
#    node's TLS library can reach;
#  - OpenSSL's own TLS server (`openssl s_server`, X25519) under `openssl s_time -new`: full
#    handshakes per CPU-second of that server, plain TLS without SMTP.
#
# Loopback only; each run is bounded in time; a watchdog ends the script after 10 minutes.
# Environment: KEYS, ENGINES, HS_SECONDS (20, of which 5 s warm-up), NODE_PORT (25550),
# KEEP_WORK=1 keeps the logs and JSON reports.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
KEYS="${KEYS:-ec:p256 rsa:2048}"
ENGINES="${ENGINES:-openssl jdk}"
HS_SECONDS="${HS_SECONDS:-20}"
NODE_PORT="${NODE_PORT:-25550}"
out="$here/results/handshake-$(date -u +%Y-%m-%d).md"
log() { echo "[handshake-bench] $*" >&2; }
# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"

bench_init hs-bench

keyfile() { # key-spec -> writes $work/<tag>.crt/.key (a self-signed certificate for the node)
  local tag="${1/:/-}"
  case "$1" in
    ec:p256) openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
      -subj /CN=localhost -keyout "$work/$tag.key" -out "$work/$tag.crt" 2>/dev/null ;;
    rsa:2048) openssl req -x509 -newkey rsa:2048 -nodes -days 7 \
      -subj /CN=localhost -keyout "$work/$tag.key" -out "$work/$tag.crt" 2>/dev/null ;;
    *) log "unknown key type $1 (ec:p256 or rsa:2048)"; exit 2 ;;
  esac
  chmod 600 "$work/$tag.key"
}
speed_once() { # key-spec [ia32cap] -> signatures per second on one core
  case "$1" in
    ec:p256) env ${2:+OPENSSL_ia32cap=$2} openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1)}' ;;
    rsa:2048) env ${2:+OPENSSL_ia32cap=$2} openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $(NF-1)}' ;;
  esac
}
speed() { # the best of three: a neighbour on this shared machine only ever makes a run slower
  { speed_once "$@"; speed_once "$@"; speed_once "$@"; } | sort -g | tail -1
}
# AVX-512 IFMA is bit 21 of CPUID leaf 7's EBX, the second word of OPENSSL_ia32cap.
NO_IFMA=":~0x200000"
s_server_rate() { # key-spec -> full handshakes per CPU-second of `openssl s_server`
  local tag="${1/:/-}" port=$((NODE_PORT + 7)) sp c0 c1 n
  openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/$tag.crt" -key "$work/$tag.key" \
    -groups X25519 -naccept 100000000 -www >/dev/null 2>&1 &
  sp=$!; pids+=("$sp")
  sleep 1
  openssl s_time -connect "127.0.0.1:$port" -new -time 3 >/dev/null 2>&1 || true
  c0=$(cpu_ticks "$sp")
  n=$(openssl s_time -connect "127.0.0.1:$port" -new -time 10 2>/dev/null | sed -n 's/^\([0-9]*\) connections in [0-9.]*s;.*/\1/p' | head -1)
  c1=$(cpu_ticks "$sp")
  stop_pid "$sp" 5
  python3 -c "print('%.0f' % (${n:-0} / max(0.01, ($c1 - $c0) / $ticks)))"
}

declare -A f
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for key in $KEYS; do
  tag="${key/:/-}"
  keyfile "$key"
  f[$key,speed]=$(speed "$key")
  f[$key,speed_noifma]=$(speed "$key" "$NO_IFMA")
  f[$key,s_server]=$(s_server_rate "$key")
  log "$key: openssl speed ${f[$key,speed]} sign/s (${f[$key,speed_noifma]} without IFMA); openssl s_server ${f[$key,s_server]} handshakes per CPU-s"
  for variant in $(for e in $ENGINES; do [ "$e" = openssl ] && echo openssl openssl-x25519 || echo "$e"; done); do
    engine="${variant%-x25519}"
    groups=(); group_label="default (client: X25519MLKEM768)"
    if [ "$variant" = openssl-x25519 ]; then groups=(--set "tls.groups=X25519"); group_label="X25519"; fi
    [ "$engine" = jdk ] && group_label="JDK default (X25519)"
    run="$tag-$variant"
    f[$run,groups]="$group_label"
    java -Xmx1g -jar "$jar" run --roles inbound,policy,queue \
      --set "inbound.listeners=127.0.0.1:$NODE_PORT may" --set "node.admin_listen=" \
      --set "node.data_dir=$work/data-$run" --set "queue.spool_dir=$work/spool-$run" \
      --set "node.log=$work/node-$run.log" --set "tls.engine=$engine" \
      --set "tls.cert_chain=$work/$tag.crt" --set "tls.key=$work/$tag.key" \
      --set "inbound.max_connections_per_ip=1000" --set "inbound.connection_rate_per_ip=0" --set "inbound.dns_timeout=0" \
      "${groups[@]}" > "$work/node-$run.out" 2>&1 &
    node=$!; pids+=("$node")
    wait_line "$work/node-$run.log" "node started" 90 "$node" || { cat "$work/node-$run.out" >&2; exit 1; }
    f[$run,engine]=$(sed -n 's/.*TLS engine: //p' "$work/node-$run.log" | head -1)
    log "$run: warm-up 10 s"
    java -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions 32 --messages 0 --connections 1000000 \
      --starttls always --duration 10s --quiet --json > "$work/warm-$run.json" 2>/dev/null || true
    thread_ticks "$node" "$work/threads-$run-0"
    c0=$(cpu_ticks "$node")
    log "$run: ${HS_SECONDS} s"
    java -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions 32 --messages 0 --connections 10000000 \
      --starttls always --duration "${HS_SECONDS}s" --warmup 5s --quiet --json > "$work/hs-$run.json" 2>"$work/hs-$run.err" || true
    c1=$(cpu_ticks "$node")
    thread_ticks "$node" "$work/threads-$run-1"
    loops=$(threads_cpu "$work/threads-$run-0" "$work/threads-$run-1" "vert.x-eventloo")
    stop_pid "$node" 20
    n=$(json "$work/hs-$run.json" "r['tls']['handshakes']")
    f[$run,rate]=$(json "$work/hs-$run.json" "'%.0f' % r['throughput']['handshakesPerSecond']")
    f[$run,failed]=$(json "$work/hs-$run.json" "r['tls']['failed'] + r['sessions']['failed']")
    f[$run,p50]=$(json "$work/hs-$run.json" "'%.2f / %.2f' % (r['latencyMillis']['tlsHandshake']['p50'], r['latencyMillis']['tlsHandshake']['p99'])")
    f[$run,version]=$(json "$work/hs-$run.json" "', '.join(r['tls']['versions'])")
    node_cpu=$(python3 -c "print(($c1 - $c0) / $ticks)")
    f[$run,per_cpu]=$(python3 -c "print('%.0f' % ($n / max(0.01, $node_cpu)))")
    f[$run,per_loop]=$(python3 -c "print('%.0f' % ($n / max(0.01, $loops)))")
    f[$run,loops]="$loops s"
    f[$run,ratio]=$(python3 -c "print('%.1f' % (float('${f[$key,speed]}') / max(1.0, float('${f[$run,per_loop]}'))))")
    f[$run,ratio_noifma]=$(python3 -c "print('%.1f' % (float('${f[$key,speed_noifma]}') / max(1.0, float('${f[$run,per_loop]}'))))")
    f[$run,ratio_s_server]=$(python3 -c "print('%.2f' % (float('${f[$key,s_server]}') / max(1.0, float('${f[$run,per_loop]}'))))")
    log "$run: ${f[$run,rate]} handshakes/s; ${f[$run,per_loop]} per CPU-s of the event loops ($loops s); openssl speed ${f[$key,speed]} sign/s"
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$here/results"
{
  echo "# STARTTLS handshakes against the physical limit, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1); $(openssl version | cut -d' ' -f1-2)."
  echo "Load average at start / end: $load_start / $load_end. The load generator shares the cores with the node."
  echo
  echo "Command: \`deploy/bench/handshake.sh\` (HS_SECONDS=$HS_SECONDS). Each handshake is a new session: connect,"
  echo "EHLO, STARTTLS, a full handshake (no resumption), EHLO, QUIT."
  echo
  echo "Yardsticks per CPU-second of one core: \`openssl speed\` signatures (as shipped, and with AVX-512 IFMA off,"
  echo "the RSA arithmetic BoringSSL has), and full handshakes of \`openssl s_server -groups X25519\` under \`openssl s_time -new\`."
  echo
  echo "| key | openssl speed sign/s | without IFMA | openssl s_server handshakes per CPU-s |"
  echo "| --- | ---: | ---: | ---: |"
  for key in $KEYS; do
    echo "| $key | ${f[$key,speed]} | ${f[$key,speed_noifma]} | ${f[$key,s_server]} |"
  done
  echo
  echo "| key | node engine | groups | TLS | handshakes/s (whole machine) | per CPU-s of the node | per CPU-s of its event loops (their CPU s) | openssl speed ÷ event-loop rate | same, without IFMA | s_server ÷ event-loop rate | handshake p50 / p99 ms | failed |"
  echo "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for key in $KEYS; do
    tag="${key/:/-}"
    for variant in $(for e in $ENGINES; do [ "$e" = openssl ] && echo openssl openssl-x25519 || echo "$e"; done); do
      run="$tag-$variant"
      echo "| $key | ${f[$run,engine]} | ${f[$run,groups]} | ${f[$run,version]} | ${f[$run,rate]} | ${f[$run,per_cpu]} | ${f[$run,per_loop]} (${f[$run,loops]}) | ${f[$run,ratio]}x | ${f[$run,ratio_noifma]}x | ${f[$run,ratio_s_server]}x | ${f[$run,p50]} | ${f[$run,failed]} |"
    done
  done
} > "$out"
cat "$out"
