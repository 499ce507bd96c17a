import { blockReply, type Block } from '@chainsync/protocol';
import { GENESIS_ANCHOR, randomMessages } from '../../content.js';
import { choice, int } from '../knobs.js';
import { defineMode } from '../mode.js';
import { randomDigits, randomHex } from '../random.js';
import { honestClaim, joinSources } from '../source-peer.js';

export type JunkHash = 'random' | 'zeros';

/**
 * A block that is wrong but looks like one: the asked height, random short messages, and a hash
 * that matches nothing. `random`: it does not end in a zero, so it has no work at any difficulty
 * above 0; `zeros`: it ends in the difficulty's zeros (passes a work check) but still does not match.
 */
export function junkBlock(height: number, rand: () => number, difficulty: number, hash: JunkHash): Block {
  const tail = hash === 'zeros' ? '0'.repeat(difficulty) : '123456789abcdef'[Math.floor(rand() * 15)]!;
  return {
    height,
    hash: randomHex(rand, 64 - tail.length) + tail,
    minedBy: `junk-${randomHex(rand, 6)}`,
    messages: randomMessages(rand),
    nonce: randomDigits(rand, 10),
    timestamp: GENESIS_ANCHOR.timestamp + height,
  };
}

export const junkSwarm = defineMode({
  name: 'junk-swarm',
  lead: 'MAX_ATTEMPTS_PER_HEIGHT counts attempts from any source: 12 junk identities exhaust it and the honest group fails',
  summary:
    'many joined sources claim the honest (length, top hash) and answer every GET_BLOCK with junk of the right height',
  counters: [],
  knobs: {
    sockets: int(16, 1, 256, 'identities that join and serve junk'),
    hash: choice(
      ['random', 'zeros'],
      'random',
      "junk hash: no work, or the difficulty's zeros but not matching",
    ),
  },
  async start(ctx, k) {
    await joinSources(ctx, k.sockets, {
      claim: () => honestClaim(ctx),
      getBlock: (height, reply) => reply(blockReply(junkBlock(height, ctx.rand, ctx.env.difficulty, k.hash))),
    });
  },
});
