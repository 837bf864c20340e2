// The live dashboard: numbers from the SSE stream, panels refetched when they change.
// Plain browser JavaScript, served by the API itself (no CDN, no build step). At /share/<slug>
// the same page shows one site read-only, for a shared link (session.js).
import { call, Forbidden, openStream, shareSlug, signIn, signOut, Unauthorized, unlock, whoAmI } from './session.js';
import { fillTable } from './table.js';

const $ = (id) => document.getElementById(id);
const COLORS = ['#2563eb', '#12b76a', '#f79009', '#7a5af8', '#ee46bc', '#98a2b3'];
const fmt = new Intl.NumberFormat();

const url = new URL(location.href);
// Links from before sign-in existed carried the key in the URL: drop it, never use it.
const keyInUrl = url.searchParams.has('token');
if (keyInUrl) {
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}
let site = url.searchParams.get('site');
let win = url.searchParams.get('window') || '5m';
let closeStream = null;
let refreshTimer = null;
let lastRefresh = 0;
let lastChart = null;
let me = null;

const api = (path) => call('GET', `/api/v1${path}`);

/** Shows one of the page's states: the dashboard, the sign-in form, or a shared link's password form. */
function show(state, message = '') {
  document.body.dataset.state = state;
  $('signin').hidden = state !== 'signin';
  $('unlock').hidden = state !== 'unlock';
  $('board').hidden = state !== 'board';
  $(state === 'unlock' ? 'unlock-error' : 'signin-error').textContent = message;
  if (state === 'signin') $('signin-key').focus();
  if (state === 'unlock') $('unlock-password').focus();
}

const q = (extra = {}) => `?${new URLSearchParams({ site, window: win, ...extra })}`;

function duration(ms) {
  if (!ms) return '0 s';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

function showLive(live) {
  $('visitors').textContent = fmt.format(live.visitors);
  $('views').textContent = fmt.format(live.views);
  $('duration').textContent = duration(live.avgDurationMs);
}

function table(id, head, rows) {
  fillTable($(id), head, rows, { empty: 'no data yet', numbers: true });
}

const label = (v) => v || '(none)';

function svg(tag, attrs, text) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function drawChart(interval, totals, split) {
  const W = Math.max(280, $('chart').clientWidth || 720);
  const H = 220;
  const pad = { l: 34, r: 6, t: 8, b: 20 };
  const byValue = new Map();
  for (const p of split) byValue.set(p.country, (byValue.get(p.country) || 0) + p.views);
  const series = [...byValue.keys()].sort((a, b) => byValue.get(b) - byValue.get(a)).slice(0, 5);
  const cell = new Map(split.map((p) => [`${p.time}|${p.country}`, p.views]));
  const top = Math.max(1, ...totals.map((p) => p.views));
  const max = top <= 2 ? 2 : Math.ceil(top / 2) * 2;
  const bw = (W - pad.l - pad.r) / Math.max(1, totals.length);
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}` });
  for (const v of [0, max / 2, max]) {
    root.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: pad.l - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmt.format(Math.round(v))));
  }
  const every = Math.max(1, Math.ceil(totals.length / Math.floor(W / 70)));
  totals.forEach((p, i) => {
    let base = 0;
    const parts = series.map((c) => [c, cell.get(`${p.time}|${c}`) || 0]);
    parts.push(['other', Math.max(0, p.views - parts.reduce((n, [, v]) => n + v, 0))]);
    parts.forEach(([, v], k) => {
      if (v <= 0) return;
      const rect = svg('rect', {
        x: pad.l + i * bw + 1,
        width: Math.max(1, bw - 2),
        y: y(base + v),
        height: y(base) - y(base + v),
        fill: COLORS[k < series.length ? k : 5],
      });
      rect.append(svg('title', {}, `${p.time.slice(11, 16)} ${parts[k][0] || '(unknown)'}: ${v}`));
      root.append(rect);
      base += v;
    });
    if (i % every === 0) {
      const t = interval === 'day' ? p.time.slice(5, 10) : p.time.slice(11, 16);
      root.append(svg('text', { x: pad.l + i * bw + bw / 2, y: H - 5, 'text-anchor': 'middle' }, t));
    }
  });
  $('chart').replaceChildren(root);
  const legend = [...series.map((c, k) => [c || '(unknown)', COLORS[k]]), ['other', COLORS[5]]];
  $('legend').replaceChildren(
    ...legend.map(([name, color]) => {
      const li = document.createElement('li');
      const swatch = document.createElement('i');
      swatch.style.background = color;
      li.append(swatch, name);
      return li;
    }),
  );
}

function chartRange() {
  const minutes = { '5m': 30, '30m': 30, '1h': 60, '24h': 1440 }[win] || 30;
  return minutes > 60 ? { window: `${minutes}m`, interval: 'hour' } : { window: `${minutes}m`, interval: 'minute' };
}

async function refresh() {
  lastRefresh = Date.now();
  const chart = chartRange();
  const [pages, sources, countries, devices, totals, split, anomaly, fresh] = await Promise.all([
    api(`/top-pages${q({ limit: 10 })}`),
    api(`/breakdown${q({ dimension: 'source', limit: 10 })}`),
    api(`/breakdown${q({ dimension: 'country', limit: 10 })}`),
    api(`/breakdown${q({ dimension: 'device', limit: 10 })}`),
    api(`/timeseries${q(chart)}`),
    api(`/timeseries${q({ ...chart, breakdown: 'country', limit: 5 })}`),
    api(`/anomaly?${new URLSearchParams({ site })}`),
    api(`/freshness?${new URLSearchParams({ site })}`),
  ]);
  table(
    'pages',
    ['Page', 'Views', 'Visitors', 'Time'],
    pages.pages.map((p) => [p.path, fmt.format(p.views), fmt.format(p.visitors), duration(p.avgDurationMs)]),
  );
  table(
    'source',
    ['Source', 'Views', 'Visitors'],
    sources.rows.map((r) => [label(r.value), fmt.format(r.views), fmt.format(r.visitors)]),
  );
  table(
    'country',
    ['Country', 'Views', 'Visitors'],
    countries.rows.map((r) => [label(r.value), fmt.format(r.views), fmt.format(r.visitors)]),
  );
  table(
    'device',
    ['Device', 'Views', 'Visitors'],
    devices.rows.map((r) => [label(r.value), fmt.format(r.views), fmt.format(r.visitors)]),
  );
  $('interval').textContent = chart.interval;
  lastChart = [chart.interval, totals.points, split.points];
  drawChart(...lastChart);
  const a = $('anomaly');
  a.textContent = anomaly.changePct === null ? '–' : `${anomaly.changePct > 0 ? '+' : ''}${anomaly.changePct}%`;
  a.className = `big ${anomaly.changePct > 0 ? 'up' : anomaly.changePct < 0 ? 'down' : ''}`;
  $('anomaly-note').textContent = `${fmt.format(anomaly.currentViews)} views vs ${fmt.format(anomaly.previousViews)}`;
  const backlog = fresh.queueBacklog === null ? '' : ` · queue ${fmt.format(fresh.queueBacklog)}`;
  $('freshness').textContent = fresh.lagMs === null ? 'no data yet' : `data lag ${(fresh.lagMs / 1000).toFixed(1)} s${backlog}`;
}

/** Panels follow the stream, at most once a second. */
function scheduleRefresh() {
  if (refreshTimer) return;
  const wait = Math.max(0, 1000 - (Date.now() - lastRefresh));
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh().catch(onError);
  }, wait);
}

function connect() {
  closeStream?.();
  const params = new URLSearchParams({ site, window: win });
  closeStream = openStream(
    `/api/v1/stream?${params}`,
    (live) => {
      $('status').className = 'dot on';
      showLive(live);
      scheduleRefresh();
    },
    () => {
      $('status').className = 'dot off';
      // EventSource hides the status: ask the API whether signing in is the problem.
      api(`/live${q()}`).catch(onError);
    },
  );
}

function onError(err) {
  if (err instanceof Unauthorized) {
    closeStream?.();
    closeStream = null;
    if (shareSlug) show('unlock', err.body?.error || '');
    else show('signin', err.body?.error || '');
    return;
  }
  if (err instanceof Forbidden) {
    $('freshness').textContent = err.message;
    return;
  }
  console.error(err);
}

async function pickSite() {
  if (me?.kind === 'share') {
    site = me.site;
    $('site').replaceChildren(new Option(site, site, false, true));
    $('site').disabled = true;
    return;
  }
  const { sites } = await api('/sites');
  const names = sites.map((s) => s.site);
  if (!site) site = names[0] || null;
  if (site && !names.includes(site)) names.unshift(site);
  $('site').replaceChildren(...names.map((name) => new Option(name, name, false, name === site)));
}

/** The header's account part: who, the settings link for admins, sign out for sessions. */
function showAccount() {
  const admin = me && Array.isArray(me.scopes) && me.scopes.includes('sites:admin') && me.kind !== 'share';
  $('settings-link').hidden = !admin;
  $('signout').hidden = me?.via !== 'session';
  $('who').textContent = me?.kind === 'share' ? `shared: ${me.name || me.site}` : me?.name || (me?.kind === 'token' ? 'API_TOKEN' : '');
}

async function start() {
  try {
    me = null;
    me = await whoAmI();
    if (me.kind === null || (me.kind === 'anonymous' && !(me.sites?.['stats:read']?.length > 0))) {
      const note = keyInUrl ? 'Keys in links are no longer accepted: sign in instead.' : shareSlug ? me.error : '';
      show(shareSlug ? 'unlock' : 'signin', note || '');
      return;
    }
    show('board');
    showAccount();
    await pickSite();
    if (!site) {
      $('freshness').textContent = 'no sites yet: add the script tag to a page';
      return;
    }
    $('window').value = win;
    showLive(await api(`/live${q()}`));
    connect();
    await refresh();
  } catch (err) {
    // Refused before anything was shown (a proxy user nobody added): say so where a key can be given.
    if (me === null && err instanceof Forbidden && !shareSlug) show('signin', err.message);
    else onError(err);
  }
}

function navigate() {
  const next = new URL(location.href);
  next.searchParams.set('site', site);
  next.searchParams.set('window', win);
  history.replaceState(null, '', next.pathname + next.search);
  start();
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await signIn($('signin-key').value.trim());
    $('signin-key').value = '';
    await start();
  } catch (err) {
    show('signin', err.message);
  }
});
$('unlock-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await unlock($('unlock-password').value);
    $('unlock-password').value = '';
    await start();
  } catch (err) {
    show('unlock', err.message);
  }
});
$('signout').addEventListener('click', async () => {
  await signOut().catch(console.error);
  closeStream?.();
  me = null;
  show('signin');
});
$('site').addEventListener('change', (e) => {
  site = e.target.value;
  navigate();
});
$('window').addEventListener('change', (e) => {
  win = e.target.value;
  navigate();
});
addEventListener('resize', () => lastChart && drawChart(...lastChart));
start();
