import { validateRun, type BlockVerdict, type RequestOf } from '@chainsync/protocol';

/** Pure: one verdict per block of a `validate` request (consecutive blocks from `firstHeight`). */
export function checkBatch(req: RequestOf<'validate'>): BlockVerdict[] {
  return validateRun(req.blocks, req.prevHash, req.firstHeight, req.difficulty);
}
