# deploy/bench/lib.sh: helpers shared by the benchmark scripts (sourced, never run).
# The caller defines log() and, before using wait_line or stop_pid, nothing else.

ticks=$(getconf CLK_TCK)
# utime + stime from a stat file. The name in brackets may hold spaces ("C2 CompilerThre"), so
# fields are counted after its closing bracket: state is the first there, utime the 12th.
stat_ticks() { sed 's/.*) //' "$1" | awk '{print $12 + $13}'; }
cpu_ticks() { stat_ticks "/proc/$1/stat"; }
json() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

wait_line() { # file pattern seconds pid
  local i
  for i in $(seq 1 $(( $3 * 4 ))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || { log "process $4 exited; tail of $1:"; tail -5 "$1" >&2 || true; return 1; }
    sleep 0.25
  done
  log "timed out after $3 s waiting for '$2' in $1"
  return 1
}

stop_pid() { # pid seconds
  kill -TERM "$1" 2>/dev/null || return 0
  local i
  for i in $(seq 1 $(( $2 * 4 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$1" 2>/dev/null || true
}

thread_ticks() { # pid out-file: "tid ticks name" per thread
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(stat_ticks "$t/stat" 2>/dev/null || echo 0)" "$(tr ' ' '_' < "$t/comm" 2>/dev/null)"
  done > "$2"
}

busiest_thread() { # before after: "seconds name" of the thread that used the most CPU in between
  python3 - "$1" "$2" "$ticks" <<'PY'
import sys
def load(p):
    d = {}
    for line in open(p):
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            d[parts[0]] = (int(parts[1]), parts[2])
    return d
a, b, hz = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
best = max(((t - a.get(tid, (0, n))[0], n) for tid, (t, n) in b.items()), default=(0, "?"))
print(round(best[0] / hz, 2), best[1])
PY
}

threads_cpu() { # before after name-prefix: CPU seconds, in between, of all threads whose name starts so
  python3 - "$1" "$2" "$ticks" "$3" <<'PY'
import sys
def load(p):
    d = {}
    for line in open(p):
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            d[parts[0]] = (int(parts[1]), parts[2])
    return d
a, b, hz, prefix = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(round(sum(t - a.get(tid, (0, n))[0] for tid, (t, n) in b.items() if n.startswith(prefix)) / hz, 2))
PY
}

bench_init() { # name [watchdog-seconds]: builds the jar if needed, then sets work (a fresh temp
  # dir), jar (a private copy: a rebuild during the run must not change classes under running JVMs)
  # and pids (killed on exit with the work dir, unless KEEP_WORK=1), and starts a watchdog (10
  # minutes unless told otherwise).
  if [ ! -f "$jar" ] || ! java -jar "$jar" loadgen --help >/dev/null 2>&1; then
    log "building $jar"
    (cd "$root" && mvn -B -q -DskipTests package -pl services/node -am) >&2
  fi
  work="$(mktemp -d "${TMPDIR:-/tmp}/postern-$1.XXXXXX")"
  cp "$jar" "$work/postern.jar"
  jar="$work/postern.jar"
  pids=()
  trap bench_cleanup EXIT
  local limit="${2:-600}"
  # The sleep is the watchdog's own child: bench_cleanup's kill reaches the subshell, whose trap then
  # ends the sleep too (an orphaned sleep would hold the caller's stdout open until it ran out).
  ( sleep "$limit" & s=$!; trap 'kill "$s" 2>/dev/null; exit 0' TERM; wait "$s"
    log "watchdog: $limit s reached, stopping"; kill -TERM $$ ) & pids+=($!)
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
