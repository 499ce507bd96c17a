import { Type } from '@sinclair/typebox';
import { QueueGroups } from '@chainsync/protocol';
import { runService } from '@chainsync/service-kit';
import { checkBatch } from './check-batch.js';

/**
 * validator — stateless block checker. Serves `validate` in the `validators` queue group, so
 * `docker compose up --scale validator=N` spreads batches over N processes.
 */
await runService({
  name: 'validator',
  config: Type.Object({}),
  defaultOpsPort: 9103,
  async start({ bus, metrics }) {
    const checked = metrics.counter('blocks_checked_total', 'Blocks checked');
    const invalid = metrics.counter('blocks_invalid_total', 'Invalid blocks, by reason', ['reason']);
    const batchSeconds = metrics.histogram('batch_duration_seconds', 'Time to check one batch');

    bus.serve(
      'validate',
      (req) => {
        const end = batchSeconds.startTimer();
        const verdicts = checkBatch(req);
        end();
        checked.inc(verdicts.length);
        for (const v of verdicts) if (!v.ok) invalid.inc({ reason: v.reason });
        return { ok: true, verdicts };
      },
      { queue: QueueGroups.validators },
    );
    // Ready only once the server has our subscription, so a batch right after /readyz finds us.
    await bus.flush();
  },
});
