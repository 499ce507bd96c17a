#!/bin/sh
# Runs one chainsync service: the first argument names it, the rest go to the service.
# `exec` makes node PID 1, so `docker stop`'s SIGTERM reaches its graceful shutdown.
set -e
service="${1:-}"
case "$service" in
  gossip | consensus | validator | chain-store | api | devnet)
    shift
    # The healthcheck runs as its own process: tell it which service (and so which port) this is.
    echo "$service" >/tmp/chainsync-service
    # The V8 options every service runs with (SERVICE_NODE_ARGS in libs/service-kit/src/node-args.ts).
    exec node --max-semi-space-size=2 --heap-growing-percent=100 "/app/apps/$service/dist/main.js" "$@"
    ;;
  bus-auth)
    # The bus's keys and nats-server's configuration (apps/node/src/bus-auth.ts): compose's first step.
    shift
    exec node "/app/apps/node/dist/main.js" bus-auth "$@"
    ;;
  --version)
    exec node -e 'const v = process.versions; console.log(`chainsync ${require("/app/package.json").version} on Node.js ${v.node} (V8 ${v.v8}, libuv ${v.uv})`)'
    ;;
  *)
    echo "usage: docker run <image> gossip|consensus|validator|chain-store|api|devnet [args] | bus-auth [args] | --version" >&2
    echo "configuration is by environment variables; see docs/operating.md" >&2
    [ "$service" = "--help" ] && exit 0
    exit 2
    ;;
esac
