import { Type } from '@sinclair/typebox';
import { runService } from '../service.js';

/** A tiny service used by the service-kit tests: answers store.tip with an empty chain. */
await runService({
  name: 'sample',
  config: Type.Object({ SAMPLE_GREETING: Type.String({ default: 'hi', minLength: 1 }) }),
  defaultOpsPort: 0,
  async start({ bus, metrics }) {
    const served = metrics.counter('tips_served_total', 'store.tip requests served');
    bus.serve('store.tip', () => {
      served.inc();
      return { ok: true, tip: { height: -1, hash: null } };
    });
  },
});
