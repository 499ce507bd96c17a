// chainsync dashboard: polls the api once a second and redraws. Plain DOM, no build step; the
// helpers ($, el, row, age, short, getJson) are in common.js.
'use strict';
/* global $, el, row, age, short, getJson */

const POLL_MS = 1000;
const SLOW_POLL_MS = 2000;

function renderStatus(s) {
  $('name').textContent = s.name;
  const phase = $('phase');
  phase.textContent = s.phase;
  phase.className = `badge ${s.phase}`;
  $('height').textContent = String(s.height);
  // After a round, new blocks can take us past the round's target: show whichever is taller.
  const target = Math.max(s.target ? s.target.height : s.height, s.height);
  $('target').textContent = String(target);
  $('rate').textContent = s.blocksPerSecond.toFixed(s.blocksPerSecond < 10 ? 2 : 0);
  $('peers-count').textContent = String(s.peers);
  $('eta').textContent = s.phase === 'synced' ? 'synced' : s.etaSeconds == null ? '–' : age(s.etaSeconds);
  $('tip-hash').textContent = s.tipHash ?? '–';
  // While a sync runs nothing is committed before its end: show the blocks it has staged.
  const syncing = s.phase === 'syncing' && s.progress && s.progress.total > 0;
  const pct = syncing
    ? Math.min(100, (s.progress.done / s.progress.total) * 100)
    : target > 0
      ? Math.min(100, (Math.max(0, s.height) / target) * 100)
      : 0;
  $('progress-bar').style.width = `${pct}%`;
  $('updated').textContent = `updated ${new Date(s.time).toLocaleTimeString()}`;
  $('errors').textContent = s.errors.join(' · ');

  const services = $('services');
  services.replaceChildren(
    ...s.services.map((svc) => {
      const li = el('li');
      li.append(el('span', undefined, `dot${svc.ready ? ' ok' : ''}`), el('span', svc.name));
      const why = svc.ready
        ? ''
        : svc.error || (svc.failing.length ? svc.failing.join(', ') : `HTTP ${svc.status}`);
      if (why) li.append(el('span', ` — ${why}`, 'muted'));
      return li;
    }),
  );
}

function renderSparkline(samples) {
  const rates = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1000;
    if (dt > 0) rates.push(Math.max(0, (samples[i].height - samples[i - 1].height) / dt));
  }
  const max = Math.max(1, ...rates);
  const top = max * 1.25; // headroom: a steady rate sits below the top edge
  const step = rates.length > 1 ? 600 / (rates.length - 1) : 0;
  // Keep the line off the edges (y 6..74 of 80) so a flat rate stays visible.
  const points = rates.map((r, i) => `${(i * step).toFixed(1)},${(74 - (r / top) * 68).toFixed(1)}`);
  $('spark-line').setAttribute('points', points.join(' '));
  $('spark-label').textContent =
    rates.length < 2 ? 'collecting samples…' : `peak ${max.toFixed(max < 10 ? 1 : 0)} blocks/s`;
}

function renderPeers(p) {
  $('peers').replaceChildren(
    ...p.peers.map((peer) =>
      row([
        el('code', `${peer.host}:${peer.port}`),
        peer.name + (peer.bootstrap ? ' (bootstrap)' : ''),
        age(peer.lastSeenAgeSeconds),
        peer.score == null ? '–' : peer.banned ? `${peer.score} (banned)` : String(peer.score),
        String(peer.received),
      ]),
    ),
  );
}

function renderBlocks(b) {
  const now = Date.now() / 1000;
  $('blocks').replaceChildren(
    ...b.blocks.map((block) =>
      row([
        String(block.height),
        el('code', short(block.hash)),
        block.minedBy,
        block.messages.join(' · '),
        age(Math.max(0, now - block.timestamp)),
      ]),
    ),
  );
}

function showDown(err) {
  const phase = $('phase');
  phase.textContent = 'api unreachable';
  phase.className = 'badge down';
  $('errors').textContent = String(err.message || err);
}

let shownHeight = null;
async function poll() {
  try {
    const [status, history] = await Promise.all([getJson('/status'), getJson('/history')]);
    renderStatus(status);
    renderSparkline(history.samples);
    if (status.height !== shownHeight) {
      shownHeight = status.height;
      renderBlocks(await getJson('/blocks?limit=10'));
    }
  } catch (err) {
    showDown(err);
  }
}

async function pollPeers() {
  try {
    renderPeers(await getJson('/peers'));
  } catch {
    $('peers').replaceChildren(row(['peer table unavailable', '', '', '', '']));
  }
}

poll();
pollPeers();
setInterval(poll, POLL_MS);
setInterval(pollPeers, SLOW_POLL_MS);
