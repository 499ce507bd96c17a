/**
 * Node.js (V8) options every chainsync service is started with: by the launcher (`npm start`,
 * `npm run node`), by `startApp` in the tests and benches, and by the image's entrypoint
 * (docker/entrypoint.sh repeats them; it cannot import this).
 *
 * `--max-semi-space-size=16`: V8 in Node.js 26 lets a process's young generation grow to two
 * 32 MB semi-spaces where Node.js 20 stopped at 16 MB. For these services that only added resident
 * memory — up to ~50 MB per busy process: the chain-store held 228–233 MB at 1 000 000 blocks
 * (goal < 200; 190–196 with this option, 171–183 on Node.js 20), consensus 153–168 MB during the
 * sync bench (goal < 150; 125–133 with it, 111–118 on 20) — for no CPU per block that the sync
 * bench could tell apart (README, "Benchmarks").
 */
export const SERVICE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=16'];
