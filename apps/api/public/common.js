// Helpers shared by the dashboard pages (loaded before each page's script). Plain DOM, no build
// step. Everything a peer sent (names, hashes) is set as text, never as HTML.
'use strict';
/* eslint-disable @typescript-eslint/no-unused-vars -- defined here, used by the page scripts */

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function wrap(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(typeof c === 'object' ? wrap(c) : el('td', c));
  return tr;
}

function age(seconds) {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

const short = (hash) => (hash ? `${hash.slice(0, 10)}…${hash.slice(-10)}` : '–');

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}
