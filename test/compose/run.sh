#!/usr/bin/env bash
# npm run test:compose — the node in containers, end to end: build the image, start the stack with
# the devnet profile and three validators, wait until the api reports the node synced with the
# devnet, check that all three validators did validation work (their own /metrics), tear down.
# Not part of `npm test` (it needs a Docker engine and takes a few minutes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PROJECT=chainsync-compose-test
TOOLS=../shared/tools/docker-offline       # this machine's offline Docker helpers, if present
VALIDATORS=3
SYNC_TIMEOUT_S=${SYNC_TIMEOUT_S:-300}
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
export HTTP_PORT UDP_PORT
HTTP_PORT=$(free_port)
UDP_PORT=$(free_port)
export DEVNET_BLOCKS=${DEVNET_BLOCKS:-3000} DEVNET_MINE_INTERVAL=${DEVNET_MINE_INTERVAL:-2} NODE_NAME=compose-test
compose() { "${COMPOSE[@]}" -p "$PROJECT" --profile devnet "$@"; }

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
log "building the image (${COMPOSE[*]})"
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
log "built in $((t1 - t0)) s; starting nats, gossip, consensus, ${VALIDATORS} validators, chain-store, api and the devnet"
compose up --wait --wait-timeout 300 --scale validator="$VALIDATORS"  # --wait implies -d
t2=$(date +%s)
log "every container healthy after $((t2 - t1)) s; api on 127.0.0.1:$HTTP_PORT"

# Poll GET /status until the node holds the devnet's chain and consensus says synced.
status_json() { node -e "fetch('http://127.0.0.1:$HTTP_PORT/status').then(r=>r.text()).then(t=>console.log(t)).catch(()=>console.log('{}'))"; }
deadline=$(($(date +%s) + SYNC_TIMEOUT_S))
while :; do
  s=$(status_json)
  if node -e "const s=JSON.parse(process.argv[1]); process.exit(s.phase==='synced' && s.height >= $DEVNET_BLOCKS - 1 && s.services.length === 4 && s.services.every(x=>x.ready) ? 0 : 1)" "$s"; then
    break
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: not synced after ${SYNC_TIMEOUT_S} s: $s"; exit 1; }
  sleep 2
done
t3=$(date +%s)
summary=$(node -e "const s=JSON.parse(process.argv[1]); console.log('height ' + s.height + ', phase ' + s.phase + ', ' + s.peers + ' peers, services ' + s.services.map(x=>x.name+(x.ready?' ok':' DOWN')).join(', '))" "$s")
log "synced $((t3 - t2)) s after the stack was up: $summary"

# Each validator replica's own counter, read inside its container (replicas publish no ports).
checked() {
  compose exec -T --index="$1" validator node -e \
    "fetch('http://127.0.0.1:9103/metrics').then(r=>r.text()).then(t=>{const m=t.match(/^chainsync_validator_blocks_checked_total(?:\{[^}]*\})? (\d+)/m);console.log(m?m[1]:0)}).catch(()=>console.log(0))" |
    tr -d '\r'
}
deadline=$(($(date +%s) + WORK_TIMEOUT_S))
while :; do
  counts=()
  for i in $(seq 1 "$VALIDATORS"); do counts+=("$(checked "$i")"); done
  idle=0
  for c in "${counts[@]}"; do [ "$c" -gt 0 ] || idle=1; done
  [ "$idle" = 0 ] && break
  [ "$(date +%s)" -lt "$deadline" ] || { log "FAIL: blocks checked per validator: ${counts[*]} (one did no work)"; exit 1; }
  sleep 3
done
log "blocks checked per validator: ${counts[*]}"

# The dashboard is served, and bad input gets a 400 with a reason.
node -e "
(async () => {
  const base = 'http://127.0.0.1:$HTTP_PORT';
  const page = await fetch(base + '/');
  const bad = await fetch(base + '/blocks/-1');
  const block = await fetch(base + '/blocks/0');
  const ok = page.ok && (await page.text()).includes('id=\"height\"') && bad.status === 400 && block.ok;
  process.exit(ok ? 0 : 1);
})().catch(() => process.exit(1));" || { log "FAIL: dashboard or /blocks did not answer as expected"; exit 1; }

log "PASS: image built in $((t1 - t0)) s, stack healthy in $((t2 - t1)) s, synced in $((t3 - t2)) s, validators ${counts[*]}"
