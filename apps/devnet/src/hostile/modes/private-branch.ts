import { blockReply, nullBlockReply, type Block } from '@chainsync/protocol';
import { randomMessages } from '../../content.js';
import { mineBlock } from '../../generate.js';
import type { MinerPool } from '../../miner-pool.js';
import { HostileOptionError, int } from '../knobs.js';
import { defineMode } from '../mode.js';
import { relabel } from '../relabel.js';
import { joinSources, serveHonest } from '../source-peer.js';

/** `count` valid blocks mined on top of `tip` at `difficulty`: a branch only the attacker has. */
export async function mineBranch(
  tip: Block,
  count: number,
  difficulty: number,
  pool: MinerPool,
  rand: () => number,
): Promise<Block[]> {
  const branch: Block[] = [];
  let prev = tip;
  for (let i = 0; i < count; i++) {
    const content = {
      height: prev.height + 1,
      minedBy: 'hostile-private-branch',
      messages: randomMessages(rand),
      timestamp: prev.timestamp + 1,
    };
    prev = await mineBlock(content, prev.hash, difficulty, pool);
    branch.push(prev);
  }
  return branch;
}

/** What the branch liar serves: the honest chain up to its tip, its branch, and a relabelled top at the claim. */
export interface BranchPlan {
  honestLength: number;
  honestTip: Block;
  branch: readonly Block[];
  /** The claimed chain length (≥ honestLength + branch length + 2, so the relabelled pair sits above the branch). */
  claimLength: number;
}

export type BranchAnswer = { kind: 'honest' } | { kind: 'block'; block: Block } | { kind: 'null' };

/**
 * The answer to GET_BLOCK `height`: honest blocks below the branch, branch blocks at their true
 * heights, the branch top relabelled to the claimed top (claimLength - 1) and the block under it
 * relabelled to the height below, so a check of the claimed top (hash, work, link to the block
 * under it) passes; null everywhere else.
 */
export function branchAnswer(plan: BranchPlan, height: number): BranchAnswer {
  const { honestLength, honestTip, branch, claimLength } = plan;
  if (height < honestLength) return { kind: 'honest' };
  if (height < honestLength + branch.length) return { kind: 'block', block: branch[height - honestLength]! };
  const top = branch[branch.length - 1]!;
  const under = branch.length >= 2 ? branch[branch.length - 2]! : honestTip;
  if (height === claimLength - 1) return { kind: 'block', block: relabel(top, height) };
  if (height === claimLength - 2) return { kind: 'block', block: relabel(under, height) };
  return { kind: 'null' };
}

export const privateBranch = defineMode({
  name: 'private-branch',
  lead: 'extend mode appends blocks before the claimed top is verified: a private branch on our tip gets appended and kept',
  summary:
    'one joined source mines a few blocks on the honest tip and claims (honest length + extra, its branch top); it serves the honest chain, its branch, and the branch top relabelled at the claimed top',
  counters: ['mined'],
  knobs: {
    blocks: int(3, 1, 100, 'blocks mined on the honest tip'),
    extra: int(1_000, 3, 1_000_000, 'the claim is the honest length plus this (at least blocks + 2)'),
  },
  async start(ctx, k) {
    if (k.extra < k.blocks + 2)
      throw new HostileOptionError('private-branch.extra must be at least blocks + 2');
    const { length } = ctx.env.honest.tip();
    const honestTip = await ctx.env.honest.block(length - 1);
    if (!honestTip) throw new HostileOptionError('private-branch could not get the honest tip block');
    const branch = await mineBranch(honestTip, k.blocks, ctx.env.difficulty, ctx.env.miner(), ctx.rand);
    ctx.count('mined', branch.length);
    const plan: BranchPlan = { honestLength: length, honestTip, branch, claimLength: length + k.extra };
    await joinSources(ctx, 1, {
      claim: () => ({ height: plan.claimLength, hash: branch[branch.length - 1]!.hash }),
      getBlock(height, reply) {
        const a = branchAnswer(plan, height);
        if (a.kind === 'honest') return serveHonest(ctx, height, reply);
        reply(a.kind === 'block' ? blockReply(a.block) : nullBlockReply(null));
      },
    });
  },
});
