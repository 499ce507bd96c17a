#!/usr/bin/env bash
# npm run test:compose — the node in containers, end to end, in two stacks:
#  1. one NATS server, the devnet and monitoring profiles, three validators: the api reports the
#     node synced, all three validators did validation work (their own /metrics) and are listed by
#     the api on their own rows, Prometheus scrapes every replica (`up == 1`), the dashboard answers;
#  2. the 3-server NATS cluster (docker-compose.cluster.yml): the NATS server consensus is connected
#     to is SIGKILLed in the middle of a sync, which completes with the devnet's chain.
# Every service authenticates with its own key (bus-auth). Not part of `npm test` (it needs a
# Docker engine and takes a few minutes). STACKS="single cluster" (the default) picks which run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PROJECT=chainsync-compose-test
TOOLS=../shared/tools/docker-offline       # this machine's offline Docker helpers, if present
VALIDATORS=3
SYNC_TIMEOUT_S=${SYNC_TIMEOUT_S:-300}
# The cluster stack's devnet first generates a 200 000-block chain: 16 s measured on this 2-core machine
# at load average 7, 4.5 min at load 50 (other test suites running). Its own budget, apart from the sync's.
DEVNET_TIMEOUT_S=${DEVNET_TIMEOUT_S:-600}
WORK_TIMEOUT_S=${WORK_TIMEOUT_S:-180}
log() { echo "[compose-test] $*" >&2; }

# The project's pinned Node.js (node_modules/.bin/node, installed by prepare.sh with the npm
# packages): it runs this script's helpers, and the offline base images are built from it.
SKIP_BUILD=1 bash scripts/prepare.sh
export PATH="$PWD/node_modules/.bin:$PATH"
NODE_VERSION=$(node -p process.versions.node)

if [ -d "$TOOLS" ]; then
  "$TOOLS/start-dockerd.sh"
  # node:<major>[-bookworm-slim] from exactly the pinned binary, as a registry would serve that
  # major elsewhere. The script keeps a tag that exists, so one made from another build of the
  # same major (an earlier pin) is rebuilt.
  force=()
  base_node=$(docker run --rm "node:${NODE_VERSION%%.*}-bookworm-slim" node -p process.versions.node 2>/dev/null || true)
  [ -z "$base_node" ] || [ "$base_node" = "$NODE_VERSION" ] || force=(--force)
  NODE_BIN="$(readlink -f node_modules/.bin/node)" "$TOOLS/make-base-images.sh" "${force[@]}"
elif ! docker info >/dev/null 2>&1; then
  log "FAIL: no Docker engine, and $TOOLS (the offline Docker helpers) is absent."
  log "Start Docker (with compose v2 or docker-compose) and run again."
  exit 1
fi
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi

# Free host ports, so a running `npm start` or another stack does not collide with the test.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
export HTTP_PORT UDP_PORT PROMETHEUS_PORT
HTTP_PORT=$(free_port)
UDP_PORT=$(free_port)
PROMETHEUS_PORT=$(free_port)
export NODE_NAME=compose-test
STACKS=${STACKS:-single cluster}
FILES=(-f docker-compose.yml)
PROFILES=(--profile devnet --profile monitoring)
compose() { "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "${PROFILES[@]}" "$@"; }

cleanup() {
  local status=$?
  if [ "$status" != 0 ]; then
    log "logs of the failed run (last lines per service):"
    compose logs --no-color --tail=30 >&2 || true
  fi
  compose down --volumes --remove-orphans >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap "exit 130" INT TERM

t0=$(date +%s)
log "building the images (${COMPOSE[*]})"
compose build >/tmp/chainsync-compose-build.log 2>&1 || { tail -40 /tmp/chainsync-compose-build.log >&2; exit 1; }
t1=$(date +%s)
# The image says which Node.js it runs: the pinned major (here the pinned build itself), and the
# runtime stage holds that one node binary (the pinned `node` package is a pruned dev dependency).
IMAGE=chainsync:local   # docker-compose.yml's image
log "image $IMAGE: $(docker run --rm "$IMAGE" --version), label chainsync.node-version=$(docker image inspect -f '{{ index .Config.Labels "chainsync.node-version" }}' "$IMAGE")"
image_node=$(docker run --rm --entrypoint node "$IMAGE" -p process.versions.node)
[ "${image_node%%.*}" = "${NODE_VERSION%%.*}" ] || { log "FAIL: the image runs Node.js $image_node, the project pins $NODE_VERSION"; exit 1; }
nodes=$(docker run --rm --user root --entrypoint find "$IMAGE" / -xdev -type f -name node)
[ "$nodes" = /usr/local/bin/node ] || { log "FAIL: node binaries in the image: $nodes (expected /usr/local/bin/node only)"; exit 1; }
log "built in $((t1 - t0)) s"

# GET on the api (or any published port) from this host; prints the body, or {} when it fails.
get() { node -e "fetch(process.argv[1]).then(r=>r.text()).then(t=>console.log(t)).catch(()=>console.log('{}'))" "$1"; }
status_json() { get "http://127.0.0.1:$HTTP_PORT/status"; }
# Polls GET /status until the node holds at least $1 blocks' height and consensus says synced.
wait_synced() {
  local height=$1 deadline=$(($(date +%s) + SYNC_TIMEOUT_S)) s
  while :; do
    s=$(status_json)
    if node -e "const s=JSON.parse(process.argv[1]); process.exit(s.phase==='synced' && s.height >= $height && s.services.length === 4 && s.services.every(x=>x.ready) ? 0 : 1)" "$s"; then
      break
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: not synced after ${SYNC_TIMEOUT_S} s: $s"; exit 1; }
    sleep 2
  done
  node -e "const s=JSON.parse(process.argv[1]); console.log('height ' + s.height + ', phase ' + s.phase + ', ' + s.peers + ' peers, services ' + s.services.map(x=>x.name+(x.ready?' ok':' DOWN')).join(', '))" "$s"
}

single_stack() {
  FILES=(-f docker-compose.yml)
  PROFILES=(--profile devnet --profile monitoring)
  export DEVNET_BLOCKS=${DEVNET_BLOCKS:-3000} DEVNET_MINE_INTERVAL=${DEVNET_MINE_INTERVAL:-2} DIFFICULTY=${DIFFICULTY:-3}
  local t1 t2 t3
  t1=$(date +%s)
  log "single: starting bus-auth, nats, gossip, consensus, ${VALIDATORS} validators, chain-store, api, the devnet and prometheus"
  compose up --wait --wait-timeout 300 --scale validator="$VALIDATORS"  # --wait implies -d
  t2=$(date +%s)
  log "single: every container healthy after $((t2 - t1)) s; api on 127.0.0.1:$HTTP_PORT"
  summary=$(wait_synced $((DEVNET_BLOCKS - 1)))
  t3=$(date +%s)
  log "single: synced $((t3 - t2)) s after the stack was up: $summary"

  # Each validator replica's own counter, read inside its container (replicas publish no ports).
  checked() {
    compose exec -T --index="$1" validator node -e \
      "fetch('http://127.0.0.1:9103/metrics').then(r=>r.text()).then(t=>{const m=t.match(/^chainsync_validator_blocks_checked_total(?:\{[^}]*\})? (\d+)/m);console.log(m?m[1]:0)}).catch(()=>console.log(0))" |
      tr -d '\r'
  }
  local deadline=$(($(date +%s) + WORK_TIMEOUT_S)) idle
  while :; do
    counts=()
    for i in $(seq 1 "$VALIDATORS"); do counts+=("$(checked "$i")"); done
    idle=0
    for c in "${counts[@]}"; do [ "$c" -gt 0 ] || idle=1; done
    [ "$idle" = 0 ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: blocks checked per validator: ${counts[*]} (one did no work)"; exit 1; }
    sleep 3
  done
  log "single: blocks checked per validator: ${counts[*]}"

  # The api lists each replica on its own row (the NATS service protocol), not a DNS-picked one.
  deadline=$(($(date +%s) + 30))
  until node -e "const b=JSON.parse(process.argv[1]); const v=(b.instances||[]).filter(i=>i.service==='validator'&&i.status==='up'&&i.requests>0); process.exit(v.length===$VALIDATORS && new Set(v.map(i=>i.host)).size===$VALIDATORS ? 0 : 1)" "$(get "http://127.0.0.1:$HTTP_PORT/instances")"; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: /instances does not list $VALIDATORS working validators: $(get "http://127.0.0.1:$HTTP_PORT/instances")"; exit 1; }
    sleep 2
  done
  log "single: /instances: $(node -e "const b=JSON.parse(process.argv[1]); console.log(b.instances.map(i=>i.service+'@'+i.host+' '+i.requests+' req').join(', '))" "$(get "http://127.0.0.1:$HTTP_PORT/instances")")"

  # Prometheus scrapes every replica: up == 1 for 3 validators and one of each other service.
  deadline=$(($(date +%s) + 90))
  local up
  while :; do
    up=$(get "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query?query=up")
    node -e "
      const r = JSON.parse(process.argv[1]).data?.result ?? [];
      const want = {'chainsync-gossip':1,'chainsync-consensus':1,'chainsync-validator':$VALIDATORS,'chainsync-chain-store':1,'chainsync-api':1};
      const ok = Object.entries(want).every(([job, n]) => r.filter(x => x.metric.job === job && x.value[1] === '1').length === n && r.filter(x => x.metric.job === job).length === n);
      process.exit(ok ? 0 : 1);" "$up" && break
    [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: Prometheus up: $up"; exit 1; }
    sleep 3
  done
  log "single: Prometheus: $(node -e "const r=JSON.parse(process.argv[1]).data.result; console.log(r.map(x=>x.metric.job.replace('chainsync-','')+'@'+x.metric.instance+'='+x.value[1]).sort().join(' '))" "$up")"

  # Every container's first log line names the Node.js it runs on: the image's.
  local started
  started=$(compose logs --no-color gossip consensus validator chain-store api devnet | node -e "
    const first = new Map();
    for (const line of require('fs').readFileSync(0, 'utf8').split('\n')) {
      const i = line.indexOf('| {');
      if (i < 0) continue;
      const container = line.slice(0, i).trim();
      if (first.has(container)) continue;
      try { first.set(container, JSON.parse(line.slice(i + 2))); } catch { first.set(container, {}); }
    }
    const bad = [...first].filter(([, l]) => l.msg !== 'starting' || l.nodeVersion !== 'v$image_node');
    console.log(first.size + ' containers' + (bad.length ? ', not starting on v$image_node: ' + bad.map(([c, l]) => c + ' ' + JSON.stringify(l)).join('; ') : ''));
    process.exit(first.size === $((VALIDATORS + 5)) && bad.length === 0 ? 0 : 1);") ||
    { log "FAIL: first log lines: $started"; exit 1; }
  log "single: first log line of each of the $started: \"nodeVersion\":\"v$image_node\",…,\"msg\":\"starting\""

  # The dashboard is served, and bad input gets a 400 with a reason.
  node -e "
  (async () => {
    const base = 'http://127.0.0.1:$HTTP_PORT';
    const page = await fetch(base + '/');
    const bad = await fetch(base + '/blocks/-1');
    const block = await fetch(base + '/blocks/0');
    const ok = page.ok && (await page.text()).includes('id=\"instances\"') && bad.status === 400 && block.ok;
    process.exit(ok ? 0 : 1);
  })().catch(() => process.exit(1));" || { log "FAIL: dashboard or /blocks did not answer as expected"; exit 1; }
  compose down --volumes --remove-orphans >/dev/null 2>&1
  log "single: PASS — stack healthy in $((t2 - t1)) s, synced in $((t3 - t2)) s, validators ${counts[*]}"
}

# Which NATS server of the cluster holds the connection named $1 (the services name theirs).
# Through `docker exec` on the servers' containers (found once per stack: NATS_IDS), which costs a
# fraction of a `compose exec` (compose v1 is a Python program, ~3 s a call on a busy machine).
declare -A NATS_IDS
server_of() {
  local s
  for s in nats nats-2 nats-3; do
    if docker exec "${NATS_IDS[$s]}" wget -qO- 'http://127.0.0.1:8222/connz?limit=1024' 2>/dev/null | grep -q "\"name\": *\"$1\""; then
      echo "$s"
      return
    fi
  done
}

cluster_stack() {
  FILES=(-f docker-compose.yml -f docker-compose.cluster.yml)
  PROFILES=(--profile devnet)
  # A chain long enough to take several seconds to sync, and a devnet that mines nothing meanwhile,
  # so "the right chain" is the devnet's, block for block.
  export DEVNET_BLOCKS=${CLUSTER_BLOCKS:-200000} DEVNET_MINE_INTERVAL=100000 DIFFICULTY=1
  local t1 t2 t3 t_up='' s phase victim after
  t1=$(date +%s)
  log "cluster: starting nats, nats-2, nats-3 and the node's services spread over them, with a ${DEVNET_BLOCKS}-block devnet"
  # The node first, then the devnet, so the sync starts while this script watches.
  compose up --wait --wait-timeout 400 bus-auth nats nats-2 nats-3 gossip consensus validator chain-store api
  for s in nats nats-2 nats-3; do NATS_IDS[$s]=$(compose ps -q "$s"); done
  log "cluster: node healthy after $(($(date +%s) - t1)) s; connections: $(for n in gossip consensus validator chain-store api; do printf '%s→%s ' "$n" "$(server_of "$n")"; done)"
  compose up -d devnet
  t2=$(date +%s)
  # Wait until the sync is under way, then SIGKILL the server consensus talks through. First the
  # devnet generates its chain (DEVNET_TIMEOUT_S): the node has no target until a peer claims it;
  # from the first claim, the sync has SYNC_TIMEOUT_S to get under way.
  local deadline=$((t2 + DEVNET_TIMEOUT_S)) what="no peer claims a chain (the devnet is not up)"
  while :; do
    s=$(status_json)
    phase=$(node -e "const s=JSON.parse(process.argv[1]); console.log(!s.target ? 'waiting' : s.phase==='syncing' && s.progress && s.progress.done > 0 && s.progress.done < s.progress.total * 0.7 ? 'mid' : s.phase)" "$s")
    if [ -z "$t_up" ] && [ "$phase" != waiting ]; then
      t_up=$(date +%s) deadline=$(($(date +%s) + SYNC_TIMEOUT_S)) what="no sync under way ${SYNC_TIMEOUT_S} s after the devnet's first claim"
      log "cluster: the devnet claims its chain $((t_up - t2)) s after it started (generating ${DEVNET_BLOCKS} blocks)"
    fi
    [ "$phase" = mid ] && break
    [ "$phase" = synced ] && { log "FAIL: the sync ended before the kill (raise CLUSTER_BLOCKS): $s"; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: $what: $s"; exit 1; }
    sleep 0.5
  done
  victim=$(server_of consensus)
  [ -n "$victim" ] || { log "FAIL: no server holds consensus' connection"; exit 1; }
  log "cluster: mid-sync ($(node -e "const s=JSON.parse(process.argv[1]); console.log(s.progress.done + '/' + s.progress.total + ' blocks staged')" "$s")): SIGKILL $victim, consensus' server"
  compose kill -s SIGKILL "$victim" >/dev/null 2>&1
  summary=$(wait_synced $((DEVNET_BLOCKS - 1)))
  t3=$(date +%s)
  after=$(server_of consensus)
  log "cluster: synced $((t3 - t_up)) s after the devnet's first claim ($((t3 - t2)) s after it started), consensus now on ${after:-?}: $summary"
  [ "$after" != "$victim" ] || log "note: $victim was restarted by its restart policy and consensus is back on it"
  # The right chain: the node's blocks are the devnet's at the top, the middle and the bottom.
  local top=$((DEVNET_BLOCKS - 1)) h ours theirs
  for h in 0 $((top / 2)) $top; do
    ours=$(node -e "fetch('http://127.0.0.1:$HTTP_PORT/blocks/$h').then(r=>r.json()).then(b=>console.log(b.hash)).catch(()=>console.log('none'))")
    theirs=$(compose exec -T devnet node -e "
      const s = require('dgram').createSocket('udp4');
      s.on('message', (b) => { const m = JSON.parse(b); if (m.type === 'GET_BLOCK_REPLY') { console.log(m.hash); process.exit(0); } });
      s.send(JSON.stringify({ type: 'GET_BLOCK', height: $h }), 9000, 'devnet');
      setTimeout(() => { console.log('silent'); process.exit(1); }, 3000);" | tr -d '\r')
    [ "$ours" = "$theirs" ] || { log "FAIL: block $h: node $ours, devnet $theirs"; exit 1; }
  done
  log "cluster: blocks 0, $((top / 2)) and $top are the devnet's"
  compose down --volumes --remove-orphans >/dev/null 2>&1
  log "cluster: PASS — up in $((t2 - t1)) s, devnet's chain in $((t_up - t2)) s, sync in $((t3 - t_up)) s through the loss of $victim"
}

for stack in $STACKS; do
  case $stack in
    single) single_stack ;;
    cluster) cluster_stack ;;
    *) log "unknown stack $stack (single, cluster)"; exit 2 ;;
  esac
done
log "PASS: $STACKS (images built in $((t1 - t0)) s)"
