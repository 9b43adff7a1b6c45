#!/usr/bin/env bash
# `make demo`: a local 3-node hacrm cluster on 127.0.0.1-3 doing its job.
#  1. make a cluster key with `hacrm keygen` and a config in corosync.conf syntax
#  2. start three hacrmd and show `hacrm membership`, `hacrm quorum`, the DC
#     they elected and `hacrm status`
#  3. configure resources on the running cluster with the crm shell (a
#     service with a real process, a group of two), and see them started
#  4. kill -9 the service's process: its monitor sees it, it is restarted
#  5. kill -9 the hacrmd of the node running the group: it runs elsewhere
#  6. restart that node, then stop the cluster (SIGTERM: each node moves or
#     stops its resources before it leaves; also on Ctrl-C)
#  7. offline, on a CIB for these three nodes: configure a DRBD-style
#     promotable stack with the crm shell, verify it, ask the policy engine
#     what it would do, and run an agent action by hand
# Times are measured and printed. State lives in ./.demo (override with
# DEMO_DIR); UDP port 15405 (DEMO_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=${DEMO_DIR:-./.demo}
DEMO_PORT=${DEMO_PORT:-15405}
TOKEN_MS=${TOKEN_MS:-1000}
NODES=(node1 node2 node3)
HACRM=./bin/hacrm
HACRMD=./bin/hacrmd
declare -A PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now_ms() { date +%s%3N; }

if [ ! -f packages/controller/dist/hacrmd-cli.js ] || [ ! -f packages/shell/dist/cli.js ]; then
  echo "demo: hacrm is not built; run 'make build' first" >&2
  exit 1
fi

stop_node() {
  local n=$1 pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$n]"
}
cleanup() {
  trap - EXIT INT TERM
  for n in "${!PIDS[@]}"; do stop_node "$n"; done
  # The sleeper service is a daemon of its own: without fencing, a node whose
  # hacrmd was killed leaves it running; end what is left.
  for f in "$DEMO_DIR"/node*/executor/rsctmp/hacrm-sleeper/hacrm-sleeper.pid; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, stopping the cluster"; exit 130' INT TERM

start_node() {
  local n=$1
  "$HACRMD" --config "$DEMO_DIR/hacrm.conf" --node "$n" --state-dir "$DEMO_DIR/$n" \
    --socket "$DEMO_DIR/$n.sock" >>"$DEMO_DIR/$n.log" 2>&1 &
  PIDS[$n]=$!
}

# wait_view NODE COUNT: until NODE's view has COUNT members (prints nothing; before the
# daemon answers, membership prints nothing, which is "not yet", not an error)
wait_view() {
  local n=$1 count=$2
  for _ in $(seq 1 200); do
    if "$HACRM" membership --json --socket "$DEMO_DIR/$n.sock" 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v;try{v=JSON.parse(s)}catch{process.exit(1)}process.exit(v.view?.members.length===Number(process.argv[1])?0:1)})' "$count"; then
      return 0
    fi
    sleep 0.05
  done
  echo "demo: $n did not reach a $count-member view; see $DEMO_DIR/$n.log" >&2
  return 1
}

# dc_of NODE: the DC's name as NODE sees it (empty when there is none)
dc_of() {
  "$HACRM" status --json --socket "$DEMO_DIR/$1.sock" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).cluster.dc??"")}catch{console.log("")}})'
}

# wait_dc NODE NOT: until NODE sees a DC other than NOT (and other than none)
wait_dc() {
  local n=$1 not=$2 dc
  for _ in $(seq 1 400); do
    dc=$(dc_of "$n")
    if [ -n "$dc" ] && [ "$dc" != "$not" ]; then return 0; fi
    sleep 0.05
  done
  echo "demo: $n sees no DC; see $DEMO_DIR/$n.log" >&2
  return 1
}

# where RSC NODE: the node RSC runs on as NODE sees it (empty unless on exactly one node, started)
where() {
  "$HACRM" status --json --socket "$DEMO_DIR/$2.sock" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const r=JSON.parse(s).resources.filter(x=>x.id===process.argv[1]);console.log(r.length===1&&r[0].role==="Started"?r[0].node:"")}catch{console.log("")}})' "$1"
}

# wait_where RSC NODE NOT: until NODE sees RSC started on one node other than NOT; prints it
wait_where() {
  local r=$1 n=$2 not=${3:-} at
  for _ in $(seq 1 600); do
    at=$(where "$r" "$n")
    if [ -n "$at" ] && [ "$at" != "$not" ]; then echo "$at"; return 0; fi
    sleep 0.05
  done
  echo "demo: $r did not start (as $n sees it); see $DEMO_DIR/*.log" >&2
  return 1
}

sleeper_pid() {
  cat "$DEMO_DIR/$1/executor/rsctmp/hacrm-sleeper/hacrm-sleeper.pid" 2>/dev/null || true
}

started=$(now_ms)
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"

say "hacrm keygen --file $DEMO_DIR/authkey"
"$HACRM" keygen --file "$DEMO_DIR/authkey"

cat >"$DEMO_DIR/hacrm.conf" <<EOF
totem {
    version: 2
    cluster_name: demo
    transport: knet
    token: $TOKEN_MS
    crypto_cipher: aes256
    crypto_hash: sha256
    keyfile: $DEMO_DIR/authkey
    interface {
        linknumber: 0
        mcastport: $DEMO_PORT
    }
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        name: node1
        nodeid: 1
    }
    node {
        ring0_addr: 127.0.0.2
        name: node2
        nodeid: 2
    }
    node {
        ring0_addr: 127.0.0.3
        name: node3
        nodeid: 3
    }
}
quorum {
    provider: corosync_votequorum
}
logging {
    to_stderr: yes
}
EOF
say "config: $DEMO_DIR/hacrm.conf (token $TOKEN_MS ms, AES-256-GCM, UDP port $DEMO_PORT)"

say "starting hacrmd on 127.0.0.1, 127.0.0.2, 127.0.0.3 (logs in $DEMO_DIR/nodeN.log)"
daemons_started=$(now_ms)
for n in "${NODES[@]}"; do start_node "$n"; done
for n in "${NODES[@]}"; do wait_view "$n" 3; done

say "hacrm membership (node1)"
"$HACRM" membership --socket "$DEMO_DIR/node1.sock"
say "hacrm quorum (node1)"
"$HACRM" quorum --socket "$DEMO_DIR/node1.sock" || true
wait_dc node1 ""
dc_elected=$(now_ms)
echo "a DC was elected $((dc_elected - daemons_started)) ms after the daemons were started (Pacemaker waits dc-deadtime, 20 s)"
say "hacrm status (node1): the DC, quorum and the CIB version"
"$HACRM" status --socket "$DEMO_DIR/node1.sock"

DC=$(dc_of node1)
OTHER=node1; [ "$DC" = node1 ] && OTHER=node2
say "hacrm configure on the running cluster (through $OTHER, not the DC)"
CRM_LIVE='property stonith-enabled=false
primitive svc lsb:hacrm-sleeper op monitor interval=1s timeout=15s
primitive fs ocf:hacrm:Dummy op monitor interval=1s timeout=20s
primitive db ocf:hacrm:Dummy op monitor interval=1s timeout=20s
group g_db fs db'
echo "$CRM_LIVE"
configured=$(now_ms)
echo "$CRM_LIVE" | HACRM_SOCKET="$DEMO_DIR/$OTHER.sock" "$HACRM" configure
SVC_AT=$(wait_where svc node1)
DB_AT=$(wait_where db node1)
echo "svc started on $SVC_AT, the group g_db on $DB_AT, $(($(now_ms) - configured)) ms after the configuration was committed (probes on every node first)"
say "hacrm status ($OTHER)"
"$HACRM" status --socket "$DEMO_DIR/$OTHER.sock"

PID=$(sleeper_pid "$SVC_AT")
say "kill -9 the svc daemon (pid $PID on $SVC_AT): its monitor (every 1 s) sees it, the DC restarts it"
killed=$(now_ms)
kill -KILL "$PID"
for _ in $(seq 1 400); do
  NEW=$(sleeper_pid "$SVC_AT")
  if [ -n "$NEW" ] && [ "$NEW" != "$PID" ] && kill -0 "$NEW" 2>/dev/null && [ -n "$(where svc node1)" ]; then break; fi
  sleep 0.05
done
echo "svc runs again on $SVC_AT (pid $(sleeper_pid "$SVC_AT")), $(($(now_ms) - killed)) ms after the kill"
"$HACRM" status --socket "$DEMO_DIR/$OTHER.sock" | sed -n '/Migration Summary/,$p'

VICTIM=$DB_AT
ALIVE=node1; [ "$VICTIM" = node1 ] && ALIVE=node2
say "kill -9 the hacrmd of $VICTIM (it runs the group g_db)"
killed=$(now_ms)
kill -KILL "${PIDS[$VICTIM]}"
wait "${PIDS[$VICTIM]}" 2>/dev/null || true
unset "PIDS[$VICTIM]"
NEW_AT=$(wait_where db "$ALIVE" "$VICTIM")
echo "g_db runs on $NEW_AT, $(($(now_ms) - killed)) ms after the kill (token $TOKEN_MS ms; no fencing in this demo)"
say "hacrm status ($ALIVE)"
"$HACRM" status --socket "$DEMO_DIR/$ALIVE.sock"

say "restarting $VICTIM: it rejoins, its probes find g_db still there (no fencing), the DC keeps one copy"
start_node "$VICTIM"
for n in "${NODES[@]}"; do wait_view "$n" 3; done
sleep 2
"$HACRM" status --socket "$DEMO_DIR/$VICTIM.sock"

say "stopping the cluster (SIGTERM: each node moves or stops its resources first)"
cleanup

# Act 2. The crm shell, the policy engine and the executor also work offline
# on a file (CIB_file), as Pacemaker's tools do.
CIB="$DEMO_DIR/cib.xml"
cat >"$CIB" <<EOF
<cib validate-with="pacemaker-3.9" crm_feature_set="3.16.1" admin_epoch="0" epoch="1" num_updates="0" have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"/>
      <node id="3" uname="node3"/>
    </nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>
EOF
export CIB_file="$CIB"
say "offline on $CIB: hacrm configure (crmsh's language)"
CRM_SCRIPT='property stonith-enabled=false
rsc_defaults resource-stickiness=100
primitive drbd ocf:hacrm:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
clone drbd-clone drbd meta promotable=true promoted-max=1 clone-max=2
primitive fs ocf:hacrm:Dummy op monitor interval=20s
primitive db ocf:hacrm:Dummy op monitor interval=20s
group g_db fs db
colocation db_with_drbd inf: g_db drbd-clone:Promoted
order db_after_drbd Mandatory: drbd-clone:promote g_db:start
location drbd_not_on_3 drbd-clone -inf: node3'
echo "$CRM_SCRIPT"
echo "$CRM_SCRIPT" | "$HACRM" configure
"$HACRM" node attribute node1 set master-drbd 10
"$HACRM" node attribute node2 set master-drbd 5
say "hacrm verify"
"$HACRM" verify
say "hacrm simulate: what the policy engine would do on this cluster"
"$HACRM" simulate | sed -n '/Transition Summary/,/^$/p;/Revised Cluster Status/,$p'
say "hacrm ra exec: one agent action by hand, with the cluster's environment"
DUMMY_STATE="$DEMO_DIR/db.state"
"$HACRM" ra exec ocf:hacrm:Dummy start state="$DUMMY_STATE" && echo "start: ok"
"$HACRM" ra exec ocf:hacrm:Dummy monitor state="$DUMMY_STATE" && echo "monitor: running"
"$HACRM" ra exec ocf:hacrm:Dummy stop state="$DUMMY_STATE" && echo "stop: ok"
"$HACRM" ra exec ocf:hacrm:Dummy monitor state="$DUMMY_STATE" || echo "monitor: exit $? (not running)"
unset CIB_file

echo "demo finished in $((($(now_ms) - started) / 1000)) s; state and logs are in $DEMO_DIR"
