#!/usr/bin/env bash
# `npm test`: installs what is missing, then typecheck, lint, build and every test of every
# project through Nx (never replayed from the Nx cache: every check really runs), and ends with
# one summary line over all vitest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
WITH_BROWSER=1 WITH_PROMTOOL=1 WITH_NETNS=1 SKIP_BUILD=1 bash scripts/prepare.sh || exit 1
# The project's pinned runtime (installed by prepare.sh), also when this script is run directly.
export PATH="$PWD/node_modules/.bin:$PATH"
node -e 'const v = process.versions; console.log(`chainsync: testing on Node.js ${v.node} (V8 ${v.v8}, libuv ${v.uv}) at ${process.execPath}`)'
rm -f apps/*/test-results.json libs/*/test-results.json test/test-results.json
# A bound on the whole run (~13 min on a 2-core machine): a test that starves its own event loop
# cannot be stopped by vitest's timeouts, and a hung run should fail in minutes, not at CI's limit.
timeout --kill-after=30s "${CHAINSYNC_TEST_TIMEOUT:-40m}" \
  npx nx run-many -t typecheck lint build test --outputStyle=static --skip-nx-cache "$@"
status=$?
[ $status -ne 124 ] || echo "chainsync: npm test stopped after ${CHAINSYNC_TEST_TIMEOUT:-40m} (a hung test?)" >&2
node scripts/test-summary.mjs
exit $status
