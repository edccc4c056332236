// Postern's admin page. Every piece of data comes from the token-checked admin API; the token
// stays in this tab's sessionStorage and goes in the Authorization header, never in a cookie or
// a URL. Queue data comes from strangers (senders, replies, headers), so the page is built from
// text nodes only: nothing here parses HTML.
'use strict';

const TOKEN = 'postern.admin.token';
const VIEWS = ['login', 'queue', 'message', 'tls', 'policy', 'cluster'];
let messages = [];
let renders = 0;

function $(id) { return document.getElementById(id); }

/** An element with attributes (class, title, data-*) and children (strings become text). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'id') e.id = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else if (k === 'title') e.title = v;
    else if (k === 'type') e.type = v;
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function button(label, onClick, cls) {
  const b = el('button', { type: 'button', class: cls || '' }, label);
  b.addEventListener('click', onClick);
  return b;
}

function table(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map(h => el('th', {}, h)))),
    el('tbody', {}, rows.map(r => el('tr', {}, r.map(c => el('td', {}, c))))));
}

function done(view) {
  document.body.dataset.rendered = view + ':' + (++renders);
}

class Unauthorized extends Error {}

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) throw new Unauthorized('no token');
  const res = await fetch(path, {
    method,
    headers: Object.assign({ 'Authorization': 'Bearer ' + token },
      body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN);
    throw new Unauthorized('the node refused the token');
  }
  let json;
  try { json = await res.json(); } catch (e) { json = { error: 'HTTP ' + res.status }; }
  if (!res.ok) throw new Error(json.error || ('HTTP ' + res.status));
  return json;
}

function queue(action, target) {
  return api('POST', '/queue', { action, target });
}

function show(view) {
  for (const v of VIEWS) $('view-' + v).hidden = v !== view;
  $('nav').hidden = view === 'login';
}

function login(message) {
  // Whatever the node told this tab goes with the token.
  messages = [];
  for (const id of ['queue-rows', 'queue-counts', 'queue-status', 'message-id', 'message', 'tls', 'policy-rows',
    'policy-error', 'cluster', 'node-name']) {
    $(id).replaceChildren();
  }
  $('policy-form').reset();
  $('policy-steps').hidden = true;
  show('login');
  $('login-error').textContent = message || '';
  done('login');
}

async function route() {
  if (!sessionStorage.getItem(TOKEN)) {
    login('');
    return;
  }
  const hash = location.hash.replace(/^#/, '') || 'queue';
  const [view, arg] = hash.split('/', 2);
  try {
    if (view === 'message' && arg) await renderMessage(decodeURIComponent(arg));
    else if (view === 'tls') await renderTls();
    else if (view === 'policy') { show('policy'); done('policy'); }
    else if (view === 'cluster') await renderCluster();
    else await renderQueue();
  } catch (e) {
    if (e instanceof Unauthorized) login('The node refused the token: ' + e.message + '.');
    else { $('queue-status').textContent = e.message; done('error'); }
  }
}

// --- Queue ---------------------------------------------------------------------------------

function matches(m, field, text, state) {
  if (state && m.state !== state) return false;
  if (!text) return true;
  const t = text.toLowerCase();
  const rcpts = m.recipients || [];
  const inId = m.queueId.toLowerCase().includes(t);
  const inSender = (m.sender || '').toLowerCase().includes(t);
  const inRcpt = rcpts.some(r => r.address.toLowerCase().includes(t));
  const inDomain = rcpts.some(r => r.domain === t.replace(/^@/, ''));
  switch (field) {
    case 'id': return inId;
    case 'sender': return inSender;
    case 'recipient': return inRcpt;
    case 'domain': return inDomain;
    default: return inId || inSender || inRcpt || inDomain;
  }
}

async function renderQueue() {
  const list = await queue('list', 'ALL');
  messages = list.messages || [];
  const c = list.counts || {};
  $('queue-counts').textContent = 'total ' + (c.total || 0) + ', active ' + (c.active || 0) + ', deferred '
    + (c.deferred || 0) + ', held ' + (c.held || 0) + (list.complete === false ? ' (not every queue node answered)' : '');
  show('queue');
  filterQueue();
}

function filterQueue() {
  const field = $('search-field').value;
  const text = $('search').value.trim();
  const state = $('search-state').value;
  const rows = messages.filter(m => matches(m, field, text, state)).map(queueRow);
  $('queue-rows').replaceChildren(...rows);
  if (!rows.length) {
    $('queue-rows').append(el('tr', {}, el('td', { class: 'empty' }, messages.length ? 'No message matches.' : 'The queue is empty.')));
  }
  done('queue');
}

function queueRow(m) {
  const link = el('a', {}, m.queueId);
  link.href = '#message/' + encodeURIComponent(m.queueId);
  const rcpts = (m.recipients || []).map(r => el('div', {}, r.address,
    r.lastReply ? el('span', { class: 'mono' }, ' (' + r.lastReply + ')') : null));
  const tr = el('tr', { 'data-id': m.queueId },
    el('td', { class: 'mono' }, link),
    el('td', { class: 'state-' + m.state }, m.state),
    el('td', {}, new Date(m.arrival).toLocaleString()),
    el('td', {}, String(m.size)),
    el('td', {}, m.sender || '<>'),
    el('td', {}, rcpts),
    el('td', {}, String(m.attempts)),
    el('td', {}, actions(m)));
  return tr;
}

function actions(m) {
  const box = el('span', { class: 'row' });
  const act = (action) => async () => {
    try {
      const r = await queue(action, m.queueId);
      const skipped = (r.skipped || []).map(s => s.queueId + ': ' + s.reason).join('; ');
      $('queue-status').textContent = action + ' ' + m.queueId + ': ' + (r.changed || []).length + ' changed'
        + (skipped ? ', skipped ' + skipped : '');
      if (location.hash.startsWith('#message')) location.hash = '#queue';
      else await renderQueue();
    } catch (e) {
      if (e instanceof Unauthorized) login('The node refused the token.');
      else $('queue-status').textContent = action + ' ' + m.queueId + ' failed: ' + e.message;
    }
  };
  box.append(m.state === 'held' ? button('Release', act('release')) : button('Hold', act('hold')));
  box.append(button('Requeue', act('requeue')));
  const del = button('Delete', () => {
    // Deleting drops the message without a bounce: ask once more, inside the page.
    box.replaceChildren(el('span', {}, 'Delete ' + m.queueId + ' without a bounce?'),
      button('Confirm delete', act('delete'), 'danger confirm-delete'),
      button('Cancel', () => filterQueue()));
  }, 'danger');
  box.append(del);
  return box;
}

// --- One message ---------------------------------------------------------------------------

function tlsText(t) {
  return t ? t.version + ' ' + t.cipher + ' (' + t.bits + ' bits)' : 'none (plaintext, or no session)';
}

async function renderMessage(id) {
  const r = await queue('show', id);
  const m = r.message;
  $('message-id').textContent = m.queueId;
  const env = m.envelope || {};
  const client = env.client || {};
  const facts = [
    ['State', m.state], ['Arrival', m.arrival], ['Size', String(m.size)], ['Sender', m.sender || '<>'],
    ['Attempts', String(m.attempts)], ['Next attempt', m.nextAttempt || '-'],
    ['Client', [client.ip, client.helo ? 'helo=' + client.helo : null, client.protocol,
      client.tls ? client.tls.version + ' ' + client.tls.cipher : null].filter(Boolean).join(' ') || '-'],
  ];
  const history = (m.history || []).map(a => [
    new Date(a.at).toLocaleString(), el('span', { class: 'mono' }, a.relay), tlsText(a.tls),
    a.tls ? el('span', { class: a.tls.verify === 'OK' ? 'ok' : 'warn' }, a.tls.verify) : '-',
    a.tls && a.tls.peerSubject ? a.tls.peerSubject + (a.tls.peerIssuer ? ' (issuer ' + a.tls.peerIssuer + ')' : '') : '-',
    (a.results || []).map(x => el('div', {}, x.recipient + ': ' + x.status + ' ', el('span', { class: 'mono' }, x.reply))),
  ]);
  $('message').replaceChildren(
    el('dl', {}, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('h3', {}, 'Recipients'),
    table(['Address', 'Status', 'Last reply', 'Relay'], (m.recipients || []).map(x =>
      [x.address, x.status || 'pending', x.lastReply || '-', x.relay || '-'])),
    el('h3', {}, 'Delivery attempts and their TLS'),
    history.length ? table(['At', 'Relay', 'TLS', 'Verify', 'Peer certificate', 'Replies'], history)
      : el('p', { id: 'no-history' }, 'No attempt since the node started.'),
    el('div', { class: 'row' }, actions(m)),
    el('h3', {}, 'Header section' + (m.headersTruncated ? ' (truncated)' : '')),
    el('pre', {}, m.headers || ''));
  show('message');
  done('message');
}

// --- TLS posture ---------------------------------------------------------------------------

async function renderTls() {
  const [status, tls] = await Promise.all([api('GET', '/status'), api('GET', '/tls')]);
  const certs = (status.certificates || []).map(c => [c.subject, c.source, c.notAfter,
    el('span', { class: c.daysLeft < 14 ? 'error' : c.daysLeft < 30 ? 'warn' : 'ok' }, c.daysLeft + ' days')]);
  const listeners = (status.listeners || []).map(l => [el('span', { class: 'mono' }, l.address), 'tls=' + l.tls,
    'ccert=' + l.ccert]);
  const entries = (tls.entries || []).map(e => [el('span', { class: 'mono' }, e.entry), e.level,
    (e.match || []).join(':') || '-', e.where]);
  $('tls').replaceChildren(
    el('h3', {}, 'Served certificates'),
    certs.length ? table(['Subject', 'Source', 'Not after', 'Left'], certs) : el('p', {}, 'No server certificate (no inbound role).'),
    el('h3', {}, 'Listeners'),
    listeners.length ? table(['Address', 'TLS', 'Client certificates'], listeners) : el('p', {}, 'No listener on this node.'),
    el('h3', {}, 'Outbound TLS by destination'),
    el('p', {}, 'Default level (policy.destination_tls_level): ', el('strong', { id: 'default-level' }, tls.destinationTlsLevel)),
    entries.length ? table(['Entry', 'Level', 'Match', 'Where'], entries)
      : el('p', {}, tls.tlsPolicyMap ? 'The TLS policy map has no entries.' : 'No TLS policy map (policy.tls_policy_map).'));
  show('tls');
  done('tls');
}

// --- Policy explain ------------------------------------------------------------------------

async function explain(ev) {
  ev.preventDefault();
  const body = {};
  for (const input of $('policy-form').querySelectorAll('input')) body[input.name] = input.value;
  $('policy-error').textContent = '';
  try {
    const r = await api('POST', '/policy/explain', body);
    $('policy-rows').replaceChildren(...r.steps.map(s => el('tr', {}, el('td', {}, s.point),
      el('td', { class: 'mono' }, s.subject), el('td', {}, s.answer), el('td', { class: 'mono' }, s.rule))));
    $('policy-steps').hidden = false;
  } catch (e) {
    if (e instanceof Unauthorized) { login('The node refused the token.'); return; }
    $('policy-steps').hidden = true;
    $('policy-error').textContent = e.message;
  }
  done('policy');
}

// --- Cluster -------------------------------------------------------------------------------

async function renderCluster() {
  const s = await api('GET', '/status');
  const members = (s.cluster || []).map(m => [el('span', { class: 'mono' }, m.id), m.address || '-', m.self ? 'this node' : '']);
  $('cluster').replaceChildren(
    el('dl', {}, el('dt', {}, 'Node'), el('dd', {}, s.node), el('dt', {}, 'Version'), el('dd', {}, s.version),
      el('dt', {}, 'Roles'), el('dd', {}, (s.roles || []).join(', ')),
      el('dt', {}, 'Up for'), el('dd', {}, Math.round(s.uptimeSeconds / 60) + ' min')),
    el('h3', {}, 'Members'),
    s.cluster ? table(['Member', 'Address', ''], members) : el('p', { id: 'standalone' }, 'Standalone: this node is not in a cluster.'));
  show('cluster');
  done('cluster');
}

// --- Wiring --------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const token = $('token').value.trim();
    $('token').value = '';
    if (!token) return;
    sessionStorage.setItem(TOKEN, token);
    try {
      const s = await api('GET', '/status');
      $('node-name').textContent = s.node + ' (' + s.version + ')';
      await route();
    } catch (e) {
      login(e instanceof Unauthorized ? 'The node refused this token.' : e.message);
    }
  });
  $('logout').addEventListener('click', () => { sessionStorage.removeItem(TOKEN); login(''); });
  $('search').addEventListener('input', filterQueue);
  $('search-field').addEventListener('change', filterQueue);
  $('search-state').addEventListener('change', filterQueue);
  $('search-form').addEventListener('submit', ev => { ev.preventDefault(); filterQueue(); });
  $('refresh').addEventListener('click', () => route());
  $('flush-all').addEventListener('click', async () => {
    try {
      const r = await queue('flush', 'ALL');
      $('queue-status').textContent = 'flush: ' + (r.changed || []).length + ' message(s) scheduled now';
      await renderQueue();
    } catch (e) {
      if (e instanceof Unauthorized) login('The node refused the token.');
      else $('queue-status').textContent = 'flush failed: ' + e.message;
    }
  });
  $('policy-form').addEventListener('submit', explain);
  window.addEventListener('hashchange', route);
  if (sessionStorage.getItem(TOKEN)) {
    api('GET', '/status').then(s => { $('node-name').textContent = s.node + ' (' + s.version + ')'; })
      .catch(() => {});
  }
  route();
});
