// Bundles an app's compiled entry (dist/main.js, from tsc) with its npm dependencies into one
// file, dist/main.bundle.js: each service, which the launcher runs, and the launcher's own command
// line (`npm run node`, `npm start`). Why: a service spent ~0.65 s of CPU loading ~400 modules
// (fastify, pino, prom-client, nats, typebox) before it did anything, the launcher ~0.55 s; one
// file loads in ~0.36 s and ~0.3 s (README "Start-up"), and five services start at once on 2 cores.
// The bundle sits beside main.js, so paths made from import.meta.url resolve the same.
// Packages with native addons or files read at run time stay external (resolved from node_modules).
// Usage (from an app's folder, after tsc): node ../../scripts/bundle-service.mjs
import { build } from 'esbuild';

const EXTERNAL = ['lmdb', 'msgpackr', 'msgpackr-extract', 'node-gyp-build-optional-packages'];

await build({
  entryPoints: ['dist/main.js'],
  outfile: 'dist/main.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: EXTERNAL,
  // CommonJS dependencies call require() for Node's built-ins: give the ES module one.
  banner: {
    js: "import { createRequire as __chainsyncRequire } from 'node:module'; const require = __chainsyncRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
});
