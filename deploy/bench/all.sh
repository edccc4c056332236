#!/usr/bin/env bash
# deploy/bench/all.sh: the whole benchmark suite, one scenario after the other, on a quiet machine.
# Not part of `mvn verify`. About 40 minutes (the queue benchmark alone takes 7, with three rounds).
#
#   1. inbound.sh   acceptance plaintext against STARTTLS at 1, 10 and 100 sessions; handshakes/s,
#                   OpenSSL engine against JDK engine; sessions held and memory per session
#   2. active.sh    the most sessions held while every one of them sends mail, memory per session
#   3. handshake.sh STARTTLS handshakes per key type (P-256, RSA-2048) and engine, against
#                   `openssl speed` for the same key
#   4. queue.sh     durable acceptance, group commit on and off
#   5. relay.sh     end-to-end relay rate (inbound -> queue -> outbound -> sink), both engines, and
#                   the latency percentiles at half the sustained rate
#   6. jmh.sh       JMH microbenchmarks of the parser, DATA reader and session state machine
#   7. cluster.sh   one node against a three-node cluster on loopback, the same load into both
#
# Each writes deploy/bench/results/<scenario>-<date>.md with the machine's details; this script
# adds results/suite-<date>.md: the physical limit (`openssl speed` for the key types in use) and
# links to the tables. Environment: SCENARIOS (default "inbound active handshake queue relay jmh cluster").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCENARIOS="${SCENARIOS:-inbound active handshake queue relay jmh cluster}"
day="$(date -u +%Y-%m-%d)"
out="$here/results/suite-$day.md"
mkdir -p "$here/results"
speed="$(openssl speed -seconds 3 ecdsap256 rsa2048 ecdhx25519 2>/dev/null | grep -E '^(rsa|ecdsa| *[0-9]+ bits|.*X25519)' || true)"
for s in $SCENARIOS; do
  echo "[suite] $s" >&2
  "$here/$s.sh" >/dev/null
done
{
  echo "# Benchmark suite, $day"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1); $(openssl version | cut -d' ' -f1-2)."
  echo
  echo "The physical limit, one core, \`openssl speed -seconds 3 ecdsap256 rsa2048 ecdhx25519\`:"
  echo
  echo '```'
  echo "$speed"
  echo '```'
  echo
  for s in $SCENARIOS; do
    echo "- [$s]($s-$day.md)"
  done
} > "$out"
cat "$out"
