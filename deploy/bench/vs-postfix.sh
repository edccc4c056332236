#!/usr/bin/env bash
# deploy/bench/vs-postfix.sh: Postern and Postfix side by side, in one run: the same clients, the
# same sink (Postfix's smtp-sink), the same scenarios, and one table. Not part of `mvn verify`.
#
#   deploy/bench/vs-postfix.sh                  10 to 15 minutes (defaults below); root (Postfix)
#   MODES=strace deploy/bench/vs-postfix.sh     system calls per message instead (strace -c -f)
#   POSTERN_BEFORE_JAR=old.jar deploy/bench/... adds an older Postern build as a third relay
#
# Writes deploy/bench/results/vs-postfix-<date>.md, or OUT (and the same on stdout).
#
# Relays, each relaying everything to one `smtp-sink` on loopback (which offers no STARTTLS, so
# both relays deliver in plaintext, reusing their connections as they see fit):
# - Postfix: a private instance (`postfix -c DIR start`) whose main.cf and master.cf this script
#   writes under its temp dir, with its own queue_directory and data_directory, smtpd on
#   127.0.0.1:PORT_BASE only, relayhost = [127.0.0.1]:SINK_PORT, mynetworks = 127.0.0.0/8, the
#   RSA-2048 certificate below for STARTTLS, the per-client anvil limits off, no reverse lookup
#   of clients, default_process_limit = twice the largest session count (at least 200), logging
#   to a file through postlogd. Everything else is Postfix's default (20 deliveries at once per
#   destination, in_flow_delay 1s, connection cache on demand). It leaves /etc/postfix, the
#   system's queue and port 25 alone.
# - Postern: the packaged jar through deploy/postern run, listener 127.0.0.1:PORT_BASE+1 (STARTTLS
#   offered), the same certificate, outbound.transport to the sink, spool and log in the temp dir,
#   no admin listener, inbound.dns_timeout=0.
#
# Scenarios (SCENARIOS; 4 KB messages, SESSIONS concurrent sessions):
#   tls1       STARTTLS, a new connection (and full handshake) per message
#   plain20    plaintext, 20 messages per connection
#   tls20      STARTTLS, 20 messages per connection
#   tls1-big   STARTTLS per message with BIG_SESSIONS (1000) sessions; not in the default list
# Clients (CLIENTS overrides; a client that cannot do a scenario is skipped there):
#   smtp-source  Postfix's, C, plaintext only (default for plaintext); it measures no latency
#   python       deploy/bench/smtpclient.py, stdlib asyncio + ssl (default for every scenario)
#   loadgen      `postern loadgen` (default for STARTTLS)
# Modes (MODES):
#   steady  one process per relay for the whole mode; before each measured run, WARMUP messages
#           of the same scenario and client, delivered before the measurement starts; PASSES
#           (1) times over every scenario on the same processes (rows "steady, pass 2", ...):
#           a JVM still compiles after one pass, as issue 17 asks both passes be reported
#   cold    a fresh relay process for each measured run of COLD_MESSAGES, nothing before it
#   strace  one fresh relay, WARMUP messages, then `strace -c -f` on the relay's whole process
#           tree for MESSAGES of STRACE_SCENARIO with STRACE_CLIENT: calls per message (the
#           relay's speed under strace means nothing)
#
# Measured per run, for each relay: CPU per message = user + system CPU of the relay's whole
# process tree (every live process below it, plus what its reaped children used) from /proc,
# from just before the client starts until the sink has every message the client got a 250
# for, divided by those messages; msg/s end to end = those messages / (from the client's first
# connection until the sink had them all); DATA-to-250 p50 / p99 as the client saw it; the
# client's own CPU, to see when it, not the relay, was the limit. Relays are interleaved
# scenario by scenario so that both see the same noise.
#
# Loopback only; every client run is bounded in count and in time (RUN_TIMEOUT), every drain by
# DRAIN_TIMEOUT; a watchdog ends the script after WATCHDOG seconds whatever happens.
# Environment: SESSIONS (100), BIG_SESSIONS (1000), MESSAGES (3000), COLD_MESSAGES (5000),
# WARMUP (1500), PASSES (1), SIZE (4096), SCENARIOS ("tls1 plain20 tls20"), CLIENTS, MODES ("steady cold"),
# STRACE_SCENARIO (plain20), STRACE_CLIENT (smtp-source), PORT_BASE (25490: Postfix +0, Postern +1,
# older Postern +2, sink +9), NODE_HEAP (1g), RUN_TIMEOUT (300 s), DRAIN_TIMEOUT (120 s),
# WATCHDOG (3600 s), RELAYS ("postfix postern"), POSTERN_BEFORE_JAR, OUT (the results file),
# KEEP_WORK=1, POSTERN_OPTS / POSTERN_BEFORE_OPTS (more JVM options for the one Postern or the
# other, after deploy/postern's own: a collector to try, -Xlog:gc*:file=...; %p in a file name is
# the JVM's pid).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
SESSIONS="${SESSIONS:-100}"
BIG_SESSIONS="${BIG_SESSIONS:-1000}"
MESSAGES="${MESSAGES:-3000}"
COLD_MESSAGES="${COLD_MESSAGES:-5000}"
WARMUP="${WARMUP:-1500}"
PASSES="${PASSES:-1}"
SIZE="${SIZE:-4096}"
SCENARIOS="${SCENARIOS:-tls1 plain20 tls20}"
CLIENTS="${CLIENTS:-}"
MODES="${MODES:-steady cold}"
STRACE_SCENARIO="${STRACE_SCENARIO:-plain20}"
STRACE_CLIENT="${STRACE_CLIENT:-smtp-source}"
PORT_BASE="${PORT_BASE:-25490}"
NODE_HEAP="${NODE_HEAP:-1g}"
RUN_TIMEOUT="${RUN_TIMEOUT:-300}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-120}"
WATCHDOG="${WATCHDOG:-3600}"
SINK_PORT=$((PORT_BASE + 9))
FROM="sender@client.bench.invalid"
RCPT="rcpt@dest.bench.invalid"
out="${OUT:-$here/results/vs-postfix-$(date -u +%Y-%m-%d).md}"
log() { echo "[vs-postfix] $(date -u +%H:%M:%S) $*" >&2; }

[ "$(id -u)" = 0 ] || { log "needs root: Postfix's master starts as root and drops to 'postfix'"; exit 2; }
for tool in postfix postconf smtp-sink smtp-source python3 openssl java; do
  command -v "$tool" >/dev/null || { log "missing: $tool"; exit 2; }
done
case " $MODES " in *" strace "*) command -v strace >/dev/null || { log "missing: strace"; exit 2; } ;; esac
for p in "$PORT_BASE" $((PORT_BASE + 1)) $((PORT_BASE + 2)) "$SINK_PORT"; do
  if ss -Hltn "sport = :$p" | grep -q .; then log "port $p is in use; set PORT_BASE"; exit 2; fi
done

pf="" # the private Postfix instance's directory, once made
pf_master() { [ -n "$pf" ] && tr -d ' \n' 2>/dev/null < "$pf/spool/pid/master.pid"; }
pf_running() { local m; m=$(pf_master) || return 1; [ -n "$m" ] && kill -0 "$m" 2>/dev/null; }
vs_cleanup() { # stop the private Postfix (a daemon, not in pids) before the rest
  if pf_running; then
    postfix -c "$pf/etc" stop >/dev/null 2>&1 || true
    for _ in $(seq 1 40); do pf_running || break; sleep 0.25; done
    pf_running && postfix -c "$pf/etc" abort >/dev/null 2>&1
  fi
  bench_cleanup
}

# shellcheck source=deploy/bench/lib.sh
. "$here/lib.sh"
bench_init vs-postfix "$WATCHDOG"
chmod 755 "$work" # Postfix's daemons run as 'postfix' and must reach their queue below it
trap vs_cleanup EXIT

RELAYS="${RELAYS:-postfix postern}"
declare -A relay_port=([postfix]=$PORT_BASE [postern]=$((PORT_BASE + 1)) [postern-before]=$((PORT_BASE + 2)))
declare -A relay_jar=([postern]="$jar")
declare -A relay_name=([postfix]="Postfix" [postern]="Postern" [postern-before]="Postern (before)")
declare -A relay_opts=([postern]="${POSTERN_OPTS:-}" [postern-before]="${POSTERN_BEFORE_OPTS:-}")
if [ -n "${POSTERN_BEFORE_JAR:-}" ]; then
  cp "$POSTERN_BEFORE_JAR" "$work/postern-before.jar"
  relay_jar[postern-before]="$work/postern-before.jar"
  RELAYS="$RELAYS postern-before"
fi
declare -A relay_pid=()

# --- scenarios and clients ---------------------------------------------------------------------
scen_tls() { case "$1" in plain*) echo 0 ;; *) echo 1 ;; esac; }
scen_per() { case "$1" in *20) echo 20 ;; *) echo 1 ;; esac; }
scen_sessions() { case "$1" in *-big) echo "$BIG_SESSIONS" ;; *) echo "$SESSIONS" ;; esac; }
scen_label() {
  local s
  s="$(scen_sessions "$1") sessions"
  case "$1" in
    tls1|tls1-big) echo "STARTTLS, new connection per message, $s" ;;
    plain20) echo "plaintext, 20 messages per connection, $s" ;;
    tls20) echo "STARTTLS, 20 messages per connection, $s" ;;
  esac
}
scen_clients() { # the clients that run this scenario
  local want c list=""
  if [ -n "$CLIENTS" ]; then want="$CLIENTS"
  elif [ "$(scen_tls "$1")" = 1 ]; then want="loadgen python"
  else want="smtp-source python"; fi
  for c in $want; do
    [ "$c" = smtp-source ] && [ "$(scen_tls "$1")" = 1 ] && continue
    list="$list $c"
  done
  echo "$list"
}
for s in $SCENARIOS $STRACE_SCENARIO; do
  case "$s" in tls1|plain20|tls20|tls1-big) ;; *) log "unknown scenario $s"; exit 2 ;; esac
done

# --- the sink, the certificate, the message ------------------------------------------------------
# smtp-sink -c writes "sess=N quit=N mesg=N" followed by CR after every session and every dot.
sink_count() {
  local n
  n=$(tail -c 200 "$work/sink.out" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
  echo "${n:-0}"
}
smtp-sink -c -h sink.bench.invalid -u nobody "127.0.0.1:$SINK_PORT" 1024 > "$work/sink.out" 2> "$work/sink.err" &
pids+=($!)
mkdir -p "$work/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=relay.bench.invalid" \
  -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
chmod 600 "$work/tls/key.pem"
# smtp-source -F sends this file line by line with CRLF: the same 4 KB message the Python client sends.
(cd "$here" && python3 -B -c 'import sys, smtpclient; sys.stdout.buffer.write(smtpclient.body(int(sys.argv[1])).replace(b"\r\n", b"\n"))' "$SIZE") > "$work/message.txt"

# --- Postfix -------------------------------------------------------------------------------------
pf="$work/postfix"
pf_limit=200
for s in $SCENARIOS $STRACE_SCENARIO; do
  n=$(( 2 * $(scen_sessions "$s") )); [ "$n" -gt "$pf_limit" ] && pf_limit=$n
done
mkdir -p "$pf/etc" "$pf/spool" "$pf/data"
chown postfix:postfix "$pf/data"
cat > "$pf/etc/main.cf" <<EOF
# Written by deploy/bench/vs-postfix.sh for a private, temporary instance.
compatibility_level = 3.6
queue_directory = $pf/spool
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix-relay.bench.invalid
mydomain = bench.invalid
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$SINK_PORT
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_tls_security_level = may
smtpd_tls_chain_files = $work/tls/key.pem, $work/tls/cert.pem
smtp_tls_security_level = may
default_process_limit = $pf_limit
maillog_file_prefixes = $pf/
maillog_file = $pf/maillog
EOF
cat > "$pf/etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:${relay_port[postfix]} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

listening() { ss -Hltn "sport = :$1" | grep -q .; }

start_relay() { # relay: sets relay_pid[relay]
  local r="$1" i
  if [ "$r" = postfix ]; then
    postfix -c "$pf/etc" start >> "$pf/control.log" 2>&1 || { log "postfix did not start:"; tail -5 "$pf/maillog" >&2; exit 1; }
    for i in $(seq 1 120); do pf_running && listening "${relay_port[postfix]}" && break; sleep 0.25; done
    pf_running || { log "postfix master not running"; tail -5 "$pf/maillog" >&2; exit 1; }
    relay_pid[postfix]=$(pf_master)
  else
    local tag="$r-$((++starts))"
    mkdir -p "$work/$tag"
    POSTERN_JAR="${relay_jar[$r]}" POSTERN_JAVA_OPTS="-Xmx$NODE_HEAP ${relay_opts[$r]}" "$root/deploy/postern" run \
      --set "inbound.listeners=127.0.0.1:${relay_port[$r]} may" \
      --set "node.admin_listen=" --set "node.data_dir=$work/$tag/data" --set "queue.spool_dir=$work/$tag/spool" \
      --set "node.log=$work/$tag/node.log" --set "inbound.dns_timeout=0" \
      --set "inbound.max_connections_per_ip=$((2 * pf_limit))" \
      --set "tls.cert_chain=$work/tls/cert.pem" --set "tls.key=$work/tls/key.pem" \
      --set "outbound.transport=*=[127.0.0.1]:$SINK_PORT" > "$work/$tag.out" 2>&1 &
    relay_pid[$r]=$!
    pids+=("${relay_pid[$r]}")
    wait_line "$work/$tag/node.log" "node started" 90 "${relay_pid[$r]}" || { cat "$work/$tag.out" >&2; exit 1; }
    [ -n "${pn_engine:-}" ] || pn_engine=$(sed -n 's/.*TLS engine: //p' "$work/$tag/node.log" | head -1)
  fi
}
starts=0

stop_relay() {
  local r="$1" i
  if [ "$r" = postfix ]; then
    pf_running || return 0
    postfix -c "$pf/etc" stop >> "$pf/control.log" 2>&1 || true
    for i in $(seq 1 120); do pf_running || return 0; sleep 0.25; done
    postfix -c "$pf/etc" abort >> "$pf/control.log" 2>&1 || true
  else
    [ -n "${relay_pid[$r]:-}" ] && stop_pid "${relay_pid[$r]}" 30
    relay_pid[$r]=""
  fi
}


# CPU ticks (user + system, and those of reaped children) of a process and every descendant.
tree_ticks() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); ticks = {}; kids = {}
for d in os.listdir('/proc'):
    if not d.isdigit():
        continue
    try:
        s = open('/proc/%s/stat' % d).read()
    except OSError:
        continue
    f = s[s.rfind(')') + 2:].split()   # f[0] is field 3 (state), f[1] the ppid
    ticks[int(d)] = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    kids.setdefault(int(f[1]), []).append(int(d))
total, todo = 0, [root]
while todo:
    p = todo.pop(); total += ticks.get(p, 0); todo += kids.get(p, [])
print(total)
PY
}
tree_pids() { # a process and every descendant, comma-separated
  python3 - "$1" <<'PY'
import os, sys
kids = {}
for d in os.listdir('/proc'):
    if d.isdigit():
        try:
            s = open('/proc/%s/stat' % d).read()
        except OSError:
            continue
        kids.setdefault(int(s[s.rfind(')') + 2:].split()[1]), []).append(int(d))
out, todo = [], [int(sys.argv[1])]
while todo:
    p = todo.pop(); out.append(p); todo += kids.get(p, [])
print(','.join(map(str, out)))
PY
}

# --- clients: each writes "ok failed start-epoch p50 p99" to $2 -------------------------------
run_client() { # client port result-file base scenario count
  local client="$1" port="$2" res="$3" base="$4" scen="$5" count="$6"
  local tls per sess
  tls=$(scen_tls "$scen"); per=$(scen_per "$scen"); sess=$(scen_sessions "$scen")
  case "$client" in
    loadgen)
      local t1
      java -Xmx1g -jar "$jar" loadgen --target "127.0.0.1:$port" --sessions "$sess" --messages "$count" \
        --per-session "$per" --size "$SIZE" --starttls "$([ "$tls" = 1 ] && echo always || echo never)" \
        --from "$FROM" --rcpt "$RCPT" --ehlo client.bench.invalid --duration "${RUN_TIMEOUT}s" \
        --json --quiet > "$base.json" 2> "$base.err" || true
      t1=$(date +%s.%N)
      python3 - "$base.json" "$t1" > "$res" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print("0 0 %s - -" % sys.argv[2]); sys.exit()
m, l = r["messages"], r["latencyMillis"]["dataTo250"]
print(m["ok"], m["requested"] - m["ok"], float(sys.argv[2]) - r["wallSeconds"], l["p50"], l["p99"])
PY
      ;;
    python)
      python3 "$here/smtpclient.py" --target "127.0.0.1:$port" --sessions "$sess" --messages "$count" \
        --per-connection "$per" --size "$SIZE" $([ "$tls" = 1 ] && echo --starttls) \
        --duration "$RUN_TIMEOUT" > "$base.json" 2> "$base.err" || true
      python3 - "$base.json" > "$res" <<'PY'
import json, sys, time
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print("0 0 %s - -" % time.time()); sys.exit()
m, l = r["messages"], r["dataTo250Millis"]
print(m["ok"], m["requested"] - m["ok"], r["started"], l.get("p50", "-"), l.get("p99", "-"))
PY
      ;;
    smtp-source)
      # smtp-source -d keeps a connection until the whole run's count is used up, so to send
      # exactly PER messages per connection each of the SESSIONS lanes runs one smtp-source
      # (-s 1) per connection, until its share of the messages is sent.
      local start deadline i lanes=()
      start=$(date +%s.%N); deadline=$(( $(date +%s) + RUN_TIMEOUT ))
      for i in $(seq 0 $((sess - 1))); do
        (
          left=$(( count / sess + (i < count % sess ? 1 : 0) )); ok=0
          while [ "$left" -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
            m=$(( left < per ? left : per ))
            if timeout "$RUN_TIMEOUT" smtp-source -s 1 -m "$m" $([ "$per" -gt 1 ] && echo -d) -F "$work/message.txt" \
                 -f "$FROM" -t "$RCPT" -M client.bench.invalid "127.0.0.1:$port" >/dev/null 2>> "$base.err"; then
              ok=$((ok + m))
            fi
            left=$((left - m))
          done
          echo "$ok" > "$base.lane$i"
        ) &
        lanes+=($!)
      done
      wait "${lanes[@]}"
      local ok
      ok=$(cat "$base".lane* | awk '{s += $1} END {print s + 0}')
      rm -f "$base".lane*
      echo "$ok $((count - ok)) $start - -" > "$res"
      ;;
  esac
}

# --- one measured run --------------------------------------------------------------------------
records="$work/records.tsv"
: > "$records"
measure() { # mode relay scenario client count [record]
  local mode="$1" r="$2" scen="$3" client="$4" count="$5" record="${6:-yes}"
  local base="$work/run-${mode//[ ,]/}-$r-$scen-$client-$((++runs))" c0 k0 k1 t_end td="" ok failed start p50 p99 ccpu
  c0=$(sink_count); c0=${c0:-0}
  k0=$(tree_ticks "${relay_pid[$r]}")
  local TIMEFORMAT='%U %S'
  { time run_client "$client" "${relay_port[$r]}" "$base.res" "$base" "$scen" "$count" ; } 2> "$base.time"
  t_end=$(date +%s.%N)
  read -r ok failed start p50 p99 < "$base.res"
  ccpu=$(tail -1 "$base.time" | awk '{printf "%.1f", $1 + $2}')
  local i
  for i in $(seq 1 $((DRAIN_TIMEOUT * 20))); do
    if [ "$(sink_count)" -ge $((c0 + ok)) ]; then td=$(date +%s.%N); break; fi
    sleep 0.05
  done
  k1=$(tree_ticks "${relay_pid[$r]}")
  local cpu rate drain
  cpu=$(python3 -c "print('%.2f' % (($k1 - $k0) * 1000.0 / $ticks / max(1, $ok)))")
  if [ -n "$td" ]; then
    rate=$(python3 -c "print('%.0f' % ($ok / max(0.001, $td - $start)))")
    drain=$(python3 -c "print('%.1f' % ($td - $t_end))")
  else
    rate="not drained"; drain="over ${DRAIN_TIMEOUT}"
  fi
  log "$mode $r $scen $client: $ok ok, $failed failed; ${cpu} ms CPU/msg; $rate msg/s; DATA-to-250 p50 $p50 p99 $p99 ms; drain ${drain} s; client CPU ${ccpu} s"
  if [ "$failed" != 0 ]; then
    case "$client" in
      smtp-source) log "  smtp-source said: $(sort "$base.err" | uniq -c | sort -rn | head -3 | tr '\n' ';')" ;;
      *) log "  errors: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors"])' "$base.json" 2>/dev/null)" ;;
    esac
  fi
  if [ "$record" = yes ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$scen" "$client" "$r" "$ok" "$failed" \
      "$cpu" "$rate" "$p50" "$p99" "$ccpu" >> "$records"
  fi
}
runs=0

# --- strace: system calls per message on the relay's process tree -------------------------------
straces="$work/strace.tsv"
: > "$straces"
strace_run() { # relay
  local r="$1" scen="$STRACE_SCENARIO" client="$STRACE_CLIENT" base st ok c0 i
  start_relay "$r"
  measure strace-warmup "$r" "$scen" "$client" "$WARMUP" no
  base="$work/strace-$r"
  strace -c -f -o "$base.txt" -p "$(tree_pids "${relay_pid[$r]}")" 2> "$base.err" &
  st=$!
  sleep 2 # strace attaches to every thread and process before the load starts
  c0=$(sink_count)
  run_client "$client" "${relay_port[$r]}" "$base.res" "$base" "$scen" "$MESSAGES"
  read -r ok _ < "$base.res"
  for i in $(seq 1 $((DRAIN_TIMEOUT * 20))); do [ "$(sink_count)" -ge $((c0 + ok)) ] && break; sleep 0.05; done
  kill -INT "$st" 2>/dev/null || true
  wait "$st" 2>/dev/null || true
  python3 - "$base.txt" "$r" "$ok" >> "$straces" <<'PY'
import sys
path, relay, ok = sys.argv[1], sys.argv[2], max(1, int(sys.argv[3]))
for line in open(path):
    f = line.split()
    if len(f) < 5 or not f[0][0].isdigit() or f[-1] == 'total':
        continue
    calls = int(f[3]); errors = int(f[4]) if len(f) == 6 else 0
    print('%s\t%s\t%d\t%d\t%d' % (relay, f[-1], calls, errors, ok))
PY
  log "strace $r: $ok messages; $(wc -l < "$base.txt") lines in $base.txt"
  stop_relay "$r"
}

# --- the run -------------------------------------------------------------------------------------
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
t_start=$(date +%s)
for mode in $MODES; do
  case "$mode" in
    steady)
      for r in $RELAYS; do start_relay "$r"; done
      for pass in $(seq 1 "$PASSES"); do
        label=steady; [ "$pass" = 1 ] || label="steady, pass $pass"
        for scen in $SCENARIOS; do
          for client in $(scen_clients "$scen"); do
            for r in $RELAYS; do
              measure warmup "$r" "$scen" "$client" "$WARMUP" no
              measure "$label" "$r" "$scen" "$client" "$MESSAGES"
            done
          done
        done
      done
      for r in $RELAYS; do stop_relay "$r"; done
      ;;
    cold)
      for scen in $SCENARIOS; do
        for client in $(scen_clients "$scen"); do
          for r in $RELAYS; do
            start_relay "$r"
            measure cold "$r" "$scen" "$client" "$COLD_MESSAGES"
            stop_relay "$r"
          done
        done
      done
      ;;
    strace)
      for r in $RELAYS; do strace_run "$r"; done
      ;;
    *) log "unknown mode $mode"; exit 2 ;;
  esac
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
minutes=$(( ($(date +%s) - t_start + 59) / 60 ))

# --- the report ----------------------------------------------------------------------------------
validation=""
if [ "$MESSAGES" -lt 3000 ] || [ "$WARMUP" -lt 1500 ] || [ "$COLD_MESSAGES" -lt 5000 ]; then
  validation="**A validation run with small counts, not a measurement:** the counts are below the defaults (3000 measured, 1500 warm-up, 5000 cold)."
fi
labels=""
for s in $SCENARIOS $STRACE_SCENARIO; do labels="$labels$s=$(scen_label "$s");"; done
names=""
for r in $RELAYS; do names="$names$r=${relay_name[$r]};"; done
mkdir -p "$here/results"
{
  echo "# Postern and Postfix side by side, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  [ -n "$validation" ] && { echo "$validation"; echo; }
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); spool and queue on $(df -T "$work" | awk 'NR==2{print $2}'); $(java -version 2>&1 | head -1);"
  echo "Postfix $(postconf -dh mail_version); Postern TLS engine ${pn_engine:-not started}; $(openssl version | cut -d' ' -f1-2); Python $(python3 -c 'import sys; print(sys.version.split()[0])')."
  echo "Load average at start / end: $load_start / $load_end; about $minutes min. Clients, relays and sink share the cores."
  echo
  echo "Command: \`$(for v in SESSIONS MESSAGES COLD_MESSAGES WARMUP PASSES SCENARIOS CLIENTS MODES POSTERN_BEFORE_JAR POSTERN_OPTS POSTERN_BEFORE_OPTS; do
      d=""; case $v in SESSIONS) d=100;; MESSAGES) d=3000;; COLD_MESSAGES) d=5000;; WARMUP) d=1500;; PASSES) d=1;; SCENARIOS) d="tls1 plain20 tls20";; MODES) d="steady cold";; esac
      val="${!v:-}"; [ -n "$val" ] && [ "$val" != "$d" ] && printf '%s="%s" ' "$v" "$val"; done)deploy/bench/vs-postfix.sh\`."
  echo "$SIZE-octet messages relayed to Postfix's \`smtp-sink\` on loopback; Postfix and Postern with the same RSA-2048 certificate."
  if [ -s "$records" ]; then
    echo "CPU: user + system of the relay's whole process tree, until the sink had every message, per message."
    echo "msg/s: end to end, from the client's first connection until the sink had them all. \"steady\": the same"
    echo "process after $WARMUP warm-up messages of the same scenario and client (and the runs before);"
    echo "\"cold\": a fresh process, measured from its first message."
    echo
  fi
  python3 - "$records" "$RELAYS" "$labels" "$names" <<'PY'
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1]) if l.strip()]
relays = sys.argv[2].split()
labels = dict(x.split('=', 1) for x in sys.argv[3].split(';') if x)
names = dict(x.split('=', 1) for x in sys.argv[4].split(';') if x)
if rows:
    data, order = {}, []
    for mode, scen, client, relay, ok, failed, cpu, rate, p50, p99, ccpu in rows:
        key = (scen, client, mode)
        if key not in data:
            data[key] = {}; order.append(key)
        data[key][relay] = dict(ok=ok, failed=failed, cpu=cpu, rate=rate, p50=p50, p99=p99, ccpu=ccpu)
    n = [names[r] for r in relays]
    ratio = 'postfix' in relays and 'postern' in relays
    head = ['scenario', 'client', 'process']
    head += ['CPU ms/msg: ' + n[0]] + n[1:]
    if ratio:
        head += ['Postern ÷ Postfix CPU']
    head += ['msg/s: ' + n[0]] + n[1:]
    head += ['DATA-to-250 p50 / p99 ms: ' + n[0]] + n[1:]
    head += ['messages ok / failed: ' + n[0]] + n[1:]
    head += ['client CPU s: ' + n[0]] + n[1:]
    print('| ' + ' | '.join(head) + ' |')
    print('| --- | --- | --- | ' + ' | '.join('---:' for _ in head[3:]) + ' |')
    def cell(d, r, f):
        return f(d[r]) if r in d else '-'
    for key in order:
        scen, client, mode = key
        d = data[key]
        line = [labels.get(scen, scen), client, mode]
        line += [cell(d, r, lambda x: x['cpu']) for r in relays]
        if ratio:
            try:
                line.append('%.2f' % (float(d['postern']['cpu']) / float(d['postfix']['cpu'])))
            except (KeyError, ValueError, ZeroDivisionError):
                line.append('-')
        line += [cell(d, r, lambda x: x['rate']) for r in relays]
        line += [cell(d, r, lambda x: '-' if x['p50'] == '-' else '%.1f / %.1f' % (float(x['p50']), float(x['p99']))) for r in relays]
        line += [cell(d, r, lambda x: '%s / %s' % (x['ok'], x['failed'])) for r in relays]
        line += [cell(d, r, lambda x: x['ccpu']) for r in relays]
        print('| ' + ' | '.join(line) + ' |')
    print()
    print('smtp-source measures no latency. The client\'s CPU is there to show when the client, not the relay, was the limit.')
PY
  if [ -s "$straces" ]; then
    echo
    echo "System calls per message, \`strace -c -f\` attached to the relay's whole process tree (threads and"
    echo "children, those forked during the run included) after $WARMUP warm-up messages, for $MESSAGES messages of"
    echo "\"$(scen_label "$STRACE_SCENARIO")\" sent by $STRACE_CLIENT (failed calls in brackets):"
    echo
    python3 - "$straces" "$RELAYS" "$names" <<'PY'
import sys
relays = sys.argv[2].split()
names = dict(x.split('=', 1) for x in sys.argv[3].split(';') if x)
calls, msgs = {}, {}
for l in open(sys.argv[1]):
    r, sc, c, e, ok = l.split('\t')
    calls.setdefault(sc, {})[r] = (int(c), int(e)); msgs[r] = int(ok)
present = [r for r in relays if r in msgs]
# Those issue 17 counts, then every other call made at least once per message by some relay.
named = ['openat', 'open', 'close', 'statx', 'newfstatat', 'stat', 'lstat', 'unlink', 'unlinkat',
         'fsync', 'fdatasync', 'write', 'writev', 'futex']
shown = [c for c in named if c in calls]
shown += sorted(c for c in calls if c not in named
                and any(calls[c].get(r, (0, 0))[0] >= msgs[r] for r in present))
print('| system call | ' + ' | '.join(names[r] for r in present) + ' |')
print('| --- | ' + ' | '.join('---:' for _ in present) + ' |')
def per(sc, r):
    c, e = calls.get(sc, {}).get(r, (0, 0))
    s = '%.2f' % (c / msgs[r])
    return s + ((' (%.2f)' % (e / msgs[r]) if e / msgs[r] >= 0.005 else ' (<0.01)') if e else '')
for sc in shown:
    print('| %s | %s |' % (sc, ' | '.join(per(sc, r) for r in present)))
tot = {r: sum(v.get(r, (0, 0))[0] for v in calls.values()) for r in present}
print('| all calls | %s |' % ' | '.join('%.1f' % (tot[r] / msgs[r]) for r in present))
print()
print('Messages traced: ' + ', '.join('%s %d' % (names[r], msgs[r]) for r in present) + '.')
PY
  fi
} > "$out"
cat "$out"
