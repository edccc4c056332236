#!/usr/bin/env bash
# deploy/bench/jmh.sh: JMH microbenchmarks of the pure SMTP protocol code (module shared/bench):
# the command parser, the DATA reader and a whole session through the state machine; and of the
# compiled policy model (PolicyBench: tls_client, relay and server_tls questions against ~11,000
# rules). Not part of `mvn verify`.
#
#   deploy/bench/jmh.sh              about 4 minutes; writes deploy/bench/results/jmh-<date>.md
#   deploy/bench/jmh.sh Parser       only benchmarks whose name matches (JMH's regexp)
#
# Environment: JMH_ARGS (default "-f 2 -wi 3 -w 2s -i 5 -r 2s": two forks, 3 warm-up and 5
# measured iterations of 2 s each), JMH_FILTER (default: all, or the first argument).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/shared/bench/target/benchmarks.jar"
JMH_ARGS="${JMH_ARGS:--f 2 -wi 3 -w 2s -i 5 -r 2s}"
filter="${1:-${JMH_FILTER:-.}}"
out="$here/results/jmh-$(date -u +%Y-%m-%d).md"
log() { echo "[jmh-bench] $*" >&2; }

log "building $jar"
(cd "$root" && mvn -B -q -Pjmh -DskipTests package -pl shared/bench -am) >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
timeout 30m java -jar "$jar" $JMH_ARGS -rf json -rff "$work/jmh.json" "$filter" >&2
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$here/results"
python3 - "$work/jmh.json" "$out" "$JMH_ARGS" "$load_start" "$load_end" <<'PY'
import json, platform, subprocess, sys, os, datetime
src, out, args, load_start, load_end = sys.argv[1:6]
runs = json.load(open(src))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0) / 1048576
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
with open(out, "w") as f:
    w = lambda s="": f.write(s + "\n")
    w("# JMH microbenchmarks, %s" % datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"))
    w()
    w("Reproduce: `deploy/bench/jmh.sh` (JMH arguments: `%s`)." % args)
    w()
    w("| machine | |")
    w("| --- | --- |")
    w("| CPU | %s, %d cores |" % (cpu, os.cpu_count()))
    w("| memory | %.1f GiB |" % mem)
    w("| kernel | %s |" % platform.release())
    w("| Java | %s |" % java)
    w("| load average at start / end | %s / %s |" % (load_start, load_end))
    w()
    w("| benchmark | parameters | time per operation | error (99.9%) | operations/s |")
    w("| --- | --- | ---: | ---: | ---: |")
    for r in runs:
        name = r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
        params = ", ".join("%s=%s" % kv for kv in (r.get("params") or {}).items())
        m = r["primaryMetric"]
        unit = m["scoreUnit"]
        per_s = {"ns/op": 1e9, "us/op": 1e6, "ms/op": 1e3}.get(unit)
        err = m.get("scoreError")
        err = "n/a" if err is None or err != err else "%.2f %s" % (err, unit.split("/")[0])
        w("| %s | %s | %.2f %s | %s | %s |" % (name, params or "-", m["score"], unit.split("/")[0], err,
            "{:,.0f}".format(per_s / m["score"]) if per_s else "-"))
print(out)
PY
log "results in $out"
