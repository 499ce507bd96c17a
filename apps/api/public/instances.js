// chainsync dashboard, "Instances": every replica of every service, from GET /instances (the NATS
// service protocol), one row each with its own rate and health. Uses el/row/age from dashboard.js.
/* global $, el, row, age */
'use strict';

const INSTANCES_POLL_MS = 2000;

function instanceRow(i) {
  const health = el('span');
  health.append(el('span', undefined, `dot${i.status === 'up' ? ' ok' : ''}`));
  health.append(el('span', i.status === 'up' ? 'up' : `silent ${age(i.lastSeenAgeSeconds)}`));
  const errors =
    i.errors === 0 ? '0' : `${i.errors}${i.errorsPerSecond > 0 ? ` (${i.errorsPerSecond}/s)` : ''}`;
  const tr = row([
    i.service,
    el('code', i.id.slice(-8)),
    `${i.host} pid ${i.pid}`,
    age(i.uptimeSeconds),
    i.requestsPerSecond.toFixed(i.requestsPerSecond < 10 ? 2 : 0),
    String(i.requests),
    i.averageMs == null ? '–' : `${i.averageMs} ms`,
    errors,
    health,
  ]);
  tr.dataset.service = i.service;
  tr.dataset.status = i.status;
  if (i.lastError) tr.title = `last error: ${i.lastError}`;
  return tr;
}

async function pollInstances() {
  try {
    const res = await fetch('/instances', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    $('instances').replaceChildren(...body.instances.map(instanceRow));
    const up = body.instances.filter((i) => i.status === 'up').length;
    $('instances-count').textContent = `${up} up of ${body.instances.length}`;
  } catch (err) {
    $('instances-count').textContent = `unavailable (${err.message})`;
  }
}

pollInstances();
setInterval(pollInstances, INSTANCES_POLL_MS);
