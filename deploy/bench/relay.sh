#!/usr/bin/env bash
# deploy/bench/relay.sh: the end-to-end relay rate, inbound STARTTLS -> queue (fsync) -> outbound
# STARTTLS -> a sink, with the OpenSSL and the JDK engine in the same run, then the latency at
# half the OpenSSL run's rate. Not part of `mvn verify`.
#
#   deploy/bench/relay.sh        about 3 minutes; writes deploy/bench/results/relay-<date>.md
#
# For each engine: a `postern loadgen sink --starttls` (always OpenSSL), a node with every role
# (tls.engine=<engine> for both its listener and its deliveries, outbound.transport to the sink),
# and `postern loadgen` with SESSIONS (100) concurrent STARTTLS sessions sending 4 KB messages
# (PER_SESSION, 20, per connection, so every 20 messages cost a new handshake) for RUN_SECONDS.
# The relay rate is sustained: every message the node accepted, divided by the time from the
# load's start until the sink had received them all (the node accepts faster than it delivers
# while both compete for the cores, so the rate while loading overstates what it can keep up;
# the drain time is how long it took, after the load stopped, to deliver the rest). The latency
# run offers half of that sustained rate. CPU seconds of node, load generator and sink come from /proc/<pid>/stat.
#
# Loopback only; every run is bounded in time; a watchdog ends the script after 10 minutes.
# Environment: SESSIONS, PER_SESSION, RUN_SECONDS (20), WARMUP (4), NODE_PORT (25450),
# SINK_PORT (25451), ENGINES ("openssl jdk").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
SESSIONS="${SESSIONS:-100}"
PER_SESSION="${PER_SESSION:-20}"
RUN_SECONDS="${RUN_SECONDS:-20}"
WARMUP="${WARMUP:-4}"
NODE_PORT="${NODE_PORT:-25450}"
SINK_PORT="${SINK_PORT:-25451}"
ENGINES="${ENGINES:-openssl jdk}"
out="$here/results/relay-$(date -u +%Y-%m-%d).md"
log() { echo "[relay-bench] $*" >&2; }
cpu_s() { awk -v t="$ticks" '{printf "%.1f", ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"
bench_init relay-bench

# The sink's counts, one timestamped line per second: "epoch messages".
sink_counts() { sed -n 's/^\([0-9.]*\) .*messages \([0-9]*\) .*/\1 \2/p' "$1"; }
# Messages the sink had at a given time (the last sample at or before it).
count_at() { sink_counts "$1" | awk -v t="$2" '$1 <= t {c = $2} END {print c + 0}'; }

start_pair() { # engine tag -> sets sink_pid node_pid
  local engine="$1" tag="$2"
  java -Xmx1g -jar "$jar" loadgen sink --listen "$SINK_PORT" --starttls --interval 1s --duration 5m \
    2> >(while IFS= read -r l; do echo "$(date +%s.%N) $l"; done > "$work/sink-$tag.log") > "$work/sink-$tag.out" &
  sink_pid=$!; pids+=("$sink_pid")
  java -Xmx2g -jar "$jar" run --set "inbound.listeners=127.0.0.1:$NODE_PORT may" \
    --set "node.admin_listen=" --set "node.data_dir=$work/data-$tag" --set "queue.spool_dir=$work/spool-$tag" \
    --set "node.log=$work/node-$tag.log" --set "tls.engine=$engine" \
    --set "inbound.max_connections_per_ip=1000" --set "inbound.dns_timeout=0" \
    --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT" > "$work/node-$tag.out" 2>&1 &
  node_pid=$!; pids+=("$node_pid")
  for _ in $(seq 1 150); do grep -q "node started" "$work/node-$tag.log" 2>/dev/null && break; sleep 0.3; done
  grep -q "node started" "$work/node-$tag.log" || { log "node did not start"; cat "$work/node-$tag.out" >&2; exit 1; }
}

stop_pair() {
  kill -TERM "$node_pid" "$sink_pid" 2>/dev/null || true
  wait "$node_pid" "$sink_pid" 2>/dev/null || true
}


declare -A fact
run_load() { # tag extra-loadgen-args...
  local tag="$1"; shift
  local n0 l0 s0 t0 t1 lg
  n0=$(cpu_s "$node_pid"); s0=$(cpu_s "$sink_pid")
  t0=$(date +%s.%N)
  java -Xmx1g -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions "$SESSIONS" --messages 100000000 \
    --per-session "$PER_SESSION" --size 4096 --starttls always --duration "${RUN_SECONDS}s" --warmup "${WARMUP}s" \
    --quiet --json "$@" > "$work/load-$tag.json" &
  lg=$!
  local lcpu=0
  while kill -0 "$lg" 2>/dev/null; do lcpu=$(cpu_s "$lg"); sleep 0.5; done
  wait "$lg" || true
  t1=$(date +%s.%N)
  local accepted
  accepted=$(json "$work/load-$tag.json" "r['messages']['ok']")
  # Drain: wait (at most 60 s) until the sink has everything the node accepted.
  local td=""
  for _ in $(seq 1 600); do
    if [ "$(sink_counts "$work/sink-$tag.log" | tail -1 | cut -d' ' -f2)" -ge "$accepted" ] 2>/dev/null; then
      td=$(date +%s.%N); break
    fi
    sleep 0.1
  done
  local m0 m1
  m0=$(count_at "$work/sink-$tag.log" "$(python3 -c "print($t0 + $WARMUP)")")
  m1=$(count_at "$work/sink-$tag.log" "$t1")
  fact[$tag,accepted_rate]=$(json "$work/load-$tag.json" "'%.0f' % r['throughput']['messagesPerSecond']")
  fact[$tag,during]=$(python3 -c "print('%.0f' % (($m1 - $m0) / max(0.1, $t1 - ($t0 + $WARMUP))))")
  # Sustained: everything accepted, from the first connection until the sink had it all.
  fact[$tag,relay_rate]=$( [ -n "$td" ] && python3 -c "print('%.0f' % ($accepted / ($td - $t0)))" || echo 0)
  fact[$tag,drain]=$( [ -n "$td" ] && python3 -c "print('%.1f s' % ($td - $t1))" || echo "not within 60 s")
  fact[$tag,accepted]=$accepted
  fact[$tag,failed]=$(json "$work/load-$tag.json" "r['messages']['failed']")
  fact[$tag,lat]=$(json "$work/load-$tag.json" "' / '.join('%s' % round(r['latencyMillis']['dataTo250'][k], 1) for k in ('p50','p90','p99','max'))")
  fact[$tag,hs]=$(json "$work/load-$tag.json" "' / '.join('%s' % round(r['latencyMillis']['tlsHandshake'][k], 1) for k in ('p50','p99'))")
  fact[$tag,node_cpu]=$(python3 -c "print('%.1f' % ($(cpu_s "$node_pid") - $n0))")
  fact[$tag,sink_cpu]=$(python3 -c "print('%.1f' % ($(cpu_s "$sink_pid") - $s0))")
  fact[$tag,load_cpu]=$lcpu
  fact[$tag,seconds]=$(python3 -c "print('%.1f' % ($t1 - $t0))")
  log "$tag: accepted ${fact[$tag,accepted_rate]} msg/s, delivered while loading ${fact[$tag,during]} msg/s, sustained ${fact[$tag,relay_rate]} msg/s, drain ${fact[$tag,drain]}"
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for engine in $ENGINES; do
  log "engine $engine: ${SESSIONS} sessions, ${RUN_SECONDS}s"
  start_pair "$engine" "$engine"
  fact[$engine,engine]=$(sed -n 's/.*TLS engine: //p' "$work/node-$engine.log" | head -1)
  run_load "$engine"
  stop_pair
done
first="${ENGINES%% *}"
half=$(python3 -c "print('%.0f' % (float('${fact[$first,relay_rate]}') / 2))")
log "latency at half the $first rate: --rate $half"
start_pair "$first" half
run_load half --rate "$half"
stop_pair
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$here/results"
{
  echo "# End-to-end relay rate, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); spool on $(df -T "$work" | awk 'NR==2{print $2}'); $(java -version 2>&1 | head -1)."
  echo "Load average at start / end: $load_start / $load_end. Load generator, node and sink share the cores."
  echo
  echo "Command: \`deploy/bench/relay.sh\` (SESSIONS=$SESSIONS, PER_SESSION=$PER_SESSION, RUN_SECONDS=$RUN_SECONDS,"
  echo "WARMUP=$WARMUP). 4 KB messages; inbound STARTTLS on every session (a new handshake every $PER_SESSION"
  echo "messages), 250 after fsync, outbound STARTTLS to the sink (opportunistic level)."
  echo
  echo "| node engine | accepted msg/s (while loading) | delivered msg/s while loading | sustained relay msg/s | drain after the load | DATA-to-250 p50 / p90 / p99 / max ms | TLS handshake p50 / p99 ms | failed | CPU s node / load generator / sink |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for tag in $ENGINES half; do
    name="${fact[$tag,engine]:-${fact[$first,engine]}}"
    [ "$tag" = half ] && name="$name offered --rate $half (half the first row's sustained rate)"
    echo "| $name | ${fact[$tag,accepted_rate]} | ${fact[$tag,during]} | ${fact[$tag,relay_rate]} | ${fact[$tag,drain]} | ${fact[$tag,lat]} | ${fact[$tag,hs]} | ${fact[$tag,failed]} | ${fact[$tag,node_cpu]} / ${fact[$tag,load_cpu]} / ${fact[$tag,sink_cpu]} |"
  done
  echo
  for e in $ENGINES; do
    echo "- $e: ${fact[$e,accepted]} messages accepted in ${fact[$e,seconds]} s."
  done
  if [ "$(echo "$ENGINES" | wc -w)" -ge 2 ]; then
    second=$(echo "$ENGINES" | awk '{print $2}')
    echo "- Sustained relay rate, $first against $second: $(python3 -c "print('%.2fx' % (float('${fact[$first,relay_rate]}') / max(1.0, float('${fact[$second,relay_rate]}'))))")."
  fi
} > "$out"
cat "$out"
