import type { NodeTrace } from './net-figures.js';

/**
 * Every node's height over time as an SVG (no dependency): one step line per node, broken where
 * the node was down, shaded windows (a partition) labelled on top, seconds on x, block heights on
 * y, a legend with each node's address, and under the plot a lane per node that is filled while
 * the node is up (churn shows there: on the heights the lines lie on top of each other).
 */

export interface PlotInput {
  title: string;
  t0: number;
  t1: number;
  nodes: readonly NodeTrace[];
  /** Shaded spans (a partition), or marks: a dashed line at `from` (`kind: 'mark'`). */
  windows: readonly { from: number; to: number; label: string; kind?: 'span' | 'mark' }[];
  /** Optional lines under the title (e.g. the headline figures). */
  notes?: readonly string[];
}

const W = 960;
const PLOT_H = 360;
const LANE_H = 8;
const LANE_GAP = 4;
const M = { left: 64, right: 190, top: 56 };
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

/** A round step (1, 2, 5 × 10^k) giving about `target` ticks over `span`. */
function niceStep(span: number, target: number): number {
  const raw = Math.max(span, 1e-9) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

/** Characters of a note that fit across the plot. */
const NOTE_CHARS = 140;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function plotHeights(p: PlotInput): string {
  const heights = p.nodes.flatMap((n) => n.tips.map((e) => e.h));
  // From the first tip every node reached (the start chain), so the mining shows, not the sync.
  const firsts = p.nodes.map((n) => n.tips[0]?.h).filter((h): h is number => h !== undefined);
  const yMin = firsts.length ? Math.min(...firsts) : 0;
  const yMax = Math.max(yMin + 1, ...heights);
  const span = Math.max(1, p.t1 - p.t0) / 1000;
  const pw = W - M.left - M.right;
  const ph = PLOT_H;
  const lanesTop = M.top + ph + 26;
  const H = lanesTop + p.nodes.length * (LANE_H + LANE_GAP) + 28;
  const x = (t: number) => M.left + (((t - p.t0) / 1000) * pw) / span;
  const y = (h: number) => M.top + ph - ((h - yMin) * ph) / (yMax - yMin);
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(p.title)}</text>`,
  ];
  for (const [i, note] of (p.notes ?? []).entries())
    out.push(`<text x="${M.left}" y="${36 + i * 14}" fill="#444">${esc(clip(note, NOTE_CHARS))}</text>`);
  for (const w of p.windows) {
    if (w.kind === 'mark') {
      out.push(
        `<line x1="${f(x(w.from))}" x2="${f(x(w.from))}" y1="${M.top}" y2="${M.top + ph}" stroke="#666" stroke-dasharray="4 3"/>`,
        `<text x="${f(x(w.from) - 4)}" y="${M.top + ph - 6}" fill="#444" text-anchor="end">${esc(w.label)}</text>`,
      );
      continue;
    }
    const [a, b] = [x(Math.max(w.from, p.t0)), x(Math.min(w.to, p.t1))];
    out.push(
      `<rect x="${f(a)}" y="${M.top}" width="${f(Math.max(1, b - a))}" height="${ph}" fill="#f4c7c3" fill-opacity="0.55"/>`,
      `<text x="${f(a + 4)}" y="${M.top + 14}" fill="#a33">${esc(w.label)}</text>`,
    );
  }
  const xs = niceStep(span, 10);
  for (let s = 0; s <= span + 1e-9; s += xs)
    out.push(
      `<line x1="${f(x(p.t0 + s * 1000))}" x2="${f(x(p.t0 + s * 1000))}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`,
      `<text x="${f(x(p.t0 + s * 1000))}" y="${M.top + ph + 16}" text-anchor="middle">${Number(s.toFixed(3))}</text>`,
    );
  const ys = Math.max(1, niceStep(yMax - yMin, 8));
  for (let h = Math.ceil(yMin / ys) * ys; h <= yMax; h += ys)
    out.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${f(y(h))}" y2="${f(y(h))}" stroke="#eee"/>`,
      `<text x="${M.left - 6}" y="${f(y(h) + 4)}" text-anchor="end">${h}</text>`,
    );
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">seconds; below: when each node was up</text>`,
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">height (top block)</text>`,
  );
  for (const [i, n] of p.nodes.entries()) {
    const color = COLORS[i % COLORS.length]!;
    for (const life of n.lives) {
      const end = life.to ?? p.t1;
      const tips = n.tips.filter((e) => e.t >= life.from && e.t <= end);
      if (tips.length === 0) continue;
      let d = `M${f(x(tips[0]!.t))},${f(y(tips[0]!.h))}`;
      for (let k = 1; k < tips.length; k++) d += `H${f(x(tips[k]!.t))}V${f(y(tips[k]!.h))}`;
      d += `H${f(x(end))}`;
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6" stroke-opacity="0.85"/>`);
      if (life.to !== undefined)
        out.push(
          `<text x="${f(x(end))}" y="${f(y(tips.at(-1)!.h) - 4)}" fill="${color}" text-anchor="middle">✕</text>`,
        );
    }
    const lane = lanesTop + i * (LANE_H + LANE_GAP);
    out.push(
      `<text x="${M.left - 6}" y="${lane + LANE_H}" text-anchor="end" font-size="10">${esc(n.name)}</text>`,
    );
    for (const life of n.lives) {
      const [a, b] = [x(Math.max(life.from, p.t0)), x(Math.min(life.to ?? p.t1, p.t1))];
      out.push(
        `<rect x="${f(a)}" y="${lane}" width="${f(Math.max(1, b - a))}" height="${LANE_H}" fill="${color}" fill-opacity="0.8"/>`,
      );
    }
    const ly = M.top + 8 + i * 18;
    out.push(
      `<line x1="${W - M.right + 14}" x2="${W - M.right + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${W - M.right + 42}" y="${ly + 4}">${esc(`${n.name} ${n.ip}`)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
