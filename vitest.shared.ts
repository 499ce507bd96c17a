import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

/** One vitest config for every project: libs resolve to their sources, so unit tests need no build. */
export const sharedConfig = defineConfig({
  resolve: {
    alias: {
      '@chainsync/protocol': lib('protocol'),
      '@chainsync/service-kit': lib('service-kit'),
      '@chainsync/testing': lib('testing'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', '*.test.ts', '**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report feeds the one-line summary that `npm test` prints at the end.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
