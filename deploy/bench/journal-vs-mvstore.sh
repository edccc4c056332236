#!/usr/bin/env bash
# deploy/bench/journal-vs-mvstore.sh: the spool's hand-written state journal against H2's MVStore
# (an embedded log-structured store), for the same rounds of state changes, each round durable.
# Not part of `mvn verify`; H2 is not a dependency of Postern, only of this measurement.
#
#   H2_JAR=/path/h2-2.3.232.jar deploy/bench/journal-vs-mvstore.sh [rounds] [changes-per-round]
#
# Compiles deploy/bench/journal/JournalVsMvStore.java against the packaged node (it uses the
# package-private Journal) and runs it in a temp directory on the disk of TMPDIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
h2="${H2_JAR:-$HOME/.m2/repository/com/h2database/h2/2.3.232/h2-2.3.232.jar}"
[ -f "$h2" ] || { echo "needs H2's jar: H2_JAR=..." >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/postern-journal-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
javac -cp "$jar:$h2" -d "$work/classes" "$here/journal/JournalVsMvStore.java"
mkdir -p "$work/data"
timeout 600 java -cp "$work/classes:$jar:$h2" org.postern.queue.JournalVsMvStore "$work/data" "${1:-2000}" "${2:-20}"
