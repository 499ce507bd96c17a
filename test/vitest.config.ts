import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.js';

// End-to-end files start real processes; on a 2-core machine they run one file at a time.
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    // net/: the multi-host scenarios (network namespaces), short here; `npm run test:net` runs
    // them full-size (CHAINSYNC_NET_FULL=1).
    include: ['e2e/**/*.test.ts', 'net/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
