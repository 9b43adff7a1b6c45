#!/usr/bin/env bash
# `make demo`: a local 3-node hacrm cluster on 127.0.0.1-3.
#  1. make a cluster key with `hacrm keygen` and a config in corosync.conf syntax
#  2. start three hacrmd and show `hacrm membership`, `hacrm quorum`, the DC
#     they elected and `hacrm status`
#  3. write through a node that is not the DC and read it back on every node
#  4. kill -9 the DC and show the new view, the new DC and the write kept
#  5. restart it, show it rejoin with the write, then stop (also on Ctrl-C)
#  6. offline, on a CIB for these three nodes: configure a DRBD-style
#     promotable stack with the crm shell, verify it, ask the policy engine
#     what it would do, and run an agent action by hand
# State lives in ./.demo (override with DEMO_DIR); UDP port 15405 (DEMO_PORT).
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
say "a write through $OTHER (not the DC): hacrm cib replace, returns once every member has it on disk"
"$HACRM" cib query --socket "$DEMO_DIR/$OTHER.sock" |
  sed 's#<crm_config/>#<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="demo-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>#' \
    >"$DEMO_DIR/write.xml"
"$HACRM" cib replace "$DEMO_DIR/write.xml" --socket "$DEMO_DIR/$OTHER.sock"
for n in "${NODES[@]}"; do
  printf '%s: ' "$n"
  "$HACRM" cib query --section crm_config --socket "$DEMO_DIR/$n.sock" | grep -o 'name="stonith-enabled" value="[a-z]*"'
done

say "kill -9 the DC ($DC)"
killed=$(now_ms)
kill -KILL "${PIDS[$DC]}"
wait "${PIDS[$DC]}" 2>/dev/null || true
unset "PIDS[$DC]"
wait_view "$OTHER" 2
wait_dc "$OTHER" "$DC"
echo "$OTHER sees a new DC, $(dc_of "$OTHER"), $(($(now_ms) - killed)) ms after the kill (token $TOKEN_MS ms)"
say "hacrm status ($OTHER) after the kill: 2 of 3 votes, still quorate, the write kept"
"$HACRM" status --socket "$DEMO_DIR/$OTHER.sock"

say "restarting $DC"
start_node "$DC"
for n in "${NODES[@]}"; do wait_view "$n" 3; done
wait_dc "$DC" ""
"$HACRM" membership --socket "$DEMO_DIR/$DC.sock"
printf '%s has the write made while it was down: ' "$DC"
"$HACRM" cib query --section crm_config --socket "$DEMO_DIR/$DC.sock" | grep -o 'name="stonith-enabled" value="[a-z]*"'

say "stopping the cluster"
cleanup

# Act 2. The transition engine is not built yet: the crm shell, the policy
# engine and the executor work offline on a file.
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
