#!/usr/bin/env bash
# `npm test`: installs what is missing, then typecheck, lint, build and every test of every
# project through Nx (never replayed from the Nx cache: every check really runs), and ends with
# one summary line over all vitest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
WITH_BROWSER=1 SKIP_BUILD=1 bash scripts/prepare.sh || exit 1
rm -f apps/*/test-results.json libs/*/test-results.json test/test-results.json
npx nx run-many -t typecheck lint build test --outputStyle=static --skip-nx-cache "$@"
status=$?
node scripts/test-summary.mjs
exit $status
