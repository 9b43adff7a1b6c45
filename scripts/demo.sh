#!/usr/bin/env bash
# `make demo`: a local 3-node hacrm cluster on 127.0.0.1-3.
#  1. make a cluster key with `hacrm keygen` and a config in corosync.conf syntax
#  2. start three hacrmd and show `hacrm membership` and `hacrm quorum`
#  3. kill -9 one node and show the new view and quorum
#  4. restart it, show it rejoin, then stop everything (also on Ctrl-C)
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

# wait_view NODE COUNT: until NODE's view has COUNT members (prints nothing)
wait_view() {
  local n=$1 count=$2
  for _ in $(seq 1 200); do
    if "$HACRM" membership --json --socket "$DEMO_DIR/$n.sock" 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.exit(JSON.parse(s).view?.members.length===Number(process.argv[1])?0:1)})' "$count"; then
      return 0
    fi
    sleep 0.05
  done
  echo "demo: $n did not reach a $count-member view; see $DEMO_DIR/$n.log" >&2
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
for n in "${NODES[@]}"; do start_node "$n"; done
for n in "${NODES[@]}"; do wait_view "$n" 3; done

say "hacrm membership (node1)"
"$HACRM" membership --socket "$DEMO_DIR/node1.sock"
say "hacrm quorum (node1)"
"$HACRM" quorum --socket "$DEMO_DIR/node1.sock" || true

say "kill -9 node3"
killed=$(now_ms)
kill -KILL "${PIDS[node3]}"
wait "${PIDS[node3]}" 2>/dev/null || true
unset "PIDS[node3]"
wait_view node1 2
wait_view node2 2
installed=$("$HACRM" membership --json --socket "$DEMO_DIR/node1.sock" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).view.installedAtWallMs))')
echo "node1 installed the new view $((installed - killed)) ms after the kill (token $TOKEN_MS ms)"

say "hacrm membership (node1) after the kill"
"$HACRM" membership --socket "$DEMO_DIR/node1.sock"
say "hacrm quorum (node2) after the kill: 2 of 3 votes, still quorate"
"$HACRM" quorum --socket "$DEMO_DIR/node2.sock" || true

say "restarting node3"
start_node node3
for n in "${NODES[@]}"; do wait_view "$n" 3; done
"$HACRM" membership --socket "$DEMO_DIR/node3.sock"

say "stopping the cluster"
cleanup
echo "demo finished in $((($(now_ms) - started) / 1000)) s; state and logs are in $DEMO_DIR"
