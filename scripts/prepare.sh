#!/usr/bin/env bash
# Brings a fresh clone to a runnable state: npm packages, nats-server, a build.
# Used by `npm start`, `npm test` and `npm run bench`, so a newcomer never installs anything by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "chainsync: installing npm packages (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
fi

# Debian packages: nats-server always; chromium only for the test suite's dashboard browser test.
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[ "${WITH_BROWSER:-}" != "1" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "chainsync: installing ${missing[*]} (apt)…" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

if [ "${SKIP_BUILD:-}" != "1" ]; then
  npx nx run-many -t build --outputStyle=static >/tmp/chainsync-build.log 2>&1 || { cat /tmp/chainsync-build.log >&2; exit 1; }
fi
