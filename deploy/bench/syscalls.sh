#!/usr/bin/env bash
# deploy/bench/syscalls.sh: system calls per relayed message, counted with `strace -f` on a node
# under load. Not part of `mvn verify`.
#
#   deploy/bench/syscalls.sh                          the jar of this checkout
#   JARS="old=/path/old.jar new=/path/new.jar" deploy/bench/syscalls.sh   two builds, same run
#
# For each jar: a `postern loadgen sink` (plaintext), a node with every role delivering to it, a
# warm-up of WARMUP (1500) messages, then `strace -f -C` attached to the node while `postern
# loadgen` sends MESSAGES (3000) 4 KB plaintext messages over SESSIONS (100) sessions, PER_SESSION
# (20) per connection, until the node has removed every one of them (delivered). Printed per
# message: fsync + fdatasync, files created (openat with O_CREAT that succeeded), failed stat calls
# (statx, newfstatat, stat, lstat, access returning an error), openat, unlink, rename, write,
# futex. strace slows the node down many times over: the counts are what matters, not the time.
# Before the traced load, the same load untraced gives the node's CPU per message and the rate
# from the first connection until the last delivery.
#
# Loopback only; every load is bounded in count and time; a watchdog ends the script after 15
# minutes. Environment: MESSAGES, WARMUP, SESSIONS, PER_SESSION, NODE_PORT (25550), SINK_PORT (25551).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
JARS="${JARS:-new=$root/services/node/target/postern.jar}"
MESSAGES="${MESSAGES:-3000}"
WARMUP="${WARMUP:-1500}"
SESSIONS="${SESSIONS:-100}"
PER_SESSION="${PER_SESSION:-20}"
NODE_PORT="${NODE_PORT:-25550}"
SINK_PORT="${SINK_PORT:-25551}"
log() { echo "[syscalls] $*" >&2; }
# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"
command -v strace >/dev/null || { log "needs strace"; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/postern-syscalls.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
( sleep 900 >/dev/null 2>&1; log "watchdog: 15 minutes reached, stopping"; kill -TERM $$ ) >/dev/null & pids+=($!)

removed() { grep -c ': removed$' "$1" 2>/dev/null || true; }

await_removed() { # log count seconds
  local i
  for i in $(seq 1 $(( $3 * 4 ))); do
    [ "$(removed "$1")" -ge "$2" ] && return 0
    sleep 0.25
  done
  log "only $(removed "$1") of $2 messages delivered within $3 s"
  return 1
}

load() { # jar count
  java -Xmx512m -jar "$1" loadgen --target "127.0.0.1:$NODE_PORT" --sessions "$SESSIONS" --messages "$2" \
    --per-session "$PER_SESSION" --size 4096 --starttls never --duration 5m --quiet --json > "$work/load.json"
}

printf '| build | messages | node CPU ms/msg (no strace) | msg/s accept to delivery (no strace) | fsync+fdatasync | files created | failed stat | openat | unlink | rename | write | futex |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for pair in $JARS; do
  tag="${pair%%=*}"
  jar="${pair#*=}"
  java -Xmx512m -jar "$jar" loadgen sink --listen "$SINK_PORT" --duration 10m > "$work/sink-$tag.out" 2>&1 &
  sink=$!; pids+=("$sink")
  java -Xmx1g -jar "$jar" run --set "inbound.listeners=127.0.0.1:$NODE_PORT may" \
    --set "node.admin_listen=" --set "node.data_dir=$work/data-$tag" --set "queue.spool_dir=$work/spool-$tag" \
    --set "node.log=$work/node-$tag.log" --set "inbound.max_connections_per_ip=1000" --set "inbound.dns_timeout=0" \
    --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT" > "$work/node-$tag.out" 2>&1 &
  node=$!; pids+=("$node")
  wait_line "$work/node-$tag.log" "node started" 60 "$node"
  load "$jar" "$WARMUP"
  await_removed "$work/node-$tag.log" "$WARMUP" 120
  # CPU per message without strace, from accept to delivery (a busy machine makes it noisy).
  c0=$(cpu_ticks "$node"); t0=$(date +%s.%N)
  load "$jar" "$MESSAGES"
  await_removed "$work/node-$tag.log" $(( WARMUP + MESSAGES )) 300
  c1=$(cpu_ticks "$node"); t1=$(date +%s.%N)
  cpu_ms=$(python3 -c "print('%.2f' % (($c1 - $c0) * 1000.0 / $ticks / $MESSAGES))")
  rate=$(python3 -c "print('%.0f' % ($MESSAGES / ($t1 - $t0)))")
  strace -f -C -qq -o "$work/strace-$tag.txt" -p "$node" &
  tracer=$!; pids+=("$tracer")
  sleep 2 # attached to every thread before the load starts
  load "$jar" "$MESSAGES"
  await_removed "$work/node-$tag.log" $(( WARMUP + 2 * MESSAGES )) 300
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
  stop_pid "$node" 20
  stop_pid "$sink" 5
  python3 - "$work/strace-$tag.txt" "$MESSAGES" "$tag" "$cpu_ms" "$rate" <<'PY'
import re, sys
path, n, tag, cpu_ms, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
calls, errors = {}, {}
created = 0
in_summary = False
for line in open(path, errors='replace'):
    if line.startswith('% time'):
        in_summary = True
        continue
    if in_summary:
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit():
            name = f[-1]
            calls[name] = int(f[3])
            errors[name] = int(f[4]) if len(f) == 6 else 0
        continue
    if 'openat(' in line and 'O_CREAT' in line and not re.search(r'= -1 ', line) and 'resumed' not in line:
        created += 1
    elif '<... openat resumed>' in line and not re.search(r'= -1 ', line):
        pass
def per(*names):
    return sum(calls.get(x, 0) for x in names) / n
failed_stat = sum(errors.get(x, 0) for x in ('statx', 'newfstatat', 'stat', 'lstat', 'access', 'faccessat', 'faccessat2')) / n
print('| %s | %d | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |' % (tag, n, cpu_ms, rate, per('fsync', 'fdatasync'),
      created / n, failed_stat, per('openat'), per('unlink', 'unlinkat'), per('rename', 'renameat', 'renameat2'),
      per('write', 'writev', 'pwrite64'), per('futex')))
PY
done
