import type { Block } from '@chainsync/protocol';
import { checkBlock } from './checks/block-reply.js';
import {
  forgeOn,
  judgeAnnounceInvalid,
  judgeAnnounceValid,
  mineOn,
  type AfterAnnounce,
} from './checks/announce.js';
import {
  ANNOUNCE_CHECKS_INVALID,
  ANNOUNCE_POLL_MS,
  ANNOUNCE_POLLS,
  MAX_MINE_DIFFICULTY,
  MAX_TOP_RETRIES,
} from './limits.js';
import { skip } from './report.js';
import type { Session } from './session.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The ANNOUNCE checks (§5): a block on the peer's top whose hash does not match its content must
 * not be taken; a valid one (mined here, only at low difficulty) must be. Whether it was taken is
 * read from STATS (its hash as the tip) and from GET_BLOCK at its height, so a peer whose STATS
 * lies is still judged by what it serves.
 */
export async function announcePhase(s: Session): Promise<void> {
  const top = s.top;
  if (!top) {
    s.add(
      skip('announce.invalid', 'the top block is not known'),
      skip('announce.valid', 'the top block is not known'),
    );
    return;
  }
  const seconds = () => Math.floor(Date.now() / 1000);
  const forged = forgeOn(top.block, s.o.difficulty, Math.max(seconds(), top.block.timestamp + 1));
  s.add(judgeAnnounceInvalid(forged, await announce(s, forged, ANNOUNCE_CHECKS_INVALID)));

  if (s.o.difficulty > MAX_MINE_DIFFICULTY) {
    s.add(
      skip(
        'announce.valid',
        `mining a block at difficulty ${s.o.difficulty} takes ~16^${s.o.difficulty} hashes; the probe mines up to ${MAX_MINE_DIFFICULTY}`,
      ),
    );
    return;
  }
  let on: Block = top.block;
  for (let attempt = 0; ; attempt++) {
    s.o.say(`mining a block on ${on.height} at difficulty ${s.o.difficulty} to ANNOUNCE it`);
    const block = mineOn(on, s.o.difficulty, Math.max(seconds(), on.timestamp + 1));
    const after = await announce(s, block, ANNOUNCE_POLLS);
    // Another valid block took that height meanwhile (a mining network): mine on it and try again.
    const moved = after.other && checkBlock(after.other, on.hash, s.o.difficulty).ok ? after.other : null;
    if (after.taken || !moved || attempt >= MAX_TOP_RETRIES) {
      s.add(judgeAnnounceValid(block, after));
      return;
    }
    on = moved;
  }
}

/** Sends the ANNOUNCE, then watches STATS and GET_BLOCK at its height, `polls` times. */
async function announce(s: Session, block: Block, polls: number): Promise<AfterAnnounce> {
  await s.t.send(s.main, { type: 'ANNOUNCE', ...block });
  const after: AfterAnnounce = { taken: null, other: null, answering: false };
  for (let i = 0; i < polls && !after.taken; i++) {
    await sleep(ANNOUNCE_POLL_MS);
    const [{ claim }, at] = await Promise.all([
      s.stats({ attempts: 3 }),
      s.blockAt(block.height, { attempts: 3 }),
    ]);
    if (claim) after.answering = true;
    if (claim?.hash === block.hash) after.taken = 'stats';
    if (at?.kind === 'block' && at.block.height === block.height) {
      if (at.block.hash === block.hash) after.taken ??= 'get_block';
      else after.other = at.block;
    }
  }
  return after;
}
