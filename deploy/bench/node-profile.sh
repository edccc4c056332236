#!/usr/bin/env bash
# deploy/bench/node-profile.sh: where a relaying node's CPU goes, per message and per thread, with
# an optional perf profile of its event loops. Not part of `mvn verify`.
#
#   deploy/bench/node-profile.sh                      tls1: STARTTLS, a new connection per message
#   PER=20 TLS=0 deploy/bench/node-profile.sh         plaintext, 20 messages per connection
#   PROF=none deploy/bench/node-profile.sh            per-thread CPU only, no perf
#
# One node (the packaged jar through deploy/postern run, as vs-postfix.sh starts it) relays to
# Postfix's smtp-sink; deploy/bench/smtpclient.py sends WARM (3000) messages, then MESSAGES (6000)
# are measured: CPU per message of each thread group from /proc/PID/task (utime + stime), and with
# PROF=perf (the default; needs `perf`) `perf record -g` of the node during the measured messages,
# with -XX:+PreserveFramePointer and the JIT's symbols from `jcmd PID Compiler.perfmap`. Prints the
# per-thread table and, for the event loops, the share of samples by library (BoringSSL, kernel, JIT
# code, libjvm, libc), BoringSSL's hottest functions (symbols from the jar's own copy of the
# library), and the Postern packages the rest runs in. Bounded: each client run by --duration,
# each drain by 120 s. Ports: PORT_BASE (25490) +1 the node, +9 the sink. Keeps its files in OUT_DIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
WARM="${WARM:-3000}"; MESSAGES="${MESSAGES:-6000}"; PER="${PER:-1}"; TLS="${TLS:-1}"; PROF="${PROF:-perf}"
PORT_BASE="${PORT_BASE:-25490}"; port=$((PORT_BASE + 1)); sink=$((PORT_BASE + 9))
w="${OUT_DIR:-$(mktemp -d /tmp/postern-profile.XXXXXX)}"; mkdir -p "$w/tls"
log() { echo "[node-profile] $(date -u +%H:%M:%S) $*" >&2; }
for p in "$port" "$sink"; do
  if ss -Hltn "sport = :$p" | grep -q .; then log "port $p is in use; set PORT_BASE"; exit 2; fi
done
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=relay.bench.invalid" \
  -keyout "$w/tls/key.pem" -out "$w/tls/cert.pem" 2>/dev/null
chmod 600 "$w/tls/key.pem"
smtp-sink -c -h sink.bench.invalid -u nobody "127.0.0.1:$sink" 1024 > "$w/sink.out" 2>&1 & spid=$!
opts="-Xmx1g"; [ "$PROF" = perf ] && opts="$opts -XX:+PreserveFramePointer"
POSTERN_JAR="$jar" POSTERN_JAVA_OPTS="$opts" "$root/deploy/postern" run \
  --set "inbound.listeners=127.0.0.1:$port may" --set "node.admin_listen=" --set "node.data_dir=$w/data" \
  --set "queue.spool_dir=$w/spool" --set "node.log=$w/node.log" --set "inbound.dns_timeout=0" \
  --set "inbound.max_connections_per_ip=400" --set "tls.cert_chain=$w/tls/cert.pem" --set "tls.key=$w/tls/key.pem" \
  --set "outbound.transport=*=[127.0.0.1]:$sink" > "$w/node.out" 2>&1 & npid=$!
ppid=""
trap 'kill $npid $spid $ppid 2>/dev/null || true' EXIT
for _ in $(seq 1 160); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.25; done
tl=""; [ "$TLS" = 1 ] && tl=--starttls
count() { tail -c 200 "$w/sink.out" | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1; }
drain() { for _ in $(seq 1 600); do [ "$(count)" -ge "$1" ] 2>/dev/null && return 0; sleep 0.2; done; log "drain timed out"; }
send() { # count json: the number of messages the client got a 250 for
  python3 "$here/smtpclient.py" --target "127.0.0.1:$port" --sessions 100 --messages "$1" --per-connection "$PER" \
    --size 4096 $tl --duration 280 > "$2" 2> "$2.err" || true
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"]["ok"])' "$2" 2>/dev/null || echo 0
}
# comm may hold spaces ("C2 CompilerThre"): the fields counted from after its closing parenthesis.
snap() { for t in /proc/$npid/task/*; do echo "$(tr ' ' _ < "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12, $13}')"; done; }
log "warm-up: $WARM messages"
warm=$(send "$WARM" "$w/warm.json"); drain "$warm"
snap > "$w/t0"
if [ "$PROF" = perf ]; then perf record -F 499 -g -p "$npid" -o "$w/perf.data" > /dev/null 2> "$w/perf.err" & ppid=$!; fi
log "measured: $MESSAGES messages"
ok=$(send "$MESSAGES" "$w/run.json"); drain $((warm + ok))
snap > "$w/t1"
if [ "$PROF" = perf ]; then
  kill -INT "$ppid"; wait "$ppid" || true; ppid=""
  jcmd "$npid" Compiler.perfmap > /dev/null
  perf script -i "$w/perf.data" -F comm,tid,ip,sym,dso 2> /dev/null > "$w/perf.txt"
  (cd "$w" && unzip -o -q "$jar" 'META-INF/native/libnetty_tcnative_linux_x86_64.so' 2> /dev/null || true)
fi
python3 - "$w" "$ok" "$PROF" <<'PY'
import bisect, collections, os, re, subprocess, sys
w, n, prof = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hz = os.sysconf('SC_CLK_TCK')
def load(p):
    d = collections.defaultdict(lambda: [0, 0])
    for line in open(p):
        c, u, s = line.split()
        g = c.rstrip('0123456789-#')
        d[g][0] += int(u); d[g][1] += int(s)
    return d
a, b = load(w + '/t0'), load(w + '/t1')
us = lambda t: t * 1e6 / hz / n
rows = sorted(((b[g][0] - a[g][0] + b[g][1] - a[g][1], g, b[g][0] - a[g][0], b[g][1] - a[g][1]) for g in b), reverse=True)
print(f"{n} messages measured; CPU per message by thread group (µs: total = user + system)")
print(f"  {'all threads':28s} {us(sum(r[0] for r in rows)):6.0f}")
for t, g, u, s in rows[:10]:
    if t: print(f"  {g:28s} {us(t):6.0f} = {us(u):.0f} + {us(s):.0f}")
if prof != 'perf':
    sys.exit()
syms = []
so = w + '/META-INF/native/libnetty_tcnative_linux_x86_64.so'
if os.path.exists(so):
    for line in subprocess.run(['nm', so], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'tT': syms.append((int(p[0], 16), p[2]))
syms.sort(); addrs = [s for s, _ in syms]
def native(off):
    i = bisect.bisect_right(addrs, off) - 1
    return syms[i][1] if i >= 0 else '?'
kinds, ssl, pkgs, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
comm, frames = None, []
def done():
    global total
    if not comm or not comm.startswith('vert.x-eventloo') or not frames: return
    total += 1
    leaf = frames[0]
    if 'tcnative' in leaf:
        kinds['BoringSSL'] += 1; ssl[native(int(leaf.split()[0], 16))] += 1; return
    kinds['kernel' if 'kernel' in leaf else 'JIT / interpreter' if '/perf-' in leaf else 'libjvm' if 'libjvm' in leaf
          else 'libc' if 'libc' in leaf else 'other'] += 1
    pkg = next((m.group(1) for f in frames for m in [re.search(r'org\.postern\.(\w+)\.', f)] if m), None)
    pkgs[pkg or '(no Postern frame: netty, Vert.x, kernel)'] += 1
for line in open(w + '/perf.txt'):
    if not line.strip():
        done(); comm, frames = None, []
    elif not line[0].isspace():
        comm, frames = line.split()[0], []
    else:
        frames.append(line.strip())
done()
print(f"event loops, {total} perf samples: by where the CPU was")
for k, v in kinds.most_common(): print(f"  {k:28s} {100 * v / total:5.1f}%")
print("  BoringSSL's hottest functions:")
for k, v in ssl.most_common(8): print(f"    {k:32s} {100 * v / total:5.1f}%")
print("  outside BoringSSL, by the innermost Postern package on the stack:")
for k, v in pkgs.most_common(10): print(f"    {k:40s} {100 * v / total:5.1f}%")
PY
log "files in $w"
