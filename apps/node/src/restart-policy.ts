/**
 * When the launcher restarts a service that died (crash, OOM kill, SIGKILL): at once at first,
 * then slower while it keeps dying, like Docker's `restart: unless-stopped` (which compose uses).
 * Every service keeps its state where a restart finds it (the chain in LMDB, peers re-learned by
 * gossip, a sync resumed from the stored tip), so restarting is always safe. Pure.
 */

/** Delay before the 1st, 2nd, … restart in a row; the last one repeats. */
export const RESTART_DELAYS_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000] as const;
/** A service that ran this long before dying was healthy: its next restart is the first again. */
export const STABLE_UPTIME_MS = 60_000;

export class RestartPolicy {
  private failuresInARow = 0;

  /** The service just died after `uptimeMs`; how long to wait before starting it again. */
  onExit(uptimeMs: number): number {
    if (uptimeMs >= STABLE_UPTIME_MS) this.failuresInARow = 0;
    const delay = RESTART_DELAYS_MS[Math.min(this.failuresInARow, RESTART_DELAYS_MS.length - 1)]!;
    this.failuresInARow++;
    return delay;
  }
}
