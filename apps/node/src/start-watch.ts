import { blockLine, isSynced, type BlockView, type ProgressView, type StatusView } from './progress.js';

/** The terminal polls the api twice a second: the bar feels live and the api barely notices. */
const POLL_MS = 500;
/** At most this many block lines per poll: after a long pause, show the newest and say how many were skipped. */
const MAX_LINES_PER_POLL = 20;

const short = (h: string | null) => (h ? `${h.slice(0, 8)}…${h.slice(-8)}` : '-');

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follows the node through its api until `signal` aborts: the progress view until synced, then
 * one line per new block (and a line when the tip moves back, a reorg).
 */
export async function watchNode(opts: {
  apiUrl: string;
  view: ProgressView;
  signal: AbortSignal;
  startedAt: number;
  onSynced?: (s: StatusView) => void;
}): Promise<void> {
  const { apiUrl, view, signal } = opts;
  let synced = false;
  let shown = -1;
  while (!signal.aborted) {
    const s = await getJson<StatusView>(`${apiUrl}/status`).catch(() => null);
    if (s && !signal.aborted) {
      if (!synced) {
        if (isSynced(s)) {
          synced = true;
          shown = s.height;
          view.stop();
          const secs = ((Date.now() - opts.startedAt) / 1000).toFixed(1);
          view.line(
            `synced: height ${s.height} (tip ${short(s.tipHash)}), ${s.peers} peers, ${secs} s after start`,
          );
          opts.onSynced?.(s);
        } else {
          view.update(s);
        }
      } else if (s.height > shown) {
        const count = Math.min(s.height - shown, MAX_LINES_PER_POLL);
        if (s.height - shown > count) view.line(`… ${s.height - shown - count} blocks`);
        const { blocks } = await getJson<{ blocks: BlockView[] }>(`${apiUrl}/blocks?limit=${count}`).catch(
          () => ({ blocks: [] as BlockView[] }),
        );
        for (const b of blocks.reverse()) if (b.height > shown) view.line(blockLine(b, s));
        shown = s.height;
      } else if (s.height < shown) {
        view.line(`reorg: tip is now block ${s.height} (${short(s.tipHash)})`);
        shown = s.height;
      }
    }
    await sleep(POLL_MS, signal);
  }
  view.stop();
}
