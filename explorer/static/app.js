// The Sovereign explorer: a hash-routed page over the node's JSON-RPC
// (POST "rpc") and its WebSocket subscription ("ws"), both forwarded by the
// explorer's handler. No framework: h() builds DOM nodes, so chain data is
// always text, never markup.

const main = document.getElementById('main');
const live = document.getElementById('live');
let config = { accounts: true, login: false };
let info = null;      // sov_chainInfo, refreshed on every final block
let genesis = null;   // sov_genesis, once
let headTime = 0;     // block time (ms) of the last final block seen
let rendering = 0;    // bumps on each render so a slow old one cannot overwrite a newer one

// ---- RPC ---------------------------------------------------------------

class RPCError extends Error {
  constructor(e) { super(e.message); this.code = e.data && e.data.code; this.num = e.code; }
}

let rpcID = 0;
async function rpc(method, ...params) {
  const res = await fetch('rpc', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcID, method, params }),
  });
  const body = await res.json().catch(() => { throw new Error(`${method}: HTTP ${res.status}`); });
  if (body.error) throw new RPCError(body.error);
  return body.result;
}

// found returns null for a not-found error, the result otherwise.
async function found(method, ...params) {
  try { return await rpc(method, ...params); } catch (e) {
    if (e.num === -32001) return null;
    throw e;
  }
}

// ---- DOM helpers ----------------------------------------------------------

function h(tag, attrs, ...kids) {
  const svg = ['svg', 'circle', 'line', 'polyline', 'text', 'title', 'g', 'a', 'path', 'rect'].includes(tag) && attrs && attrs.svg;
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'svg' || v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
const s = (tag, attrs, ...kids) => h(tag, { ...attrs, svg: true }, ...kids);

const short = (x) => (x && x.length > 14 ? `${x.slice(0, 8)}…${x.slice(-6)}` : x || '');
const badge = (text) => h('span', { class: `badge ${text}` }, text);
const link = (href, text, title) => h('a', { href, title }, text);
const txLink = (hash) => link(`#/tx/${hash}`, short(hash), hash);
const blockLink = (n) => link(`#/block/${n}`, `#${n}`);
const recordLink = (kind, id) => link(`#/${['payout', 'request'].includes(kind) ? kind : 'escrow'}/${id}`, short(id), id);
// recordKind names the page of the record an event is about.
const recordKind = (e) => e.kind === 'withdrawal' ? 'payout' : e.kind.startsWith('request_') ? 'request' : 'escrow';
function when(ms) {
  if (!ms) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
function ago(ms) {
  const d = Math.round(((headTime || Date.now()) - ms) / 1000);
  if (Math.abs(d) < 90) return d >= 0 ? `${d} s ago` : `in ${-d} s`;
  const m = Math.round(d / 60);
  if (Math.abs(m) < 90) return m >= 0 ? `${m} min ago` : `in ${-m} min`;
  const hr = Math.round(m / 60);
  return hr >= 0 ? `${hr} h ago` : `in ${-hr} h`;
}
function nameOf(addr) {
  if (!addr) return '';
  const a = addr.toLowerCase();
  for (const v of (info && info.validators) || []) if (v.address.toLowerCase() === a && v.name) return v.name;
  for (const b of (genesis && genesis.banks) || []) if (b.address.toLowerCase() === a) return b.name;
  return '';
}
function isBank(addr) {
  return ((genesis && genesis.banks) || []).some((b) => b.address.toLowerCase() === addr.toLowerCase());
}
function who(addr) {
  if (!addr) return h('span', { class: 'muted' }, '—');
  const name = nameOf(addr);
  const href = isBank(addr) ? `#/bank/${addr}` : `#/account/${addr}`;
  return link(href, name ? `${name} (${short(addr)})` : short(addr), addr);
}
const table = (head, rows, empty = 'nothing yet') => h('div', { class: 'scroll' },
  rows.length === 0 ? h('p', { class: 'muted empty' }, empty) :
    h('table', {}, h('thead', {}, h('tr', {}, head.map((c) => h('th', { class: c.startsWith('#') ? 'num' : null }, c.replace(/^#/, ''))))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { class: head[i].startsWith('#') ? 'num' : null }, c)))))));
const kv = (pairs) => h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
const card = (k, v, id) => h('div', { class: 'card' }, h('div', { class: 'k' }, k), h('div', { class: 'v', id }, v));

// ---- Pages ---------------------------------------------------------------

const routes = [
  [/^$/, home, true],
  [/^block\/(\d+)$/, blockPage, false],
  [/^tx\/(0x[0-9a-fA-F]{64})$/, txPage, true],
  [/^account\/(0x[0-9a-fA-F]{40})$/, accountPage, true],
  [/^escrow\/(0x[0-9a-fA-F]{64})$/, escrowPage, true],
  [/^payout\/(0x[0-9a-fA-F]{64})$/, payoutPage, true],
  [/^bank\/(0x[0-9a-fA-F]{40})$/, bankPage, true],
  [/^banks$/, banksPage, false],
  [/^request\/(0x[0-9a-fA-F]{64})$/, requestPage, true],
  [/^requests$/, requestsPage, false],
  [/^search\/(.+)$/, searchPage, false],
];

async function home() {
  const path = await rpc('sov_keyPath', 64);
  const last = path[path.length - 1];
  let interval = '—';
  if (path.length > 1) interval = `${((path[path.length - 1].time - path[0].time) / (path.length - 1) / 1000).toFixed(2)} s`;
  const stats = new Map(info.validators.map((v) => [v.address.toLowerCase(), { v, proposed: 0, missed: 0, last: 0 }]));
  for (const st of path) {
    const p = stats.get(st.proposer.toLowerCase());
    if (p) { p.proposed++; p.last = st.height; }
    for (const m of st.missed) { const x = stats.get(m.toLowerCase()); if (x) x.missed++; }
  }
  return [
    h('h1', {}, `Chain ${info.chain_id}`),
    h('div', { class: 'cards' },
      card('Height', String(info.height), 'height'),
      card('Final height', String(info.final_height), 'final-height'),
      card('Block interval', interval),
      card('Key holder', nameOf(info.holder) || short(info.holder)),
      card('Round', String(info.round)),
      card('Validators', String(info.validators.length)),
      card('Last block', last ? ago(last.time) : '—')),
    h('h2', { id: 'keypath-title' }, `The sovereign key's path over the last ${path.length} blocks`),
    keyPathSVG(path),
    h('h2', {}, 'Validators'),
    table(['Name', 'Address', '#Proposed', '#Missed rounds', 'Last proposal'],
      [...stats.values()].map((x) => [x.v.name || '', h('span', { class: 'mono' }, x.v.address), String(x.proposed), String(x.missed),
        x.last ? blockLink(x.last) : h('span', { class: 'muted' }, 'none in window')])),
    h('h2', {}, 'Latest final blocks'),
    table(['Height', 'Time', 'Proposer', '#Round', '#Transactions', '#Precommits'],
      path.slice(-15).reverse().map((b) => [blockLink(b.height), h('span', { title: when(b.time) }, ago(b.time)),
        nameOf(b.proposer) || short(b.proposer), String(b.round), String(b.tx_count), String(b.signers)])),
  ];
}

// keyPathSVG draws one column per block and one row per validator: the
// proposer is a dot (a link to its block), holders that missed their round
// before it are red crosses, and a line joins the proposers.
function keyPathSVG(path) {
  const vals = [...info.validators].sort((a, b) => (a.name || a.address).localeCompare(b.name || b.address));
  const row = new Map(vals.map((v, i) => [v.address.toLowerCase(), i]));
  const left = 90, top = 14, dx = Math.max(10, Math.min(24, 760 / Math.max(path.length, 1))), dy = 26;
  const W = left + dx * Math.max(path.length, 1) + 10, H = top + dy * vals.length + 18;
  const y = (addr) => top + dy * (row.get(addr.toLowerCase()) ?? 0) + dy / 2;
  const x = (i) => left + dx * i + dx / 2;
  const kids = [s('title', {}, 'Key holder per block')];
  vals.forEach((v, i) => {
    kids.push(s('line', { class: 'grid', x1: left, x2: W - 10, y1: top + dy * i + dy / 2, y2: top + dy * i + dy / 2 }));
    kids.push(s('text', { x: 4, y: top + dy * i + dy / 2 + 4 }, v.name || short(v.address)));
  });
  kids.push(s('polyline', { class: 'path', points: path.map((b, i) => `${x(i)},${y(b.proposer)}`).join(' ') }));
  path.forEach((b, i) => {
    b.missed.forEach((m) => {
      const cx = x(i), cy = y(m), r = 4;
      kids.push(s('g', { class: 'miss' }, s('title', {}, `${nameOf(m) || m} missed round at height ${b.height}`),
        s('line', { x1: cx - r, y1: cy - r, x2: cx + r, y2: cy + r }), s('line', { x1: cx - r, y1: cy + r, x2: cx + r, y2: cy - r })));
    });
    kids.push(s('a', { href: `#/block/${b.height}`, 'aria-label': `block ${b.height} by ${nameOf(b.proposer) || b.proposer}` },
      s('circle', { class: 'prop', cx: x(i), cy: y(b.proposer), r: b.round > 0 ? 5 : 3.5 }),
      s('title', {}, `block ${b.height}, round ${b.round}, ${b.tx_count} txs, by ${nameOf(b.proposer) || b.proposer}`)));
  });
  if (path.length) {
    kids.push(s('text', { x: left, y: H - 3 }, `#${path[0].height}`));
    kids.push(s('text', { x: W - 10, y: H - 3, 'text-anchor': 'end' }, `#${path[path.length - 1].height}`));
  }
  return s('svg', { class: 'keypath', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'keypath-title' }, kids);
}

async function blockPage(n) {
  const b = await found('sov_getBlockByNumber', Number(n), true);
  if (!b) return notFound(`Block ${n} is not final yet (final height ${info.final_height}).`);
  const txs = b.full_transactions || [];
  const own = b.receipts.length > txs.length ? b.receipts[b.receipts.length - 1] : null;
  const cert = b.certificate;
  return [
    h('h1', {}, `Block ${b.height}`),
    h('p', { class: 'row' }, b.height > 0 ? link(`#/block/${b.height - 1}`, '← previous') : null,
      b.height < info.final_height ? link(`#/block/${b.height + 1}`, 'next →') : null),
    kv([['Hash', h('span', { class: 'mono' }, b.hash)], ['Time', `${when(b.time)} (${ago(b.time)})`],
      ['Proposer', who(b.proposer)], ['Round', String(b.round)],
      ['Reveal', h('span', { class: 'mono' }, b.reveal)], ['Parent', b.height > 0 ? link(`#/block/${b.height - 1}`, b.parent_hash) : b.parent_hash],
      ['State root', h('span', { class: 'mono' }, b.state_root)], ['Transactions', String(b.tx_count)]]),
    h('h2', {}, 'Commit certificate'),
    cert ? [h('p', {}, `Round ${cert.round}: ${cert.signatures.length} of ${info.validators.length} validators precommitted.`),
      table(['Validator', 'Signature'], cert.signatures.map((sg) => [who(sg.validator), h('span', { class: 'mono' }, short(sg.sig))]))]
      : h('p', { class: 'muted' }, 'Not yet known: the next block carries it.'),
    h('h2', {}, 'Transactions'),
    table(['Hash', 'Type', 'Sender', 'Status', 'Events'], txs.map((t) => [txLink(t.hash), t.type, who(t.sender),
      t.status === 'final' ? badge('final') : [badge(t.status), ' ', t.code], String((t.receipt && t.receipt.events || []).length)]),
    'no transactions'),
    own && own.events && own.events.length ? [h('h2', {}, "The block's own events"), eventsTable(own.events)] : null,
  ];
}

function eventsTable(events) {
  return table(['Kind', 'Record', 'Accounts', 'Amount', 'Details'], events.map((e) => [e.kind,
    e.record ? recordLink(recordKind(e), e.record) : '',
    (e.accounts || []).map((a, i) => [i ? ', ' : '', who(a)]),
    e.amount ? `${e.amount} ${e.asset}` : '',
    [e.step, e.ref && `ref ${e.ref}`, e.reason, e.at && `at ${when(e.at)}`].filter(Boolean).join(' · ')]), 'no events');
}

async function txPage(hash) {
  const t = await found('sov_getTransaction', hash);
  if (!t) return notFound(`No transaction ${hash} on this node (not final, not pending, not recently rejected).`);
  const b = t.body || {};
  const r = t.receipt;
  return [
    h('h1', {}, 'Transaction'),
    h('p', { class: 'mono' }, t.hash),
    kv([['Status', h('span', { id: 'tx-status' }, badge(t.status), t.code ? ` ${t.code}` : '')],
      t.height !== null && ['Block', [blockLink(t.height), ` position ${t.index}`]],
      ['Type', t.type || '—'], ['Sender', who(t.sender)], ['Nonce', t.nonce ?? '—'],
      b.to && ['To', who(b.to)], b.account && ['Account', who(b.account)],
      b.amount && ['Amount', `${b.amount} ${b.asset}`],
      b.escrow && ['Escrow', recordLink('escrow', b.escrow)],
      t.type === 'hold' && t.status === 'final' && ['Escrow', recordLink('escrow', t.hash)],
      t.type === 'withdraw' && t.status === 'final' && config.accounts && ['Payout', recordLink('payout', t.hash)], b.record && ['Record', h('span', { class: 'mono' }, b.record)],
      b.kind && ['Feedback', `${b.kind}${b.ref ? ` (ref ${b.ref})` : ''}`],
      b.expiry && ['Expires', when(b.expiry)], b.arbiter && ['Arbiter', who(b.arbiter)],
      (t.signers || []).length > 1 && ['Co-signers', t.signers.slice(1).map((a) => who(a))],
      ['Size', t.size ? `${t.size} bytes` : '—']]),
    h('h2', {}, 'Receipt'),
    r ? [kv([['Outcome', r.ok ? badge('ok') : [badge('rejected'), ` ${r.code}`]]]), h('h2', {}, 'Events'), eventsTable(r.events || [])]
      : h('p', { class: 'muted' }, 'No receipt yet: the transaction is not in a final block. This page updates when it is.'),
  ];
}

async function accountPage(addr) {
  if (!config.accounts) return hidden();
  const [acct, escrows, hist, asPayer, asMerchant] = await Promise.all([found('sov_getAccount', addr),
    rpc('sov_listEscrows', { account: addr, limit: 50 }), rpc('sov_accountHistory', { account: addr }),
    rpc('sov_listRequests', { payer: addr, limit: 50 }), rpc('sov_listRequests', { merchant: addr, limit: 50 })]);
  if (!acct) return notFound(`No account ${addr}.`);
  const historyBox = h('div', {});
  const showHistory = (hs) => {
    historyBox.append(historyTable(hs, addr));
    if (hs.more) {
      const more = h('button', { class: 'plain', type: 'button' }, `Older (blocks below #${hs.from})`);
      more.addEventListener('click', async () => {
        more.disabled = true;
        more.remove();
        showHistory(await rpc('sov_accountHistory', { account: addr, before: hs.from }));
      });
      historyBox.append(h('p', {}, more));
    }
  };
  showHistory(hist);
  return [
    h('h1', {}, nameOf(addr) || 'Account'),
    h('p', { class: 'mono' }, addr),
    kv([['Bank', who(acct.bank)], ['Nonce', String(acct.nonce)],
      ['Withdrawal key', acct.withdrawal_key ? h('span', { class: 'mono' }, acct.withdrawal_key) : h('span', { class: 'muted' }, 'none')]]),
    h('h2', {}, 'Balances'),
    table(['Asset', '#Available', '#Held (in escrow)', '#Locked (protection period)'],
      acct.balances.map((b) => [b.asset, b.available, b.held, b.locked])),
    h('h2', {}, 'Locked amounts and when they unlock'),
    table(['Asset', '#Amount', 'Unlocks', ''], acct.locks.map((l) => [l.asset, l.amount, when(l.unlock_at), ago(l.unlock_at)]), 'nothing locked'),
    h('h2', {}, 'Escrows'),
    table(['Escrow', 'Status', 'Payer', 'Payee', '#Amount', 'Bank'], escrows.map((e) => [recordLink('escrow', e.id), badge(e.status),
      who(e.payer), who(e.payee), `${e.amount} ${e.asset}`, badge(e.bank_status)]), 'no escrows'),
    h('h2', {}, 'Payment requests'),
    requestsTable([...asPayer, ...asMerchant].sort((a, b) => b.created_height - a.created_height)),
    h('h2', {}, 'History'),
    h('p', { class: 'muted' }, `Events of final blocks #${hist.from}–#${hist.to}, newest first. The PostgreSQL indexer keeps complete statements (docs/INDEXER.md).`),
    historyBox,
  ];
}

function historyTable(hs, addr) {
  return table(['Block', 'Time', 'Event', '#Amount', 'Counterparty', 'Transaction'], hs.notices.map((n) => {
    const e = n.event;
    const others = (e.accounts || []).filter((a) => a.toLowerCase() !== addr.toLowerCase());
    return [blockLink(n.height), h('span', { title: when(n.time) }, ago(n.time)),
      e.record && (e.kind.startsWith('escrow') || e.kind.startsWith('request_')) ? [e.kind, ' ', recordLink(recordKind(e), e.record)] : e.kind,
      e.amount ? `${e.amount} ${e.asset}` : '', others.map((a, i) => [i ? ', ' : '', who(a)]),
      n.tx_hash ? txLink(n.tx_hash) : h('span', { class: 'muted' }, 'block')];
  }), 'no events in these blocks');
}

// trackItems lists a record's bank feedback steps as timeline entries.
function trackItems(track) {
  const out = track.steps.map((st) => {
    const late = !st.matched && headTime > st.due;
    return h('li', { class: st.matched ? 'done' : late ? 'late' : 'now' },
      h('div', { class: 'what' }, `Bank feedback: ${st.kind.replaceAll('_', ' ')} ${st.amount}`),
      h('div', { class: 'when' }, st.matched
        ? [`matched ${when(st.matched_at)}`, st.ref ? ` · ref ${st.ref}` : '', ' · ', st.matched_tx ? txLink(st.matched_tx) : '']
        : `${late ? 'overdue since' : 'due by'} ${when(st.due)} (${ago(st.due)})`));
  });
  return out;
}

async function escrowPage(id) {
  const e = await found('sov_getEscrow', id);
  if (!e) {
    const p = await found('sov_getPayout', id).catch(() => null);
    if (p) { location.replace(`#/payout/${id}`); return []; }
    return notFound(`No escrow ${id}.`);
  }
  const ended = e.ended_height !== null;
  const items = [
    h('li', { class: 'done' }, h('div', { class: 'what' }, `Hold: ${e.amount} ${e.asset} from `, who(e.payer), ' to ', who(e.payee)),
      h('div', { class: 'when' }, blockLink(e.opened_height), ` · ${when(e.opened_at)} · `, txLink(e.id))),
    ...trackItems(e),
  ];
  const endName = { released: 'Released', refunded: 'Refunded', expired: 'Expired' }[e.status];
  if (ended) {
    items.push(h('li', { class: 'done', id: 'escrow-ended' }, h('div', { class: 'what' }, `${endName}: ${e.released} ${e.asset} to the payee, ${e.returned} back to the payer`),
      h('div', { class: 'when' }, blockLink(e.ended_height), ` · ${when(e.ended_at)}`)));
  } else {
    items.push(h('li', { class: 'now' }, h('div', { class: 'what' }, 'Waiting for release or refund'),
      h('div', { class: 'when' }, `expires ${when(e.expiry)} (${ago(e.expiry)})`)));
  }
  if (e.status === 'released' && e.unlock_at) {
    const unlocked = headTime >= e.unlock_at;
    items.push(h('li', { class: unlocked ? 'done' : 'now' }, h('div', { class: 'what' }, 'Protection period'),
      h('div', { class: 'when' }, `${unlocked ? 'ended' : 'locked until'} ${when(e.unlock_at)} (${ago(e.unlock_at)})`)));
    items.push(h('li', { class: unlocked ? 'now' : 'later' }, h('div', { class: 'what' }, 'Withdrawal'),
      h('div', { class: 'when' }, unlocked ? ['the payee may withdraw; its payouts are on ', who(e.payee), "'s page"] : 'possible once the protection period ends')));
  } else {
    items.push(h('li', { class: 'later' }, h('div', { class: 'what' }, 'Protection period and withdrawal'),
      h('div', { class: 'when' }, ended ? `none: the escrow was ${e.status}` : 'start when the escrow is released')));
  }
  return [
    h('h1', {}, 'Escrow'),
    h('p', { class: 'mono' }, e.id),
    kv([['Status', h('span', { id: 'escrow-status' }, badge(e.status))], ['Bank feedback', badge(e.bank_status)], ['Servicing bank', who(e.bank)],
      ['Amount', `${e.amount} ${e.asset}`], e.arbiter && ['Arbiter', who(e.arbiter)], ['Expiry', when(e.expiry)]]),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline', id: 'timeline' }, items),
    e.exceptions.length ? [h('h2', {}, 'Feedback that did not match'), exceptionsTable(e.exceptions)] : null,
  ];
}

function exceptionsTable(xs) {
  return table(['Transaction', 'Bank', 'Kind', '#Amount', 'Reason'], xs.map((x) => [txLink(x.tx), who(x.bank), x.kind, `${x.amount} ${x.asset}`, x.reason]));
}

async function payoutPage(id) {
  if (!config.accounts) return hidden();
  const p = await found('sov_getPayout', id);
  if (!p) return notFound(`No payout ${id}.`);
  return [
    h('h1', {}, 'Withdrawal (payout)'),
    h('p', { class: 'mono' }, p.id),
    kv([['Account', who(p.account)], ['Amount', `${p.amount} ${p.asset}`], ['Bank', who(p.bank)], ['Bank feedback', badge(p.bank_status)]]),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline' },
      h('li', { class: 'done' }, h('div', { class: 'what' }, 'Withdrawn from the ledger'), h('div', { class: 'when' }, blockLink(p.height), ` · ${when(p.time)}`)),
      trackItems(p)),
    p.exceptions.length ? [h('h2', {}, 'Feedback that did not match'), exceptionsTable(p.exceptions)] : null,
  ];
}

async function banksPage() {
  return [h('h1', {}, 'Member banks'),
    table(['Bank', 'Address', 'Reconciliation'], genesis.banks.map((b) => [b.name, h('span', { class: 'mono' }, b.address),
      config.accounts ? link(`#/bank/${b.address}`, 'matched · waiting · overdue · mismatched') : h('span', { class: 'muted' }, 'hidden')]))];
}

async function bankPage(addr) {
  const bank = await found('sov_getBank', addr);
  if (!bank) return notFound(`No member bank at ${addr}.`);
  if (!config.accounts) return [h('h1', {}, bank.name), hidden()];
  const rec = await rpc('sov_reconciliation', { bank: addr });
  const part = (name) => [h('h2', {}, `${name[0].toUpperCase()}${name.slice(1)} (${rec.counts[name]})`),
    table(['Record', 'Kind', 'Block', 'Status', 'Next step'], rec[name].map((r) => {
      const x = r.escrow || r.payout;
      const next = x && x.next_step ? `${x.next_step.kind.replaceAll('_', ' ')} ${x.next_step.amount}, due ${when(x.next_step.due)}` : '';
      return [r.kind === 'exception' ? txLink(r.id) : recordLink(r.kind, r.id), r.kind, blockLink(r.height), badge(r.bank_status),
        r.exception ? r.exception.reason : next];
    }), 'none')];
  return [
    h('h1', {}, `Reconciliation: ${bank.name}`),
    h('p', { class: 'muted' }, `Records created in blocks #${rec.from}–#${rec.to}, judged at block #${rec.height} (${when(rec.time)}).`),
    h('div', { class: 'cards' }, ['matched', 'waiting', 'overdue', 'mismatched'].map((k) => card(k, String(rec.counts[k]), `count-${k}`))),
    ['overdue', 'mismatched', 'waiting', 'matched'].map(part),
  ];
}

// A payment request: who asked whom for what, and how it ended.
async function requestPage(id) {
  const r = await found('sov_getRequest', id);
  if (!r) return notFound(`No payment request ${id}.`);
  const ended = r.ended_height !== null;
  const endName = { paid: 'Paid', declined: 'Declined', expired: 'Expired', cancelled: 'Cancelled' }[r.status];
  const items = [
    h('li', { class: 'done' }, h('div', { class: 'what' }, `Requested: ${r.amount} ${r.asset} from `, who(r.payer), ' by ', who(r.merchant), `, order ${r.ref}`),
      h('div', { class: 'when' }, blockLink(r.created_height), ` · ${when(r.created_at)} · `, txLink(r.id))),
    ended
      ? h('li', { class: 'done', id: 'request-ended' }, h('div', { class: 'what' }, endName, r.reason ? ` (${r.reason})` : '',
        r.escrow ? [': paid into escrow ', recordLink('escrow', r.escrow)] : r.payment ? [': ', txLink(r.payment)] : ''),
      h('div', { class: 'when' }, blockLink(r.ended_height), ` · ${when(r.ended_at)}`))
      : h('li', { class: 'now' }, h('div', { class: 'what' }, 'Waiting for the payer to accept or decline'),
        h('div', { class: 'when' }, `expires ${when(r.expiry)} (${ago(r.expiry)})`)),
  ];
  return [
    h('h1', {}, 'Payment request'),
    h('p', { class: 'mono' }, r.id),
    kv([['Status', h('span', { id: 'request-status' }, badge(r.status))], ['Merchant', who(r.merchant)], ['Payer', who(r.payer)],
      ['Amount', `${r.amount} ${r.asset}`], ['Order reference', r.ref], ['Settlement', r.mode === 'escrow' ? 'into escrow' : 'direct transfer'],
      r.arbiter && ['Arbiter', who(r.arbiter)], ['Expiry', when(r.expiry)], r.end_to_end_id && ['End-to-end id', h('span', { class: 'mono' }, r.end_to_end_id)]]),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline', id: 'request-timeline' }, items),
  ];
}

function requestsTable(rs) {
  return table(['Request', 'Status', 'Merchant', 'Payer', '#Amount', 'Order', 'Expiry'], rs.map((r) => [recordLink('request', r.id), badge(r.status),
    who(r.merchant), who(r.payer), `${r.amount} ${r.asset}`, r.ref, when(r.expiry)]), 'no payment requests');
}

// Requests are private to their merchant and payer: there is no list of
// them all; an account's page lists its own, and search finds one by id.
async function requestsPage() {
  return [h('h1', {}, 'Payment requests'),
    h('p', { class: 'note', id: 'payment-requests' },
      "A payment request is listed on its merchant's and its payer's account pages; search finds one by its id (the request transaction's hash). The chain keeps no list of every request, so this explorer shows none.")];
}

async function searchPage(q) {
  q = decodeURIComponent(q).trim();
  let target = null;
  if (/^\d+$/.test(q)) target = `#/block/${q}`;
  else if (/^0x[0-9a-fA-F]{40}$/.test(q)) target = isBank(q) ? `#/bank/${q}` : `#/account/${q}`;
  else if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
    // An escrow's id is its hold's hash, a payout's its withdrawal's: the
    // record says more than the transaction, and links to it.
    if (await found('sov_getEscrow', q)) target = `#/escrow/${q}`;
    else if (config.accounts && await found('sov_getPayout', q)) target = `#/payout/${q}`;
    else if (config.accounts && await found('sov_getRequest', q)) target = `#/request/${q}`;
    else if (await found('sov_getTransaction', q)) target = `#/tx/${q}`;
    else return notFound(`Nothing on this chain has the hash ${q}: no transaction, escrow, payout or payment request.`);
  } else {
    return [h('h1', {}, 'Search'), h('p', { class: 'error' }, `"${q}" is not a transaction hash or escrow id (0x and 64 hex digits), an address (0x and 40 hex digits) or a block height.`)];
  }
  location.replace(target);
  return [];
}

const notFound = (msg) => [h('h1', {}, 'Not found'), h('p', { class: 'error' }, msg)];
function hidden() {
  const out = [h('h1', {}, 'Account pages are hidden'),
    h('p', { class: 'note' }, "This explorer hides accounts' balances and histories from anonymous visitors.")];
  if (config.login) {
    const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password' });
    const form = h('form', { class: 'row' }, h('label', { for: 'token' }, 'Access token'), input, h('button', { type: 'submit' }, 'Sign in'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const res = await fetch('login', { method: 'POST', body: new URLSearchParams({ token: input.value }) });
      if (res.ok) { await loadConfig(); render(); } else form.append(h('span', { class: 'error' }, 'wrong token'));
    });
    out.push(form);
  }
  return out;
}

// ---- Router, live updates ---------------------------------------------

async function render(fromLive = false) {
  const path = location.hash.replace(/^#\/?/, '');
  const route = routes.find(([re]) => re.test(path));
  // A live update of a page that does not change must not count as a
  // render: it would make the navigation render still in flight stale,
  // and the old page would stay up.
  if (fromLive && route && !route[2]) return;
  const mine = ++rendering;
  try {
    if (!info || fromLive) info = await rpc('sov_chainInfo');
    if (!genesis) genesis = await rpc('sov_genesis');
    const content = route ? await route[1](...path.match(route[0]).slice(1)) : notFound(`No page ${path}.`);
    if (mine !== rendering) return;
    main.replaceChildren(...[content].flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false));
    document.getElementById('chain').textContent = `${info.chain_id} · final height ${info.final_height}`;
    if (!performance.getEntriesByName('sov:rendered').length) performance.mark('sov:rendered'); // first page shown (benchmarks read it)
    if (!fromLive) {
      document.title = `${(main.querySelector('h1') || {}).textContent || 'Sovereign'} · Sovereign explorer`;
      main.focus({ preventScroll: true });
    }
  } catch (e) {
    if (mine !== rendering) return;
    main.replaceChildren(h('h1', {}, 'Error'), h('p', { class: 'error' }, e.code ? `${e.code}: ${e.message}` : e.message));
  }
}

// Live: one WebSocket subscription to newFinalBlocks; each new final block
// re-renders pages that show changing data (at most one render at a time).
let busy = false, again = false;
async function onFinal(header) {
  headTime = header.time;
  live.textContent = `live · final #${header.height}`;
  if (busy) { again = true; return; }
  busy = true;
  try { do { again = false; await render(true); } while (again); } finally { busy = false; }
}

function connect() {
  const url = new URL('ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  const ws = new WebSocket(url);
  ws.onopen = () => {
    live.textContent = 'live';
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sov_subscribe', params: ['newFinalBlocks'] }));
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.method === 'sov_subscription' && msg.params) onFinal(msg.params.result);
  };
  ws.onclose = () => { live.textContent = 'reconnecting…'; setTimeout(connect, 2000); };
}

async function loadConfig() { config = await (await fetch('config.json')).json(); }

document.getElementById('search').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = document.getElementById('q').value.trim();
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
});
// "/" jumps to the search box (focused on key up, so the "/" is not typed into it).
const typing = () => ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
document.addEventListener('keydown', (ev) => { if (ev.key === '/' && !typing()) ev.preventDefault(); });
document.addEventListener('keyup', (ev) => { if (ev.key === '/' && !typing()) document.getElementById('q').focus(); });
window.addEventListener('hashchange', () => render());

// Everything the first page needs that does not depend on the page, at once.
const [, chainInfo, chainGenesis, newest] = await Promise.all([loadConfig(), rpc('sov_chainInfo'), rpc('sov_genesis'),
  rpc('sov_keyPath', 1).catch(() => [])]); // the newest final block's time: "now" on the chain
[info, genesis, headTime] = [chainInfo, chainGenesis, newest.length ? newest[0].time : Date.now()];
render();
connect();
