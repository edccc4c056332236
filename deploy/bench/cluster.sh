#!/usr/bin/env bash
# deploy/bench/cluster.sh: one node against a three-node cluster on this machine, the same load
# into both. Not part of `mvn verify`.
#
#   deploy/bench/cluster.sh      about 6 minutes; writes deploy/bench/results/cluster-<date>.md
#
# one:   a standalone node with every role (inbound, policy, queue, outbound).
# three: the cluster of deploy/cluster/start-local.sh (started by that script, in a private
#        directory): node a inbound+policy, nodes b and c queue+outbound+policy, every message
#        crossing the TLS event bus (envelope, and the body in chunks) from a to b or c.
# Into each, `postern loadgen` runs SESSIONS (100) concurrent sessions of 4 KB messages, STARTTLS
# (STARTTLS=always, or never), for RUN_SECONDS after WARMUP; the nodes deliver to a
# `postern loadgen sink`, or with DEFER=1 keep the mail queued (queue.defer_deliveries=yes: the
# acceptance path alone). Reported per topology: messages accepted per second, DATA-to-250
# latency percentiles, the sustained rate (accepted, over the time until the sink had them all),
# and CPU milliseconds per accepted message of the nodes together (from /proc/<pid>/stat), and of
# the load generator and the sink.
#
# Replication: the run "three" has queue.replicas = 0, and a third run "three, replicas=1" (the
# cluster default) measures the latency and CPU that the second durable copy adds.
#
# Loopback only; fixed ports (start-local.sh's 2525, 5701-5703, 5711-5713, 2581-2582, 9025-9027, and
# SINK_PORT, NODE_PORT); every load is bounded in time; a watchdog ends the script after 10 minutes.
# Before each measured run, a warm-up load of WARM_SECONDS (30) on the same nodes: a node's JIT
# compiles for about half a minute after start, and three fresh nodes pay that three times.
# Environment: SESSIONS (100), RUN_SECONDS (20), WARMUP (4), WARM_SECONDS (30), STARTTLS (always), DEFER (0),
# NODE_PORT (25460), SINK_PORT (25461), TOPOLOGIES ("one three"), POSTERN_JAR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
SESSIONS="${SESSIONS:-100}"
RUN_SECONDS="${RUN_SECONDS:-20}"
WARMUP="${WARMUP:-4}"
STARTTLS="${STARTTLS:-always}"
DEFER="${DEFER:-0}"
NODE_PORT="${NODE_PORT:-25460}"
SINK_PORT="${SINK_PORT:-25461}"
TOPOLOGIES="${TOPOLOGIES:-one three}"
WARM_SECONDS="${WARM_SECONDS:-30}"
out="${OUT:-$here/results/cluster-$(date -u +%Y-%m-%d).md}"
log() { echo "[cluster-bench] $*" >&2; }
cpu_s() { awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"
bench_init cluster-bench

replicas=no
grep -q '^#* *queue\.replicas' "$root/config/postern.conf" 2>/dev/null && replicas=yes
if [ "$replicas" = yes ]; then
  TOPOLOGIES="$TOPOLOGIES three_replicas"
fi

defer=no
[ "$DEFER" = 1 ] && defer=yes
common=(--set "inbound.max_connections_per_ip=1000" --set "inbound.dns_timeout=0"
  --set "queue.defer_deliveries=$defer" --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT")

sink_count() { sed -n 's/.*messages \([0-9]*\) .*/\1/p' "$work/sink.log" | tail -1; }

start_sink() {
  java -Xmx512m -jar "$jar" loadgen sink --listen "$SINK_PORT" --starttls --interval 1s --duration 9m \
    2> "$work/sink.log" > /dev/null &
  sink_pid=$!; pids+=("$sink_pid")
  wait_line "$work/sink.log" "" 10 "$sink_pid" || true
}

node_pids=()
start_one() {
  java -Xmx1g -jar "$jar" run --set "inbound.listeners=127.0.0.1:$NODE_PORT may" --set "node.admin_listen=" \
    --set "node.data_dir=$work/one/data" --set "queue.spool_dir=$work/one/spool" --set "node.log=$work/one.log" \
    "${common[@]}" > "$work/one.out" 2>&1 &
  node_pids=($!); pids+=($!)
  wait_line "$work/one.log" "node started" 60 "${node_pids[0]}"
  target="127.0.0.1:$NODE_PORT"
}

start_three() { # extra --set options for every node
  export POSTERN_CLUSTER_DIR="$work/cluster" POSTERN_JAR="$jar" POSTERN_JAVA_OPTS="-Xmx768m"
  "$root/deploy/cluster/start-local.sh" "${common[@]}" "$@" > "$work/cluster.out" 2>&1 \
    || { log "the cluster did not start"; cat "$work/cluster.out" >&2; exit 1; }
  node_pids=()
  for n in a b c; do node_pids+=("$(cat "$POSTERN_CLUSTER_DIR/$n.pid")"); pids+=("$(cat "$POSTERN_CLUSTER_DIR/$n.pid")"); done
  target="127.0.0.1:2525"
}

stop_nodes() {
  for p in "${node_pids[@]}"; do stop_pid "$p" 30; done
  rm -rf "$work/cluster" "$work/one"
}

declare -A fact
run_load() { # tag
  local tag="$1" c0=0 c1=0 s0 s1 t0 t1 lg p lcpu=0 before
  for p in "${node_pids[@]}"; do c0=$(python3 -c "print($c0 + $(cpu_s "$p"))"); done
  s0=$(cpu_s "$sink_pid"); before=$(sink_count); before=${before:-0}
  t0=$(date +%s.%N)
  java -Xmx1g -jar "$jar" loadgen --target "$target" --sessions "$SESSIONS" --messages 100000000 \
    --size 4096 --starttls "$STARTTLS" --duration "${RUN_SECONDS}s" --warmup "${WARMUP}s" --quiet --json \
    > "$work/load-$tag.json" &
  lg=$!
  while kill -0 "$lg" 2>/dev/null; do lcpu=$(cpu_s "$lg"); sleep 0.5; done
  wait "$lg" || true
  t1=$(date +%s.%N)
  local accepted td=""
  accepted=$(json "$work/load-$tag.json" "r['messages']['ok']")
  if [ "$DEFER" != 1 ]; then
    # Drain: at most 60 s until the sink has everything accepted.
    for _ in $(seq 1 600); do
      if [ "$(( $(sink_count) - before ))" -ge "$accepted" ] 2>/dev/null; then td=$(date +%s.%N); break; fi
      sleep 0.1
    done
  fi
  for p in "${node_pids[@]}"; do c1=$(python3 -c "print($c1 + $(cpu_s "$p"))"); done
  s1=$(cpu_s "$sink_pid")
  fact[$tag,rate]=$(json "$work/load-$tag.json" "'%.0f' % r['throughput']['messagesPerSecond']")
  fact[$tag,lat]=$(json "$work/load-$tag.json" "' / '.join('%s' % round(r['latencyMillis']['dataTo250'][k], 1) for k in ('p50','p90','p99','max'))")
  fact[$tag,accepted]=$accepted
  fact[$tag,failed]=$(json "$work/load-$tag.json" "r['messages']['failed']")
  if [ "$DEFER" = 1 ]; then
    fact[$tag,sustained]="(deferred)"
  elif [ -n "$td" ]; then
    fact[$tag,sustained]=$(python3 -c "print('%.0f' % ($accepted / ($td - $t0)))")
  else
    fact[$tag,sustained]="not drained in 60 s"
  fi
  local n=$(( accepted > 0 ? accepted : 1 ))
  fact[$tag,cpu]=$(python3 -c "print('%.2f / %.2f / %.2f' % (($c1 - $c0) * 1000 / $n, $lcpu * 1000 / $n, ($s1 - $s0) * 1000 / $n))")
  log "$tag: ${fact[$tag,rate]} msg/s accepted, sustained ${fact[$tag,sustained]}, DATA-to-250 ${fact[$tag,lat]} ms"
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
start_sink
for topo in $TOPOLOGIES; do
  log "$topo: $SESSIONS sessions, STARTTLS=$STARTTLS, ${RUN_SECONDS}s"
  case "$topo" in
    one) start_one ;;
    three) if [ "$replicas" = yes ]; then start_three --set queue.replicas=0; else start_three; fi ;;
    three_replicas) start_three --set queue.replicas=1 ;;
    *) log "unknown topology $topo"; exit 2 ;;
  esac
  # The JIT compiles for half a minute after a node starts; the measured run starts after it.
  log "$topo: warm-up load, ${WARM_SECONDS}s"
  java -Xmx1g -jar "$jar" loadgen --target "$target" --sessions "$SESSIONS" --messages 100000000 --size 4096 \
    --starttls "$STARTTLS" --duration "${WARM_SECONDS}s" --quiet --json > "$work/warm-$topo.json" 2>/dev/null || true
  # The warm-up's mail is delivered before the measured run, so that run pays for its own mail only:
  # wait until the sink's count has not moved for 3 s (at most 60 s).
  last=-1; still=0
  for _ in $(seq 1 60); do
    now=$(sink_count); now=${now:-0}
    if [ "$now" = "$last" ]; then still=$((still + 1)); [ "$still" -ge 3 ] && break; else still=0; fi
    last=$now; sleep 1
  done
  run_load "$topo"
  stop_nodes
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$(dirname "$out")"
{
  echo "# One node against three, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); spool on $(df -T "$work" | awk 'NR==2{print $2}'); $(java -version 2>&1 | head -1)."
  echo "Load average at start / end: $load_start / $load_end. Every node, the load generator and the sink share the cores."
  echo
  echo "Command: \`deploy/bench/cluster.sh\` (SESSIONS=$SESSIONS, RUN_SECONDS=$RUN_SECONDS, WARMUP=$WARMUP,"
  echo "STARTTLS=$STARTTLS, DEFER=$DEFER). 4 KB messages, 250 after fsync on the queue node;"
  echo "$( [ "$DEFER" = 1 ] && echo "queue.defer_deliveries=yes: nothing is delivered" || echo "outbound STARTTLS to the sink")."
  echo
  echo "| topology | accepted msg/s | sustained msg/s (until delivered) | DATA-to-250 p50 / p90 / p99 / max ms | failed | CPU ms per message: nodes / load generator / sink |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for topo in $TOPOLOGIES; do
    case "$topo" in
      one) name="one node, every role" ;;
      three) name="three nodes: a inbound+policy, b and c queue+outbound+policy" ;;
      three_replicas) name="three nodes, queue.replicas=1" ;;
    esac
    echo "| $name | ${fact[$topo,rate]} | ${fact[$topo,sustained]} | ${fact[$topo,lat]} | ${fact[$topo,failed]} | ${fact[$topo,cpu]} |"
  done
  if [ "$replicas" = no ]; then
    echo "| three nodes, queue.replicas=1 | not run: this build has no queue.replicas | | | | |"
  fi
  echo
  for topo in $TOPOLOGIES; do echo "- $topo: ${fact[$topo,accepted]} messages accepted."; done
} > "$out"
cat "$out"
