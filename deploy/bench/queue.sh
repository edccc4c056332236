#!/usr/bin/env bash
# deploy/bench/queue.sh: the durable queue's acceptance rate, group commit on and off. Not part of
# `mvn verify`.
#
#   deploy/bench/queue.sh        about 5 minutes; writes deploy/bench/results/queue-<date>.md
#
# Messages accepted per second (250 only after message and envelope are fsync'd, file and
# directory) at 1, 10 and 100 concurrent plaintext sessions with 4 KB messages, with group commit
# (queue.max_commit_batch=256, the default) and without it (queue.max_commit_batch=1: one round
# of fsyncs per message, the old way), in the same run on the same disk; plus the share of the
# node's time spent in fsync, from the figures the queue logs when it stops.
#
# Loopback only; every load is bounded in time; a watchdog ends the script after 15 minutes.
# Environment: RUN_SECONDS (12, of which 2 s warm-up), REPEAT (3 rounds; medians are reported),
# NODE_PORT (25350),
# SPOOL_PARENT (a directory on the disk to measure; default: a temp dir),
# JOURNALED=1 (root only: the spool goes on a fresh ext4 with its default journal, made in an 8 GiB
# sparse file on a loop device and removed afterwards; results go to queue-journaled-<date>.md).
# A journaled file system is what most servers run: there an fsync waits for a journal commit,
# while this machine's root file system has no journal and syncs a file in about 0.4 ms.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
RUN_SECONDS="${RUN_SECONDS:-12}"
REPEAT="${REPEAT:-3}"
NODE_PORT="${NODE_PORT:-25350}"
out="$here/results/queue-$(date -u +%Y-%m-%d).md"
log() { echo "[queue-bench] $*" >&2; }
# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"

if [ ! -f "$jar" ] || ! java -jar "$jar" loadgen --help >/dev/null 2>&1; then
  log "building $jar"
  (cd "$root" && mvn -B -q -DskipTests package -pl services/node -am) >&2
fi
img=""
mnt=""
fs_note=""
if [ "${JOURNALED:-0}" = 1 ]; then
  [ "$(id -u)" = 0 ] || { log "JOURNALED=1 needs root, for the loop device"; exit 2; }
  img="$(mktemp "${TMPDIR:-/tmp}/postern-queue-ext4.XXXXXX")"
  mnt="$(mktemp -d "${TMPDIR:-/tmp}/postern-queue-mnt.XXXXXX")"
  # Sparse: only what the runs write takes room on the root disk (about 4 GiB per set-up here,
  # each set-up's spool removed once it is measured).
  truncate -s 8G "$img"
  mkfs.ext4 -q -F "$img"
  mount -o loop "$img" "$mnt"
  SPOOL_PARENT="$mnt"
  out="$here/results/queue-journaled-$(date -u +%Y-%m-%d).md"
  fs_note=" A fresh ext4 with its default journal (mkfs.ext4 defaults, mounted with defaults), in an 8 GiB sparse file on a loop device over the root disk."
fi
work="$(mktemp -d "${SPOOL_PARENT:-${TMPDIR:-/tmp}}/postern-queue-bench.XXXXXX")"
pids=()
node=""
cleanup() {
  for p in "${pids[@]}" $node; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  if [ -n "$mnt" ]; then umount "$mnt" || true; rmdir "$mnt" || true; fi
  if [ -n "$img" ]; then rm -f "$img"; fi
}
trap cleanup EXIT
( sleep 900 >/dev/null 2>&1; log "watchdog: 15 minutes reached, stopping"; kill -TERM $$ ) >/dev/null & pids+=($!)


declare -A rate fsync_ms measured cpu_node cpu_load
for batch in 256 1; do
  spool="$work/spool-$batch"
  # No outbound role and queue.defer_deliveries=yes: mail stays on disk with no delivery attempt
  # (without it, every message would also cost a failed attempt and its bookkeeping), so the
  # figure is durable acceptance alone.
  java -Xmx1g -jar "$jar" run --roles inbound,policy,queue --set "inbound.listeners=127.0.0.1:$NODE_PORT may" \
    --set "node.admin_listen=" --set "node.data_dir=$work/data-$batch" \
    --set "queue.spool_dir=$spool" --set "queue.max_commit_batch=$batch" --set "queue.defer_deliveries=yes" \
    --set "inbound.max_connections_per_ip=1000" --set "inbound.dns_timeout=0" --set "node.log=$work/node-$batch.log" &
  node=$!
  for _ in $(seq 1 100); do grep -q "node started" "$work/node-$batch.log" 2>/dev/null && break; sleep 0.3; done
  grep -q "node started" "$work/node-$batch.log" || { log "node did not start"; cat "$work/node-$batch.log" >&2; exit 1; }
  # Warm-up (JIT) before the first measured run, so the single-session figure is not a cold start.
  java -Xmx512m -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions 10 --messages 10000000 \
    --size 4096 --starttls never --duration 8s --quiet --json > /dev/null 2>&1 || true
  # Rounds of 1, 10 and 100 sessions, REPEAT times: this virtual machine's rates vary by 10 to 30%
  # from one run to the next, so each figure is the median of its runs, with their range.
  for round in $(seq 1 "$REPEAT"); do
    for n in 1 10 100; do
      log "max_commit_batch=$batch, $n session(s), ${RUN_SECONDS}s, round $round of $REPEAT"
      n0=$(cpu_ticks "$node")
      java -Xmx512m -jar "$jar" loadgen --target "127.0.0.1:$NODE_PORT" --sessions "$n" --messages 10000000 \
        --size 4096 --starttls never --duration "${RUN_SECONDS}s" --warmup 2s --quiet --json > "$work/run-$batch-$n.json" &
      lg=$!
      lcpu=0
      while kill -0 "$lg" 2>/dev/null; do lcpu=$(cpu_ticks "$lg" 2>/dev/null || echo "$lcpu"); sleep 0.5; done
      wait "$lg" || true
      ok=$(json "$work/run-$batch-$n.json" "r['messages']['ok']")
      # CPU per accepted message, node and load generator (both on these cores), in microseconds.
      cpu_node[$batch,$n]+=" $(python3 -c "print('%.0f' % (($(cpu_ticks "$node") - $n0) / $ticks * 1e6 / max(1, $ok)))")"
      cpu_load[$batch,$n]+=" $(python3 -c "print('%.0f' % ($lcpu / $ticks * 1e6 / max(1, $ok)))")"
      rate[$batch,$n]+=" $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('%.0f' % r['throughput']['messagesPerSecond'])" "$work/run-$batch-$n.json")"
    done
  done
  sleep 6 # the queue logs its group-commit figures every 5 s
  kill -TERM "$node"; wait "$node" 2>/dev/null || true
  line=$(grep "group commit:" "$work/node-$batch.log" | tail -1 || true)
  fsync_ms[$batch]=$(echo "$line" | sed -n 's/.* \([0-9]*\) ms in fsync.*/\1/p')
  measured[$batch]=$(echo "$line" | sed -n 's/.* over \([0-9]*\) s$/\1/p')
  node=""
  rm -rf "$spool" # room for the next set-up on a small file system
  echo "$line" > "$work/commit-$batch.txt"
done

median() { python3 -c "import statistics,sys; print('%.0f' % statistics.median(float(x) for x in sys.argv[1].split()))" "$1"; }
spread() { python3 -c "import sys; v=[float(x) for x in sys.argv[1].split()]; print('%.0f-%.0f' % (min(v), max(v)))" "$1"; }
share() { python3 -c "import sys; ms=float(sys.argv[1] or 0); s=float(sys.argv[2]); print('%.0f%%' % (100*ms/1000/s))" "$1" "$2"; }
ratio() { python3 -c "import sys; print('%.1fx' % (float(sys.argv[1])/max(1.0,float(sys.argv[2]))))" "$1" "$2"; }
mkdir -p "$here/results"
{
  echo "# Queue acceptance rate, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "spool on $(df -T "$work" | awk 'NR==2{print $2" ("$1")"}'); $(java -version 2>&1 | head -1).$fs_note"
  echo "Command: \`$([ "${JOURNALED:-0}" = 1 ] && echo "JOURNALED=1 ")deploy/bench/queue.sh\` (RUN_SECONDS=$RUN_SECONDS, REPEAT=$REPEAT). 4 KB messages, plaintext, 250 only after fsync."
  echo "Each figure is the median of $REPEAT runs, the range of the runs in brackets."
  echo
  echo "| sessions | group commit (msg/s) | one sync per message (msg/s) | gain | CPU µs per message, group commit: node + load generator |"
  echo "| ---: | ---: | ---: | ---: | ---: |"
  for n in 1 10 100; do
    g=$(median "${rate[256,$n]}"); o=$(median "${rate[1,$n]}")
    echo "| $n | $g ($(spread "${rate[256,$n]}")) | $o ($(spread "${rate[1,$n]}")) | $(ratio "$g" "$o") | $(median "${cpu_node[256,$n]}") + $(median "${cpu_load[256,$n]}") |"
  done
  echo
  echo "Scaling with group commit, 100 sessions against 1 (medians): $(ratio "$(median "${rate[256,100]}")" "$(median "${rate[256,1]}")");"
  echo "without it: $(ratio "$(median "${rate[1,100]}")" "$(median "${rate[1,1]}")")."
  echo
  echo "Time in fsync over the node's life (start-up and the three runs): $(share "${fsync_ms[256]}" "${measured[256]}") with group commit"
  echo "($(cat "$work/commit-256.txt" | sed 's/.*group commit: //')), $(share "${fsync_ms[1]}" "${measured[1]}") without"
  echo "($(cat "$work/commit-1.txt" | sed 's/.*group commit: //'))."
} > "$out"
cat "$out"
