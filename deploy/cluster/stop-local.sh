#!/usr/bin/env bash
# stop-local.sh: stops the nodes start-local.sh started (SIGTERM, by their recorded pids), and waits.
# Acknowledged mail stays in $POSTERN_CLUSTER_DIR/{b,c}/spool and is delivered after the next start.
set -euo pipefail
dir="${POSTERN_CLUSTER_DIR:-/tmp/postern-cluster}"
for n in a b c; do
  f="$dir/$n.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "node $n (pid $pid) did not stop within 30 s" >&2
    else
      echo "node $n stopped"
    fi
  fi
  rm -f "$f"
done
