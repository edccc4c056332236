#!/usr/bin/env bash
# deploy/bench/warmup.sh: what a fresh node costs over its first messages, against the same process
# once warm, for several JVM set-ups in the same run. Not part of `mvn verify`.
#
#   deploy/bench/warmup.sh                  about 8 minutes; writes deploy/bench/results/warmup-<date>.md
#   STARTTLS=never deploy/bench/warmup.sh   plaintext; writes results/warmup-<date>-plaintext.md
#
# For each set-up (VARIANTS) and round (REPEAT): a fresh node with every role, relaying to a
# `postern loadgen sink --starttls`; `postern loadgen` sends MESSAGES (5,000) 4 KB messages over
# SESSIONS (100) concurrent sessions (PER_SESSION, 20, per connection, STARTTLS as STARTTLS says),
# waits until the sink has them all, and does it again on the same node. The node's CPU
# (utime + stime from /proc/<pid>/stat) over each batch, from the first connection until the sink
# had every message, divided by the messages: "cold" is the first batch, "warm" the second, and the
# ratio cold / warm is the figure (the target: at most 1.25). The start itself (JVM, config,
# certificate, listeners) is counted apart. The JIT's share is the CPU of the C1/C2 compiler
# threads over the batch (a compiler thread the JVM retires in between takes its ticks with it).
#
# Set-ups: default (the JVM as deploy/postern starts it), cds (an AppCDS archive of the classes a
# node loaded while relaying, made by a training node at the start of the run with
# -XX:ArchiveClassesAtExit and used with -XX:SharedArchiveFile), noshare (-Xshare:off: not even the
# JDK's own class archive, to show what class loading costs), c1 (-XX:TieredStopAtLevel=1: no C2,
# shown for what the JIT costs; not a fix, C2's code is faster once compiled) and notiered
# (-XX:-TieredCompilation: the interpreter until C2, without C1's profiled code in between).
#
# Loopback only; every load is bounded in messages and time; a watchdog ends the script after 10
# minutes. Environment: VARIANTS ("default cds c1"; noshare, notiered on request), REPEAT (3), MESSAGES (5000),
# SESSIONS (100), PER_SESSION (20), STARTTLS (always|never, default always), NODE_PORT (25470),
# SINK_PORT (25471).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
VARIANTS="${VARIANTS:-default cds c1}"
REPEAT="${REPEAT:-3}"
MESSAGES="${MESSAGES:-5000}"
SESSIONS="${SESSIONS:-100}"
PER_SESSION="${PER_SESSION:-20}"
STARTTLS="${STARTTLS:-always}"
NODE_PORT="${NODE_PORT:-25470}"
SINK_PORT="${SINK_PORT:-25471}"
out="$here/results/warmup-$(date -u +%Y-%m-%d)$([ "$STARTTLS" = never ] && echo -plaintext || true).md"
log() { echo "[warmup-bench] $*" >&2; }

# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"
bench_init warmup-bench

java -jar "$jar" loadgen sink --listen "$SINK_PORT" --starttls --interval 200ms --duration 10m \
  2> "$work/sink.log" > "$work/sink.out" &
sink_pid=$!; pids+=("$sink_pid")
sunk() { sed -n 's/.* messages \([0-9]*\) .*/\1/p' "$work/sink.log" | tail -1; }

variant_opts() { # variant -> JVM options
  case "$1" in
    default) echo "" ;;
    cds) echo "-XX:SharedArchiveFile=$work/postern.jsa" ;;
    noshare) echo "-Xshare:off" ;;
    c1) echo "-XX:TieredStopAtLevel=1" ;;
    notiered) echo "-XX:-TieredCompilation" ;;
    *) log "unknown variant $1"; exit 2 ;;
  esac
}

start_node() { # tag jvm-options... -> sets node_pid
  local tag="$1"; shift
  # shellcheck disable=SC2068
  java $@ -jar "$jar" run --set "inbound.listeners=127.0.0.1:$NODE_PORT may" \
    --set "node.admin_listen=" --set "node.data_dir=$work/data-$tag" --set "queue.spool_dir=$work/spool-$tag" \
    --set "node.log=$work/node-$tag.log" --set "inbound.max_connections_per_ip=1000" --set "inbound.dns_timeout=0" \
    --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT" > "$work/node-$tag.out" 2>&1 &
  node_pid=$!; pids+=("$node_pid")
  wait_line "$work/node-$tag.log" "node started" 60 "$node_pid"
}

stop_node() {
  stop_pid "$node_pid" 30
  wait "$node_pid" 2>/dev/null || true
}

batch() { # tag -> prints "messages node-ticks compiler-ticks"
  local tag="$1" s0 c0 ok
  s0=$(sunk); c0=$(cpu_ticks "$node_pid")
  thread_ticks "$node_pid" "$work/threads-$tag-0"
  java -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions "$SESSIONS" --messages "$MESSAGES" \
    --per-session "$PER_SESSION" --size 4096 --starttls "$STARTTLS" --duration 120s --quiet --json \
    > "$work/load-$tag.json" || true
  ok=$(json "$work/load-$tag.json" "r['messages']['ok']")
  local i
  for i in $(seq 1 600); do # at most 60 s for the node to deliver what it accepted
    [ "$(( $(sunk) - s0 ))" -ge "$ok" ] && break
    sleep 0.1
  done
  [ "$(( $(sunk) - s0 ))" -ge "$ok" ] || log "$tag: the sink got $(( $(sunk) - s0 )) of $ok within 60 s"
  local c1; c1=$(cpu_ticks "$node_pid")
  thread_ticks "$node_pid" "$work/threads-$tag-1"
  local c1s c2s
  c1s=$(threads_cpu "$work/threads-$tag-0" "$work/threads-$tag-1" C1_Compiler)
  c2s=$(threads_cpu "$work/threads-$tag-0" "$work/threads-$tag-1" C2_Compiler)
  echo "$ok $(( c1 - c0 )) $(python3 -c "print(round(($c1s + $c2s) * $ticks))")"
}

if [[ " $VARIANTS " == *" cds "* ]]; then
  # The training node: the same work as a measured one, then a clean stop, at which the JVM
  # writes every class it loaded (beyond the JDK's own archive) into the archive.
  log "cds: training node, $MESSAGES messages twice, archive at exit"
  start_node train "-XX:ArchiveClassesAtExit=$work/postern.jsa"
  batch train-1 > /dev/null; batch train-2 > /dev/null
  stop_node
  [ -s "$work/postern.jsa" ] || { log "no archive written; tail of the node's output:"; tail -5 "$work/node-train.out" >&2; exit 1; }
  log "cds: archive $(du -h "$work/postern.jsa" | cut -f1)"
fi

declare -A rows
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$REPEAT"); do
  for v in $VARIANTS; do
    tag="$v-$round"
    # shellcheck disable=SC2046
    start_node "$tag" $(variant_opts "$v")
    start_ticks=$(cpu_ticks "$node_pid")
    read -r n1 t1 j1 < <(batch "$tag-cold")
    read -r n2 t2 j2 < <(batch "$tag-warm")
    stop_node
    if grep -qi "sharing.*disabled\|could not\|mismatch" "$work/node-$tag.out"; then
      log "$tag: the JVM said: $(grep -i "sharing\|mismatch" "$work/node-$tag.out" | head -2)"
    fi
    row=$(python3 - "$n1" "$t1" "$j1" "$n2" "$t2" "$j2" "$start_ticks" "$ticks" <<'PY'
import sys
n1, t1, j1, n2, t2, j2, st, hz = map(float, sys.argv[1:])
us = lambda t, n: 1e6 * t / hz / max(n, 1)
print("%.0f %.0f %.3f %.0f %.0f %.1f" % (us(t1, n1), us(t2, n2), (t1 / max(n1, 1)) / max(t2 / max(n2, 1), 1e-9),
                                         us(j1, n1), us(j2, n2), st / hz))
PY
)
    rows[$v]+="$row;"
    log "$tag: cold / warm µs per message, ratio, compiler µs cold / warm, start s: $row (messages $n1 + $n2)"
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$here/results"
{
  echo "# Warm-up: a fresh node's first messages against the same node warm, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1). Load average at start / end: $load_start / $load_end."
  echo "Node, load generator and sink share the cores."
  echo
  echo "Command: \`deploy/bench/warmup.sh\` (MESSAGES=$MESSAGES, SESSIONS=$SESSIONS, PER_SESSION=$PER_SESSION,"
  echo "STARTTLS=$STARTTLS, REPEAT=$REPEAT). 4 KB messages, inbound STARTTLS $STARTTLS, 250 after fsync,"
  echo "outbound STARTTLS to the sink. Node CPU per message from the first connection until the sink had every message."
  echo
  echo "| JVM set-up | cold µs/msg | warm µs/msg | cold / warm (median, range) | compiler threads µs/msg cold / warm | start, CPU s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for v in $VARIANTS; do
    python3 - "$v" "${rows[$v]}" <<'PY'
import sys, statistics as st
v, raw = sys.argv[1], sys.argv[2]
runs = [list(map(float, r.split())) for r in raw.split(";") if r.strip()]
col = lambda i: [r[i] for r in runs]
m = lambda i: st.median(col(i))
print("| %s | %.0f | %.0f | **%.2f** (%.2f to %.2f) | %.0f / %.0f | %.1f |" % (
    v, m(0), m(1), m(2), min(col(2)), max(col(2)), m(3), m(4), m(5)))
PY
  done
  echo
  echo "Each row: the median of $REPEAT fresh nodes (rounds interleave the set-ups, so that the machine's"
  echo "load falls on all of them alike); every run's figures are in the script's log."
} > "$out"
cat "$out"
