#!/usr/bin/env bash
# deploy/bench/inbound.sh: benchmarks of the inbound listener. Not part of `mvn verify`.
#
#   deploy/bench/inbound.sh        about 4 minutes; writes deploy/bench/results/inbound-<date>.md
#
# What it measures, on this machine, over loopback only:
#   a) sessions held open at once (half of them with STARTTLS) and the node's memory per session:
#      VmRSS from /proc/<pid>/status and the heap after `jcmd <pid> GC.run`, idle vs. loaded;
#   b) STARTTLS handshakes per second with new sessions, OpenSSL (BoringSSL) engine vs. the JDK
#      engine (tls.engine=jdk), next to `openssl speed -seconds 3 ecdsap256`;
#   c) messages accepted per second (250 after the durable enqueue), plaintext vs. STARTTLS, at 1,
#      10 and 100 concurrent sessions with 4 KB messages.
#
# It starts (and stops, by PID) one `postern loadgen sink`, the node (`deploy/postern run`, log to
# a file, spool in a temp dir) and `postern loadgen` processes. Every step is bounded in count and
# time, and a watchdog ends the whole script after 15 minutes whatever happens.
#
# Environment (all optional):
#   HOLD_SESSIONS   sessions to hold in a)            (19000)
#   HS_CONNECTIONS  most handshakes per engine in b)  (100000: the run is time-bound)
#   HS_SECONDS      length of each run in b)          (20, of which 5 s warm-up)
#   ACC_SECONDS     length of each run in c)          (15, of which 3 s warm-up)
#   NODE_PORT, SINK_PORT                              (25250, 25260)
#   NODE_HEAP       the node's -Xmx                   (2g)
#   KEEP_WORK=1     keep the temp dir with every log and JSON report
#   REBUILD=1       rebuild the jar first
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
postern="$root/deploy/postern"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
HOLD_SESSIONS="${HOLD_SESSIONS:-19000}"
HS_CONNECTIONS="${HS_CONNECTIONS:-100000}"
HS_SECONDS="${HS_SECONDS:-20}"
ACC_SECONDS="${ACC_SECONDS:-15}"
NODE_PORT="${NODE_PORT:-25250}"
SINK_PORT="${SINK_PORT:-25260}"
NODE_HEAP="${NODE_HEAP:-2g}"
results="$here/results"
out="$results/inbound-$(date -u +%Y-%m-%d).md"
started_at=$(date +%s)

log() { echo "[bench +$(( $(date +%s) - started_at ))s] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"

command -v python3 >/dev/null || die "python3 is needed to read the JSON reports"
command -v jcmd >/dev/null || die "jcmd (JDK) is needed for GC.run and GC.heap_info"
command -v ss >/dev/null || die "ss (iproute2) is needed to count established sessions"

if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$jar" ] || ! java -jar "$jar" loadgen --help >/dev/null 2>&1; then
  log "building $jar (mvn package, tests skipped)"
  (cd "$root" && mvn -B -q -DskipTests package -pl services/node -am) >&2
fi

for p in "$NODE_PORT" "$SINK_PORT"; do
  if ss -Htln "( sport = :$p )" | grep -q .; then die "port $p is in use; set NODE_PORT / SINK_PORT"; fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/postern-bench.XXXXXX")"
# Every process runs from a private copy of the jar: a rebuild of services/node during the run
# would otherwise change classes under running JVMs.
cp "$jar" "$work/postern.jar"
export POSTERN_JAR="$work/postern.jar"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The watchdog: a hard bound on the whole script.
( sleep 900 & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s; log "watchdog: 15 minutes, stopping"; kill -TERM $$ ) 2>/dev/null &
pids+=($!)

facts="$work/facts.txt"
: > "$facts"
fact() { printf '%s=%s\n' "$1" "$2" >> "$facts"; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
heap_used_kb() { jcmd "$1" GC.heap_info | awk '{for (i = 1; i < NF; i++) if ($i == "used") {v = $(i + 1); gsub(/[^0-9]/, "", v); print v; exit}}'; }
fds() { ls "/proc/$1/fd" | wc -l; }
settle() { jcmd "$1" GC.run >/dev/null; sleep 2; }
established() { ss -Htn state established "( sport = :$NODE_PORT )" | wc -l; }

# The sink: the node's deliveries go here and are discarded (plaintext: the cheapest next hop).
log "sink on 127.0.0.1:$SINK_PORT"
POSTERN_JAVA_OPTS="-Xmx512m" "$postern" loadgen sink --listen "$SINK_PORT" --duration 15m --interval 60s \
  > "$work/sink.out" 2> "$work/sink.err" &
sink_pid=$!
pids+=("$sink_pid")
wait_line "$work/sink.err" "listening on" 60 "$sink_pid" || die "the sink did not start"

# A node with the queue role may also open an admin API (node.admin_listen); the benchmark does not
# need it, so it is turned off where this version of the node has the setting.
extra_sets=()
if grep -q 'node.admin_listen' "$root/config/README.md" 2>/dev/null; then
  extra_sets+=(--set "node.admin_listen=")
fi

node_pid=""
start_node() { # name engine
  local name=$1 engine=$2
  node_log="$work/node-$name.log"
  spool="$work/spool-$name"
  POSTERN_JAVA_OPTS="-Xmx$NODE_HEAP" "$postern" run \
    --set "inbound.listeners=127.0.0.1:$NODE_PORT may" \
    --set inbound.max_connections=20000 \
    --set inbound.max_connections_per_ip=20000 \
    --set inbound.stress_command_timeout=300s \
    --set inbound.dns_timeout=0 \
    --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT" \
    --set "queue.spool_dir=$spool" \
    --set "node.data_dir=$work/data" \
    --set "node.log=$node_log" \
    --set "tls.engine=$engine" \
    ${extra_sets[@]+"${extra_sets[@]}"} \
    > "$work/node-$name.out" 2>&1 &
  node_pid=$!
  pids+=("$node_pid")
  wait_line "$node_log" "node started" 90 "$node_pid" || die "the node ($name) did not start; see $work/node-$name.out"
  fact "node_${name}_engine" "$(grep -o 'TLS engine: .*' "$node_log" | head -1)"
  fact "node_${name}_fd_limit" "$(awk '/Max open files/ {print $4}' "/proc/$node_pid/limits")"
  log "node ($name, pid $node_pid) up: $(grep -o 'TLS engine: .*' "$node_log" | head -1)"
}

stop_node() {
  stop_pid "$node_pid" 30
}

drain() { # waits until the spool's active/ is empty (all delivered to the sink), at most 90 s
  local i
  for i in $(seq 1 360); do
    [ -z "$(ls -A "$spool/active" 2>/dev/null)" ] && return 0
    sleep 0.25
  done
  log "the spool did not drain within 90 s ($(ls "$spool/active" | wc -l) files left)"
}

lg() { # out.json loadgen-args...: one bounded foreground run; a failed run still writes its report
  local o=$1
  shift
  # Bounded twice: by the run's --duration (60 s at most here) and, should the process hang, by timeout.
  POSTERN_JAVA_OPTS="" timeout -k 10 180 "$postern" loadgen --target "127.0.0.1:$NODE_PORT" --json --quiet "$@" \
    > "$o" 2> "$o.err" || true
  [ -s "$o" ] || die "loadgen wrote no report: $(tail -3 "$o.err")"
}

# ---------------------------------------------------------------------------------------------
fact date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
fact cpu "$(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
fact cores "$(nproc)"
fact memory "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
fact kernel "$(uname -sr)"
fact java "$(java -version 2>&1 | head -2 | tr '\n' ' ')"
fact ulimit_n "$(ulimit -n)"
fact spool_fs "$(findmnt -n -o FSTYPE,SOURCE -T "$work" | tr -s ' ')"
fact somaxconn "$(cat /proc/sys/net/core/somaxconn)"
fact port_range "$(tr '\t' '-' < /proc/sys/net/ipv4/ip_local_port_range)"
fact commit "$(cd "$root" && { git rev-parse --short HEAD 2>/dev/null || echo unknown; } | tr -d '\n'; \
  [ -n "$(cd "$root" && git status --porcelain 2>/dev/null | head -1)" ] && echo ' + uncommitted changes')"
fact node_heap "$NODE_HEAP"
fact load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
start_node openssl openssl

log "warm-up: 500 messages and 1000 STARTTLS sessions"
lg "$work/warm-msg.json" --sessions 10 --messages 500 --starttls 50 --duration 60s
lg "$work/warm-tls.json" --sessions 16 --messages 0 --connections 1000 --starttls always --duration 60s --source 127.0.0.6
drain

# a) sessions held --------------------------------------------------------------------------------
plain_n=$(( HOLD_SESSIONS / 2 ))
tls_n=$(( HOLD_SESSIONS - plain_n ))
settle "$node_pid"
rss0=$(rss_kb "$node_pid"); heap0=$(heap_used_kb "$node_pid"); fd0=$(fds "$node_pid")
log "a) idle after GC: RSS $rss0 KB, heap used $heap0 KB, $fd0 fds; holding $plain_n plaintext sessions"

POSTERN_JAVA_OPTS="" "$postern" loadgen --target "127.0.0.1:$NODE_PORT" --hold --sessions "$plain_n" --messages 0 \
  --starttls never --source 127.0.0.2,127.0.0.3 --duration 300s --json --quiet \
  > "$work/hold-plain.json" 2> "$work/hold-plain.err" &
hold_plain=$!
pids+=("$hold_plain")
wait_line "$work/hold-plain.err" "sessions set up" 180 "$hold_plain" || true
settle "$node_pid"
rss1=$(rss_kb "$node_pid"); heap1=$(heap_used_kb "$node_pid"); fd1=$(fds "$node_pid"); est1=$(established)
log "a) plaintext: $(grep -o 'all .*' "$work/hold-plain.err" || echo 'not all set up'); RSS $rss1 KB, heap $heap1 KB, $est1 established; holding $tls_n STARTTLS sessions"

POSTERN_JAVA_OPTS="" "$postern" loadgen --target "127.0.0.1:$NODE_PORT" --hold --sessions "$tls_n" --messages 0 \
  --starttls always --source 127.0.0.4,127.0.0.5 --duration 280s --json --quiet \
  > "$work/hold-tls.json" 2> "$work/hold-tls.err" &
hold_tls=$!
pids+=("$hold_tls")
wait_line "$work/hold-tls.err" "sessions set up" 240 "$hold_tls" || true
settle "$node_pid"
rss2=$(rss_kb "$node_pid"); heap2=$(heap_used_kb "$node_pid"); fd2=$(fds "$node_pid"); est2=$(established)
log "a) STARTTLS: $(grep -o 'all .*' "$work/hold-tls.err" || echo 'not all set up'); RSS $rss2 KB, heap $heap2 KB, $fd2 fds, $est2 established"
stop_pid "$hold_plain" 20
stop_pid "$hold_tls" 20
[ -s "$work/hold-plain.json" ] || die "the plaintext hold run wrote no report: $(tail -3 "$work/hold-plain.err")"
[ -s "$work/hold-tls.json" ] || die "the STARTTLS hold run wrote no report: $(tail -3 "$work/hold-tls.err")"
for v in rss0 heap0 fd0 rss1 heap1 fd1 est1 rss2 heap2 fd2 est2 plain_n tls_n; do fact "$v" "${!v}"; done
fact node_warnings "$(grep -c -E '\]: (warning|error): |Too many open files' "$node_log" || true)"

# b) handshakes, OpenSSL engine ---------------------------------------------------------------

hs_run() { # name: a time-bounded warm-up (JIT on both sides), then the measured run
  lg "$work/hs-$1-warm.json" --sessions 32 --messages 0 --connections 100000 --starttls always --duration 12s \
    --source 127.0.0.6
  local c0 c1 t0 t1 busy
  thread_ticks "$node_pid" "$work/threads-$1-0"
  c0=$(cpu_ticks "$node_pid"); t0=$(date +%s.%N)
  lg "$work/hs-$1.json" --sessions 32 --messages 0 --connections "$HS_CONNECTIONS" --starttls always \
    --duration "${HS_SECONDS}s" --warmup 5s --source 127.0.0.7,127.0.0.8
  c1=$(cpu_ticks "$node_pid"); t1=$(date +%s.%N)
  thread_ticks "$node_pid" "$work/threads-$1-1"
  # The listener runs on several event loops (inbound.event_loops), beside policy and queue: count them all.
  busy="$(threads_cpu "$work/threads-$1-0" "$work/threads-$1-1" "vert.x-eventloo") vert.x-eventloop*"
  fact "hs_$1_node_cpu" "$(python3 -c "print(round(($c1 - $c0) / $ticks, 2))")"
  fact "hs_$1_busiest_cpu" "${busy%% *}"
  fact "hs_$1_busiest_name" "${busy#* }"
  fact "hs_$1_wall" "$(python3 -c "print(round($t1 - $t0, 2))")"
  fact "hs_$1_performed_by" "$(grep -o 'TLS handshakes are performed by the [A-Za-z]* engine' "$node_log" | head -1)"
  log "b) $1: $(json "$work/hs-$1.json" "r['throughput']['handshakesPerSecond']") handshakes/s; node CPU $(( (c1 - c0) / ticks )) s, event loops $busy"
}
log "b) STARTTLS handshakes for ${HS_SECONDS}s, OpenSSL engine"
hs_run openssl

# c) acceptance rate --------------------------------------------------------------------------
log "c) node warm-up for the message path: 15 s, 10 sessions, half STARTTLS"
lg "$work/warm-acc.json" --sessions 10 --messages 1000000 --per-session 10 --size 4096 --starttls 50 --duration 15s \
  --source 127.0.0.9
drain
src=10
for rep in 1 2; do
  for n in 1 10 100; do
    for tls in never always; do
      log "c) run $rep: $n session(s), STARTTLS $tls, 4 KB, ${ACC_SECONDS}s"
      lg "$work/acc-$tls-$n-$rep.json" --sessions "$n" --messages 1000000 --per-session 10 --size 4096 --starttls "$tls" \
        --duration "${ACC_SECONDS}s" --warmup 3s --source "127.0.0.$src"
      src=$(( src + 1 ))
      drain
    done
  done
done
stop_node

# b) handshakes, JDK engine -------------------------------------------------------------------
start_node jdk jdk
log "b) STARTTLS handshakes for ${HS_SECONDS}s, JDK engine"
hs_run jdk
stop_node

log "openssl speed -seconds 3 ecdsap256"
fact openssl_version "$(openssl version | awk '{print $1, $2}')"
fact ecdsa "$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1), $NF}')"

stop_pid "$sink_pid" 20
fact sink "$(cat "$work/sink.out")"
fact load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
fact seconds "$(( $(date +%s) - started_at ))"

# ---------------------------------------------------------------------------------------------
mkdir -p "$results"
python3 - "$work" "$out" "$HOLD_SESSIONS" "$HS_SECONDS" "$ACC_SECONDS" <<'PY'
import json, os, sys
work, out, hold, hs_s, acc_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
f = {}
for line in open(os.path.join(work, "facts.txt")):
    k, _, v = line.rstrip("\n").partition("=")
    f[k] = v
def load(name):
    with open(os.path.join(work, name)) as fh:
        return json.load(fh)
def i(k):
    return int(f[k])
def lat(r, k):
    l = r["latencyMillis"][k]
    return "%.1f / %.1f / %.1f" % (l["p50"], l["p99"], l["max"]) if l["count"] else "-"
def errs(r):
    e = dict(r["errors"]["replies"]); e.update(r["errors"]["exceptions"])
    return ", ".join("%s: %d" % kv for kv in sorted(e.items())) or "none"

hp, ht = load("hold-plain.json"), load("hold-tls.json")
held_p, held_t = hp["sessions"]["heldAtStop"], ht["sessions"]["heldAtStop"]
held = held_p + held_t
def per(d_kb, n):
    return "%.1f" % (d_kb / n) if n else "-"
L = []
w = L.append
w("# Inbound listener benchmarks, %s" % f["date"])
w("")
w("Produced by `deploy/bench/inbound.sh` (commit %s) in %s s. Loopback only; the load generator, the" % (f["commit"], f["seconds"]))
w("node and the sink share this machine's cores, so every figure is for the whole system, not the node")
w("alone. Load average at the start %s, at the end %s (other work on the machine shows here)." % (f["load_start"], f["load_end"]))
w("")
w("## Machine")
w("")
w("| | |")
w("| --- | --- |")
w("| CPU | %s, %s cores |" % (f["cpu"], f["cores"]))
w("| memory | %s |" % f["memory"])
w("| kernel | %s |" % f["kernel"])
w("| Java | %s |" % f["java"].strip())
w("| node TLS engine (log) | `%s` / `%s` |" % (f["node_openssl_engine"], f["node_jdk_engine"]))
w("| handshakes performed by (log) | %s / %s |" % (f.get("hs_openssl_performed_by", "?"), f.get("hs_jdk_performed_by", "?")))
w("| open files (`ulimit -n`) | %s for this shell; node process limit %s |" % (f["ulimit_n"], f["node_openssl_fd_limit"]))
w("| spool file system | %s |" % f["spool_fs"])
w("| node JVM options | `-Xmx%s` (POSTERN_JAVA_OPTS), default GC (G1) |" % f["node_heap"])
w("| node settings | `inbound.max_connections=20000`, `inbound.max_connections_per_ip=20000`, `inbound.stress_command_timeout=300s`, `outbound.transport=*=[127.0.0.1]:<sink>`, spool in a temp dir |")
w("")
w("## a) Sessions held and memory per session")
w("")
w("Target %d sessions, half plaintext, half after STARTTLS (TLS 1.3), idle after EHLO. Memory is" % hold)
w("measured after `jcmd <pid> GC.run`: VmRSS from /proc/<pid>/status, heap used from `GC.heap_info`.")
w("")
w("| state | sessions held | node RSS | heap used | node fds | established |")
w("| --- | ---: | ---: | ---: | ---: | ---: |")
w("| idle (after warm-up) | 0 | %d MB | %d MB | %s | 0 |" % (i("rss0") // 1024, i("heap0") // 1024, f["fd0"]))
w("| + plaintext | %d | %d MB | %d MB | %s | %s |" % (held_p, i("rss1") // 1024, i("heap1") // 1024, f["fd1"], f["est1"]))
w("| + STARTTLS | %d | %d MB | %d MB | %s | %s |" % (held, i("rss2") // 1024, i("heap2") // 1024, f["fd2"], f["est2"]))
w("")
w("| per session | RSS | heap after GC |")
w("| --- | ---: | ---: |")
w("| plaintext | %s KB | %s KB |" % (per(i("rss1") - i("rss0"), held_p), per(i("heap1") - i("heap0"), held_p)))
w("| STARTTLS | %s KB | %s KB |" % (per(i("rss2") - i("rss1"), held_t), per(i("heap2") - i("heap1"), held_t)))
w("| all (half TLS) | **%s KB** | %s KB |" % (per(i("rss2") - i("rss0"), held), per(i("heap2") - i("heap0"), held)))
w("")
w("Node log warnings or errors during a): %s." % f["node_warnings"])
w("")
w("Set-up: plaintext %.0f sessions/s, STARTTLS %.0f sessions/s (TLS handshake p50/p99 %s ms). Failures: plaintext %s; STARTTLS %s." % (
    hp["throughput"]["sessionsPerSecond"], ht["throughput"]["sessionsPerSecond"],
    "%.1f/%.1f" % (ht["latencyMillis"]["tlsHandshake"]["p50"], ht["latencyMillis"]["tlsHandshake"]["p99"]),
    errs(hp), errs(ht)))
w("")
w("## b) STARTTLS handshakes per second (new sessions, full handshakes)")
w("")
w("New sessions, 32 at a time, for %s s per engine after a 12 s warm-up of the node: connect, EHLO," % hs_s)
w("STARTTLS, full handshake, EHLO, QUIT. The rate leaves out the run's first 5 s (the client's JIT")
w("warm-up). The client (BoringSSL, session cache off: no resumption) shares the 2 cores with the")
w("node, so the rate is for the whole system; \"node CPU s\" is the node's user+system time")
w("(/proc/<pid>/stat) over the whole run, and \"event loops\" the same for all the node's event-loop")
w("threads together (listeners, policy, queue), so handshakes per CPU-second of them estimate what")
w("the node would do on cores of its own.")
w("")
w("| node engine | handshakes/s | node CPU s | handshakes per node CPU-s | event-loop threads CPU s | handshakes per event-loop CPU-s | TLS handshake p50 / p99 / max ms | resumed | errors |")
w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
rates = {}
for name in ("openssl", "jdk"):
    r = load("hs-%s.json" % name)
    cpu = float(f["hs_%s_node_cpu" % name])
    busy = float(f["hs_%s_busiest_cpu" % name])
    n = r["tls"]["handshakes"]
    per_cpu = n / cpu if cpu > 0 else 0
    per_busy = n / busy if busy > 0 else 0
    rates[name] = (r["throughput"]["handshakesPerSecond"], per_cpu, per_busy)
    w("| %s | **%.0f** | %.1f | %.0f | %.1f (`%s`) | %.0f | %s | %s | %s |" % (
        "OpenSSL (BoringSSL)" if name == "openssl" else "JDK", r["throughput"]["handshakesPerSecond"], cpu, per_cpu,
        busy, f["hs_%s_busiest_name" % name], per_busy, lat(r, "tlsHandshake"), r["tls"]["resumed"], errs(r)))
sign, verify = (float(x) for x in f["ecdsa"].split())
w("")
w("`openssl speed -seconds 3 ecdsap256` (%s, one core): **%.0f sign/s**, %.0f verify/s." % (f["openssl_version"], sign, verify))
w("")
w("| ratio | value |")
w("| --- | ---: |")
w("| OpenSSL / JDK engine, handshakes/s (whole system) | %.2f |" % (rates["openssl"][0] / rates["jdk"][0] if rates["jdk"][0] else 0))
w("| OpenSSL / JDK engine, handshakes per node CPU-s | %.2f |" % (rates["openssl"][1] / rates["jdk"][1] if rates["jdk"][1] else 0))
w("| OpenSSL engine handshakes/s / ECDSA P-256 sign/s | %.3f |" % (rates["openssl"][0] / sign))
w("| OpenSSL engine handshakes per node CPU-s / sign/s | %.3f |" % (rates["openssl"][1] / sign))
w("| JDK engine handshakes/s / sign/s | %.3f |" % (rates["jdk"][0] / sign))
w("| JDK engine handshakes per node CPU-s / sign/s | %.3f |" % (rates["jdk"][1] / sign))
w("")
w("## c) Messages accepted per second, 4 KB messages")
w("")
w("Each run lasts %s s, of which the first 3 s (warm-up) are left out of the rates and percentiles;" % acc_s)
w("sessions send 10 messages each, then QUIT and reconnect (a new handshake for STARTTLS). 250 comes only after")
w("the queue has written, fsync'd and renamed the file and fsync'd the directory, so the figure is bounded")
w("by fsync on the spool's file system. The node delivers to the sink at the same time.")
w("")
w("Two runs of each, interleaved; the table gives both (run 1 / run 2).")
w("")
w("| sessions | plaintext msg/s | STARTTLS msg/s | DATA-to-250 p50 / p99 ms, plaintext | DATA-to-250 p50 / p99 ms, STARTTLS | errors |")
w("| ---: | ---: | ---: | ---: | ---: | --- |")
for n in (1, 10, 100):
    runs = {t: [load("acc-%s-%d-%d.json" % (t, n, k)) for k in (1, 2)] for t in ("never", "always")}
    def rates_of(t):
        return " / ".join("%.0f" % r["throughput"]["messagesPerSecond"] for r in runs[t])
    def dl(t):
        return "; ".join("%.1f / %.1f" % (r["latencyMillis"]["dataTo250"]["p50"], r["latencyMillis"]["dataTo250"]["p99"])
                         for r in runs[t])
    e = sorted({errs(r) for t in runs for r in runs[t]})
    w("| %d | **%s** | **%s** | %s | %s | %s |" % (n, rates_of("never"), rates_of("always"), dl("never"), dl("always"),
                                                  "; ".join(e)))
w("")
w("Sink at the end: `%s`." % f["sink"])
w("")
open(out, "w").write("\n".join(L))
print("\n".join(L))
PY
log "results in $out"
