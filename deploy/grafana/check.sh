#!/usr/bin/env bash
# deploy/grafana/check.sh: checks the dashboard and the alert rules with Prometheus's own tool
# (promtool, Debian's prometheus package): the rules load and fire as postern-alerts.test.yml
# expects, and every query of postern.json parses as PromQL (Grafana's variables replaced by
# values, each query wrapped as a recording rule, which promtool parses). Exit 0 when all hold.
set -euo pipefail
cd "$(dirname "$0")"
command -v promtool >/dev/null || { echo "promtool missing: apt-get install -y prometheus" >&2; exit 2; }
promtool check rules postern-alerts.yml
promtool test rules postern-alerts.test.yml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - postern.json "$tmp/dashboard-rules.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for key in ("title", "uid", "schemaVersion", "panels", "templating"):
    if key not in d:
        sys.exit("postern.json: no " + key)
exprs, ids = [], set()
def walk(panels):
    for p in panels:
        if p["id"] in ids:
            sys.exit("postern.json: panel id %s used twice" % p["id"])
        ids.add(p["id"])
        for k in ("h", "w", "x", "y"):
            if k not in p.get("gridPos", {}):
                sys.exit("postern.json: panel %r has no gridPos.%s" % (p.get("title"), k))
        for t in p.get("targets", []):
            exprs.append((p["title"], t["expr"]))
        walk(p.get("panels", []))
walk(d["panels"])
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, e) in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$instance", ".*").replace("$job", "postern")
        out.write("      - record: dashboard_query_%d\n        expr: %s\n" % (i, json.dumps(e)))
print("postern.json: %d panels, %d queries" % (len(ids), len(exprs)))
PY
promtool check rules "$tmp/dashboard-rules.yml"
