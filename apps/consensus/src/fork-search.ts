/**
 * Finds where the target chain leaves ours (pure). Our chain has blocks 0..ourTop. Whether a
 * height "matches" (their block there has our hash) is monotonic: once two chains differ they
 * never agree again, because each hash covers its predecessor. So: compare our tip and then
 * heights stepping back exponentially (tip-1, tip-3, tip-7, …, 0) all at once, then binary-search
 * between the highest match and the lowest mismatch. The fork height is the first height that
 * differs: the target branch replaces ours from there.
 */
export class ForkSearch {
  private readonly answers = new Map<number, boolean>();
  private readonly initial: number[];
  /** Highest height known to match (-1: none, even genesis may differ). */
  private lo = -1;
  /** Lowest height known to differ. */
  private hi: number;

  constructor(readonly ourTop: number) {
    this.hi = ourTop + 1;
    const probes: number[] = [];
    for (let step = 0, h = ourTop; h >= 0; step = step * 2 + 1, h = ourTop - step) probes.push(h);
    if (probes[probes.length - 1] !== 0 && ourTop >= 0) probes.push(0);
    this.initial = probes;
  }

  /** The first batch of heights to compare, tip first. */
  initialProbes(): number[] {
    return [...this.initial];
  }

  /** Records whether their block at `height` has our hash. */
  record(height: number, matches: boolean): void {
    this.answers.set(height, matches);
    if (matches) {
      if (height > this.lo && height < this.hi) this.lo = height;
    } else if (height < this.hi) {
      this.hi = height;
      // A match above a mismatch cannot be honest; keep the bracket consistent.
      if (this.lo >= height) this.lo = -1;
      for (const [h, m] of this.answers) if (m && h < this.hi && h > this.lo) this.lo = h;
    }
  }

  /** Whether the tip itself matches (the target simply extends our chain). */
  get extendsTip(): boolean {
    return this.answers.get(this.ourTop) === true;
  }

  /** Initial probes still unanswered. */
  get pendingInitial(): number[] {
    return this.initial.filter((h) => !this.answers.has(h));
  }

  /** The next height to compare, or null when resolved (or still waiting for the initial batch). */
  nextProbe(): number | null {
    if (this.pendingInitial.length > 0 || this.resolved) return null;
    return (this.lo + this.hi) >> 1;
  }

  get resolved(): boolean {
    return this.extendsTip || this.hi === this.lo + 1;
  }

  /** The first height that differs (ourTop + 1 when the target extends our tip), once resolved. */
  get forkHeight(): number | null {
    if (this.extendsTip) return this.ourTop + 1;
    return this.resolved ? this.hi : null;
  }
}
