import { blockHash, meetsDifficulty, type Block } from '@chainsync/protocol';
import { randomMessages } from '../../content.js';
import { choice, int } from '../knobs.js';
import { MAX_OPEN_THROWAWAY_SOCKETS, MAX_RATE_PER_S } from '../limits.js';
import { defineMode } from '../mode.js';
import { randomDigits } from '../random.js';

export type AnnounceFault = 'work' | 'messages';

/** One more than a block may carry (SPEC §4: at most 10). */
const TOO_MANY_MESSAGES = 11;

/**
 * A block on top of `tip` that fails one clear-cut rule: `work`, its hash is right but lacks the
 * difficulty's zeros (at difficulty 0 every hash has the work, so that case falls back to
 * `messages`); `messages`, 11 messages with a right hash.
 */
export function invalidAnnounce(
  fault: AnnounceFault,
  tip: Block,
  rand: () => number,
  difficulty: number,
): Block {
  const tooMany = fault === 'messages' || difficulty === 0;
  const content = {
    height: tip.height + 1,
    minedBy: 'hostile-announce',
    messages: tooMany ? Array.from({ length: TOO_MANY_MESSAGES }, (_, i) => `m${i}`) : randomMessages(rand),
    timestamp: tip.timestamp + 1,
  };
  for (;;) {
    const nonce = randomDigits(rand, 12);
    const hash = blockHash({ ...content, nonce }, tip.hash);
    if (tooMany || !meetsDifficulty(hash, difficulty)) return { ...content, nonce, hash };
  }
}

export const announceFlood = defineMode({
  name: 'announce-flood',
  lead: 'PeerScores keeps 1 000 entries (LRU): 1 000 new identities erase every ban',
  summary:
    'fresh source ports, each sending one invalid ANNOUNCE on the honest tip (no work or 11 messages) and closing',
  counters: ['identities', 'work', 'messages', 'deferred'],
  knobs: {
    count: int(2_000, 1, 1_000_000, 'identities (one ANNOUNCE each); the mode goes quiet after them'),
    rate: int(300, 1, MAX_RATE_PER_S, 'ANNOUNCEs per second'),
    fault: choice(
      ['mixed', 'work', 'messages'],
      'mixed',
      'what makes each ANNOUNCE invalid (mixed alternates)',
    ),
  },
  async start(ctx, k) {
    let started = 0;
    let open = 0;
    const sendOne = async (fault: AnnounceFault) => {
      const { length } = ctx.env.honest.tip();
      const tip = await ctx.env.honest.block(length - 1);
      const sock = await ctx.open();
      ctx.count('identities');
      if (!tip) return ctx.release(sock);
      ctx.count(fault);
      const block = invalidAnnounce(fault, tip, ctx.rand, ctx.env.difficulty);
      await new Promise<void>((sent) => sock.sendMessage({ type: 'ANNOUNCE', ...block }, undefined, sent));
      await ctx.release(sock);
    };
    ctx.pace(k.rate, () => {
      if (started >= k.count) return;
      // A rate the sockets cannot keep up with is slowed down, not queued.
      if (open >= MAX_OPEN_THROWAWAY_SOCKETS) return ctx.count('deferred');
      const fault = k.fault === 'mixed' ? (started % 2 === 0 ? 'work' : 'messages') : k.fault;
      started++;
      open++;
      sendOne(fault)
        .catch(() => {
          if (!ctx.isStopped) ctx.count('socketErrors');
        })
        .finally(() => open--);
    });
  },
});
