#!/usr/bin/env bash
# deploy/bench/active.sh: the most sessions held while ACTIVE (every one of them sending mail),
# and the node's memory per active session. inbound.sh measures the idle case. Not part of
# `mvn verify`.
#
#   deploy/bench/active.sh       about 4 minutes; writes deploy/bench/results/active-<date>.md
#
# A node with every role (deliveries to a `postern loadgen sink`), then `postern loadgen` with
# ACTIVE_SESSIONS (8000) concurrent sessions, half of them after STARTTLS, that stay connected and
# send 4 KB messages at RATE (400) messages per second in all: each session sends one every
# ACTIVE_SESSIONS/RATE seconds, mid-conversation the rest of the time. Once they are all up, the
# node's RSS and heap after a full GC are compared with the idle node's.
#
# Loopback only (the sessions come from 127.0.0.2 to 127.0.0.5); the load is bounded by
# RUN_SECONDS (120) and a watchdog ends the script after 10 minutes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
ACTIVE_SESSIONS="${ACTIVE_SESSIONS:-8000}"
RATE="${RATE:-400}"
RUN_SECONDS="${RUN_SECONDS:-120}"
NODE_PORT="${NODE_PORT:-25650}"
SINK_PORT="${SINK_PORT:-25651}"
out="$here/results/active-$(date -u +%Y-%m-%d).md"
log() { echo "[active-bench] $*" >&2; }
# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"

bench_init active-bench

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
heap_kb() { jcmd "$1" GC.heap_info 2>/dev/null | awk '/garbage-first heap/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K,?/, "", v); print v; exit}}'; }
settle() { jcmd "$1" GC.run >/dev/null; sleep 2; }
established() { ss -Htn state established "( sport = :$NODE_PORT )" | wc -l; }

java -Xmx512m -jar "$jar" loadgen sink --listen "$SINK_PORT" --duration 10m --interval 60s \
  > "$work/sink.out" 2> "$work/sink.err" &
sink=$!; pids+=("$sink")
wait_line "$work/sink.err" "listening on" 60 "$sink"
java -Xmx2g -jar "$jar" run --set "inbound.listeners=127.0.0.1:$NODE_PORT may" --set "node.admin_listen=" \
  --set "node.data_dir=$work/data" --set "queue.spool_dir=$work/spool" --set "node.log=$work/node.log" \
  --set inbound.max_connections=20000 --set inbound.max_connections_per_ip=20000 \
  --set inbound.stress_command_timeout=300s --set inbound.dns_timeout=0 \
  --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT" > "$work/node.out" 2>&1 &
node=$!; pids+=("$node")
wait_line "$work/node.log" "node started" 90 "$node"
log "node up: $(grep -o 'TLS engine: .*' "$work/node.log" | head -1); fd limit $(awk '/Max open files/ {print $4}' "/proc/$node/limits")"
settle "$node"
rss0=$(rss_kb "$node"); heap0=$(heap_kb "$node")
log "idle after GC: RSS $rss0 KB, heap $heap0 KB; starting $ACTIVE_SESSIONS active sessions at $RATE msg/s"

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx1g -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions "$ACTIVE_SESSIONS" \
  --messages $(( ACTIVE_SESSIONS * 1000 )) --per-session 1000 --size 4096 --starttls 50 --rate "$RATE" \
  --source 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5 --duration "${RUN_SECONDS}s" --warmup 30s --json --quiet \
  > "$work/load.json" 2> "$work/load.err" &
lg=$!; pids+=("$lg")
# Wait (at most 120 s) until nearly every session is up, then let them run 15 s.
for _ in $(seq 1 240); do
  [ "$(established)" -ge $(( ACTIVE_SESSIONS * 98 / 100 )) ] && break
  kill -0 "$lg" 2>/dev/null || break
  sleep 0.5
done
sleep 15
settle "$node"
rss1=$(rss_kb "$node"); heap1=$(heap_kb "$node"); est=$(established)
log "active after GC: RSS $rss1 KB, heap $heap1 KB, $est sessions established"
wait "$lg" || true
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
stop_pid "$node" 30
stop_pid "$sink" 10
[ -s "$work/load.json" ] || { log "loadgen wrote no report: $(tail -3 "$work/load.err")"; exit 1; }

per=$(python3 -c "print('%.1f' % (($rss1 - $rss0) / max(1, $est)))")
per_heap=$(python3 -c "print('%.1f' % ((${heap1:-0} - ${heap0:-0}) / max(1, $est)))")
mkdir -p "$here/results"
{
  echo "# Active sessions held, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1). Load average at start / end: $load_start / $load_end."
  echo
  echo "Command: \`deploy/bench/active.sh\` (ACTIVE_SESSIONS=$ACTIVE_SESSIONS, RATE=$RATE, RUN_SECONDS=$RUN_SECONDS)."
  echo
  echo "| what | result |"
  echo "| --- | --- |"
  echo "| sessions established while measuring | $est of $ACTIVE_SESSIONS (half after STARTTLS) |"
  echo "| messages accepted (measured after 30 s warm-up) | $(json "$work/load.json" "'%d ok, %d failed, %.0f msg/s' % (r['messages']['ok'], r['messages']['failed'], r['throughput']['messagesPerSecond'])") |"
  echo "| DATA-to-250 p50 / p99 / max ms | $(json "$work/load.json" "'%.1f / %.1f / %.1f' % (r['latencyMillis']['dataTo250']['p50'], r['latencyMillis']['dataTo250']['p99'], r['latencyMillis']['dataTo250']['max'])") |"
  echo "| sessions failed / errors | $(json "$work/load.json" "'%d; %s' % (r['sessions']['failed'], r.get('errors', {}))") |"
  echo "| node RSS after GC, idle / active | $rss0 KB / $rss1 KB |"
  echo "| node memory per active session | **$per KB** RSS, $per_heap KB heap |"
} > "$out"
cat "$out"
