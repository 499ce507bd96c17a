// chainsync network map: polls GET /network every two seconds and redraws. Plain DOM, no build
// step; helpers in common.js. Names and hashes come from peers: they are set as text only.
'use strict';
/* global $, el, row, age, short, getJson */

const NETWORK_POLL_MS = 2000;
const CHAIN_TEXT = {
  same: 'our tip',
  behind: 'our chain, behind',
  fork: 'a fork',
  ahead: 'ahead of us',
  unknown: 'not compared yet',
};
let sortBy = { key: 'height', desc: true };
let last = null;

const peerLabel = (p) => `${p.host}:${p.port}`;
const sortValue = {
  height: (p) => (p.top === null ? -Infinity : p.top),
  lastSeen: (p) => (p.lastSeenAgeSeconds === null ? -Infinity : -p.lastSeenAgeSeconds),
};

function chainBadge(chain) {
  return el('span', chain ? CHAIN_TEXT[chain] : 'no claim', `badge chain ${chain ?? 'none'}`);
}

function renderNumbers(n) {
  $('ours').textContent = String(n.tip.height);
  $('agreed').textContent = n.agreed ? String(n.agreed.top) : '–';
  $('agreed-peers').textContent = n.agreed ? `(${n.agreed.peers} peers)` : '';
  $('tallest').textContent = n.tallest === null ? '–' : String(n.tallest);
  $('peer-count').textContent = String(n.peers.length);
  $('fork-count').textContent = String(n.peers.filter((p) => p.chain === 'fork').length);
  const state = $('state');
  const behind = n.agreed && n.agreed.top > n.tip.height;
  state.textContent = n.errors.length ? 'partial' : behind ? 'behind the network' : 'with the network';
  state.className = `badge ${n.errors.length ? 'down' : behind ? 'syncing' : 'synced'}`;
  $('updated').textContent = `updated ${new Date(n.time).toLocaleTimeString()}`;
  $('errors').textContent = n.errors.join(' · ');
}

function renderHistory(samples) {
  const values = samples.flatMap((s) => [s.ours, s.agreed, s.tallest]).filter((v) => v !== null && v >= 0);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = Math.max(1, hi - lo);
  const step = samples.length > 1 ? 600 / (samples.length - 1) : 0;
  const line = (pick) =>
    samples
      .map((s, i) => [i, pick(s)])
      .filter(([, v]) => v !== null && v >= 0)
      .map(([i, v]) => `${(i * step).toFixed(1)},${(112 - ((v - lo) / span) * 104).toFixed(1)}`)
      .join(' ');
  $('history-ours').setAttribute(
    'points',
    line((s) => s.ours),
  );
  $('history-agreed').setAttribute(
    'points',
    line((s) => s.agreed),
  );
  $('history-tallest').setAttribute(
    'points',
    line((s) => s.tallest),
  );
  $('history-label').textContent =
    samples.length < 2 ? 'collecting samples…' : `${lo}–${hi}, ${samples.length} samples`;
}

function renderGroups(n) {
  const byPeer = new Map(n.peers.map((p) => [peerLabel(p), p]));
  const silent = n.peers.filter((p) => !p.claim);
  const cards = n.groups.map((g) => {
    const card = el('div', undefined, `group ${g.chain ?? 'none'}`);
    const head = el('div', undefined, 'group-head');
    head.append(el('span', `top ${g.top}`, 'group-top'), el('code', short(g.hash)), chainBadge(g.chain));
    head.append(el('span', `${g.peers.length} peer${g.peers.length === 1 ? '' : 's'}`, 'muted'));
    const names = el('div', undefined, 'group-peers');
    for (const id of g.peers) {
      const p = byPeer.get(id);
      names.append(el('span', p && p.name ? `${p.name} (${id})` : id, p && p.banned ? 'banned' : ''));
    }
    card.append(head, names);
    return card;
  });
  if (silent.length) {
    const card = el('div', undefined, 'group none');
    const head = el('div', undefined, 'group-head');
    head.append(
      el('span', 'no claim', 'group-top'),
      el('span', `${silent.length} peers that did not answer STATS`, 'muted'),
    );
    const names = el('div', undefined, 'group-peers');
    for (const p of silent) names.append(el('span', p.name ? `${p.name} (${peerLabel(p)})` : peerLabel(p)));
    card.append(head, names);
    cards.push(card);
  }
  $('groups').replaceChildren(...cards);
}

function claimText(p) {
  if (!p.claim) return '–';
  const convention =
    p.convention === 'top_index' ? 'top index' : p.convention === 'length' ? 'length' : 'length?';
  return `${p.claim.height} (${convention}) ${age(p.claim.ageSeconds)} ago`;
}

function renderPeers(n) {
  const dir = sortBy.desc ? -1 : 1;
  const rows = [...n.peers].sort((a, b) => dir * (sortValue[sortBy.key](a) - sortValue[sortBy.key](b)));
  $('network-peers').replaceChildren(
    ...rows.map((p) =>
      row([
        el('code', peerLabel(p)),
        (p.name ?? '–') + (p.bootstrap ? ' (bootstrap)' : '') + (p.inTable ? '' : ' (not in the table)'),
        p.lastSeenAgeSeconds === null ? '–' : age(p.lastSeenAgeSeconds),
        claimText(p),
        chainBadge(p.chain),
        p.served ? `${p.served.blocks} blocks, ${p.served.blocksPerSecond}/s` : '–',
        `${p.score}${p.faults ? `, ${p.faults} faults` : ''}${p.banned ? ' (banned)' : ''}`,
      ]),
    ),
  );
  for (const th of document.querySelectorAll('th.sortable')) {
    th.classList.toggle('sorted', th.dataset.sort === sortBy.key);
    th.dataset.dir = th.dataset.sort === sortBy.key ? (sortBy.desc ? 'desc' : 'asc') : '';
  }
}

function render(n) {
  last = n;
  renderNumbers(n);
  renderHistory(n.history);
  renderGroups(n);
  renderPeers(n);
}

for (const th of document.querySelectorAll('th.sortable')) {
  th.addEventListener('click', () => {
    sortBy = { key: th.dataset.sort, desc: sortBy.key === th.dataset.sort ? !sortBy.desc : true };
    if (last) renderPeers(last);
  });
}

async function poll() {
  try {
    render(await getJson('/network'));
  } catch (err) {
    const state = $('state');
    state.textContent = 'api unreachable';
    state.className = 'badge down';
    $('errors').textContent = String(err.message || err);
  }
}

poll();
setInterval(poll, NETWORK_POLL_MS);
