import { Type } from '@sinclair/typebox';
import { runService } from '../service.js';

/**
 * A tiny service used by the service-kit tests: answers store.tip with an empty chain.
 * SAMPLE_CLOSE_MS makes its shutdown take that long (a cleanup that hangs).
 */
await runService({
  name: 'sample',
  config: Type.Object({
    SAMPLE_GREETING: Type.String({ default: 'hi', minLength: 1 }),
    SAMPLE_CLOSE_MS: Type.Integer({ default: 0, minimum: 0 }),
  }),
  defaultOpsPort: 0,
  async start({ bus, metrics, config, onClose }) {
    onClose(() => new Promise((r) => setTimeout(r, config.SAMPLE_CLOSE_MS)));
    const served = metrics.counter('tips_served_total', 'store.tip requests served');
    bus.serve('store.tip', () => {
      served.inc();
      return { ok: true, tip: { height: -1, hash: null } };
    });
  },
});
