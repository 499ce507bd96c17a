// Bundles a service's compiled entry (dist/main.js, from tsc) with its npm dependencies into one
// file, dist/main.bundle.js, which the launcher runs. Why: a service spent ~0.65 s of CPU loading
// ~400 modules (fastify, pino, prom-client, nats, typebox) before it did anything; one file loads
// in ~0.4 s (README "Start-up"), and five services start at once on a 2-core machine.
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
