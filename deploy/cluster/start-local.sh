#!/usr/bin/env bash
# start-local.sh: a three-node Postern cluster on loopback, for trying the cluster on one machine.
#   node a: inbound + policy     SMTP 127.0.0.1:2525, Hazelcast :5701, event bus :5711
#   node b: queue + outbound + policy   Hazelcast :5702, event bus :5712, admin API :2581
#   node c: queue + outbound + policy   Hazelcast :5703, event bus :5713, admin API :2582
#   metrics listeners (/metrics, /health/*): a :9025, b :9026, c :9027
# Usage: deploy/cluster/start-local.sh [--set key=value]...   (the --set options go to every node,
#        e.g. --set 'outbound.transport=*=[127.0.0.1]:2526' to deliver everything to a test sink)
# Environment: POSTERN_CLUSTER_DIR (state, default /tmp/postern-cluster).
# Stop with deploy/cluster/stop-local.sh. A test CA and node certificates (ECDSA P-256, extended key
# usage serverAuth+clientAuth) are made with 'postern pki' on first use, in $POSTERN_CLUSTER_DIR/pki.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deploy="$(dirname "$here")"
dir="${POSTERN_CLUSTER_DIR:-/tmp/postern-cluster}"
pki="$dir/pki"

umask 077
mkdir -p "$pki"
chmod 700 "$dir" "$pki"

# Postern's own CA (Bouncy Castle, no openssl): keys 0600 under $pki/private.
if [ ! -f "$pki/ca.crt" ]; then
  "$deploy/postern" pki init-ca --dir "$pki" --subject '/O=Postern local cluster/CN=Postern local node CA' \
    --key ec:p256 --days 60 >/dev/null
fi
for n in a b c; do
  if [ ! -f "$pki/certs/node-$n.chain.pem" ]; then
    "$deploy/postern" pki issue node --dir "$pki" --cn "node-$n" --days 30 >/dev/null
  fi
done

# A test operator key, so that 'postern config push' works on this cluster (deploy/README.md).
if [ ! -f "$dir/operator/operator.key" ]; then
  "$deploy/postern" config keygen --out "$dir/operator" >/dev/null
fi

cat > "$dir/cluster.conf" <<CONF
# The cluster file all three nodes share; each node adds its own ports and certificate with --set.
cluster.name = postern-local
cluster.members = 127.0.0.1:5701, 127.0.0.1:5702, 127.0.0.1:5703
cluster.interface = 127.0.0.1
cluster.bus_ca_file = $pki/ca.crt
cluster.operator_keys = $dir/operator/*.pub
CONF

start() { # name roles hazelcast-port bus-port extra-settings...
  local n="$1" roles="$2" hz="$3" bus="$4"
  shift 4
  if [ -f "$dir/$n.pid" ] && kill -0 "$(cat "$dir/$n.pid")" 2>/dev/null; then
    echo "node $n is already running (pid $(cat "$dir/$n.pid"))" >&2
    return
  fi
  mkdir -p "$dir/$n"
  "$deploy/postern" run --cluster --cluster-config "$dir/cluster.conf" --roles "$roles" \
    --set "cluster.port=$hz" --set "cluster.bus_port=$bus" \
    --set "cluster.bus_cert_chain=$pki/certs/node-$n.chain.pem" --set "cluster.bus_key=$pki/private/node-$n.key" \
    --set "node.hostname=node-$n.localhost" --set "node.data_dir=$dir/$n/data" \
    --set "queue.spool_dir=$dir/$n/spool" --set "node.log=$dir/$n/postern.log" "$@" \
    </dev/null >>"$dir/$n/stdout.log" 2>&1 &
  echo $! > "$dir/$n.pid"
  echo "node $n: pid $!, roles $roles, log $dir/$n/postern.log"
}

start a inbound,policy 5701 5711 --set node.admin_listen= --set 'inbound.listeners=127.0.0.1:2525 may' \
  --set node.metrics_listen=127.0.0.1:9025 "$@"
start b queue,outbound,policy 5702 5712 --set node.admin_listen=127.0.0.1:2581 --set node.metrics_listen=127.0.0.1:9026 "$@"
start c queue,outbound,policy 5703 5713 --set node.admin_listen=127.0.0.1:2582 --set node.metrics_listen=127.0.0.1:9027 "$@"

# Ready when every node has logged a view of three members.
for _ in $(seq 1 120); do
  ready=0
  for n in a b c; do
    grep -q "members 3 \[" "$dir/$n/postern.log" 2>/dev/null && grep -q "node started" "$dir/$n/postern.log" \
      && ready=$((ready + 1))
  done
  if [ "$ready" = 3 ]; then
    echo "cluster ready: SMTP on 127.0.0.1:2525 (node a); queues on b and c"
    echo "push policy: $deploy/postern config push --policy-access FILE --key $dir/operator/operator.key --admin 127.0.0.1:2581 --data-dir $dir/b/data"
    exit 0
  fi
  sleep 1
done
echo "the cluster did not form within 120 s; see $dir/*/postern.log and $dir/*/stdout.log" >&2
exit 1
