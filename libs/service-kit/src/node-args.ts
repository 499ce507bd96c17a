/**
 * Node.js (V8) options every chainsync service is started with: by the launcher (`npm start`,
 * `npm run node`), by `startApp` in the tests and benches, and by the image's entrypoint
 * (docker/entrypoint.sh repeats them; it cannot import this). Both bound what V8 keeps beyond the
 * live objects; neither caps the heap, so no load can make a service run out of it.
 *
 * `--heap-growing-percent=100`: after each full collection V8 lets the old generation grow to
 * 2× what survived before the next one (it picks 1.1–4× itself, and picked near 4× for the busy
 * services). A sync promotes every block it holds for a moment (downloaded, validated, staged)
 * and drops it: left to itself V8 let consensus grow to 202–242 MB resident over a
 * 1 000 000-block sync around ~25 MB of live objects; with it, 145 MB.
 * `--max-semi-space-size=2`: young generation at most two 2 MB semi-spaces (Node.js 26: up to
 * 32 MB each; 16 here before). Together, in the sync bench (100 000 blocks, 4 runs each, alternating,
 * load 5–11): peak RSS consensus 131–167 → 120–130 MB, gossip 107–112 → 97–98, chain-store
 * 124–127 → 116, validators 96–98 → 93–95, for a CPU per block within the noise (node total
 * 4.06 → 4.11× the devnet's in the same runs; 1.5× growth cost 7 %, 1 MB semi-spaces 10 %).
 * README, "Restart at scale and memory"; docs/operating.md, "Memory".
 */
export const SERVICE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=100'];

/**
 * glibc's allocator settings for every service process (the operator's own, in the environment,
 * win): at most 2 malloc arenas, and blocks of 128 KiB or more in their own mappings, so the big
 * buffers the bus reads and writes go back to the system when freed instead of staying in arenas
 * that are seldom trimmed. Measured over a 1 000 000-block sync: −37 MB over the services (peaks:
 * chain-store −9, gossip −5, consensus −12, each validator −5), CPU per block within the noise.
 * Set by the launcher, `npm run service` and `startApp`; the image sets them in its environment.
 */
export function serviceEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
  };
}
