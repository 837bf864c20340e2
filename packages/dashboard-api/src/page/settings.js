// The settings page (SPEC §11): sites, their shared links, API keys, users and the audit log,
// through the admin API with the dashboard's session (session.js). Plain browser JavaScript;
// every value from the server is written as text, never as HTML.
import { call, Forbidden, whoAmI } from './session.js';
import { fillTable } from './table.js';

const $ = (id) => document.getElementById(id);
const lines = (text) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

let me = null;
let current = null; // the site being edited
let auditBefore = null;

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function button(text, onClick) {
  const b = el('button', text, { type: 'button' });
  b.addEventListener('click', onClick);
  return b;
}

function table(id, head, rows) {
  fillTable($(id), head, rows);
}

/** Runs an action, showing the server's message (with its field) where it belongs. */
async function attempt(errorId, action) {
  $(errorId).textContent = '';
  try {
    await action();
  } catch (err) {
    $(errorId).textContent = err.message;
  }
}

async function loadSites() {
  const { sites } = await call('GET', '/api/v2/sites');
  table(
    'sites',
    ['Site', 'Time zone', 'Hosts', 'Excluded', 'Goals', 'Public', ''],
    sites.map((s) => [
      s.site,
      s.timezone,
      s.hostnames.length ? s.hostnames.join(', ') : 'any',
      `${s.exclude.ips.length} addresses, ${s.exclude.paths.length} paths, ${s.exclude.countries.length} countries`,
      s.goals.length,
      s.public ? 'yes' : 'no',
      button('Edit', () => edit(s)),
    ]),
  );
}

function edit(site) {
  current = site;
  $('site-panel').hidden = false;
  $('site-name').textContent = site.site;
  $('f-timezone').value = site.timezone;
  $('f-umami').value = site.umamiWebsiteId ?? '';
  $('f-public').checked = site.public;
  $('f-hostnames').value = site.hostnames.join('\n');
  $('f-ips').value = site.exclude.ips.join('\n');
  $('f-paths').value = site.exclude.paths.join('\n');
  $('f-countries').value = site.exclude.countries.join(', ');
  $('f-goals').value = site.goals.length ? JSON.stringify(site.goals, null, 1) : '';
  $('site-error').textContent = '';
  loadLinks().catch((err) => ($('link-error').textContent = err.message));
  $('site-panel').scrollIntoView({ behavior: 'smooth' });
}

function parseJson(text, what) {
  if (!text.trim()) return [];
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: not valid JSON`);
  }
}

async function loadLinks() {
  const { links } = await call('GET', `/api/v2/sites/${encodeURIComponent(current.site)}/shared-links`);
  table(
    'links',
    ['Name', 'Link', 'Password', 'Framed by', 'Filters', 'Created', ''],
    links.map((l) => {
      const a = el('a', l.url, { href: l.url, target: '_blank', rel: 'noopener' });
      return [
        l.name || '–',
        a,
        l.hasPassword ? 'yes' : 'no',
        l.frameAncestors.join(' ') || 'nobody',
        l.filters.length,
        when(l.createdAt),
        button('Revoke', () =>
          attempt('link-error', async () => {
            if (!confirm(`Revoke the link ${l.name || l.slug.slice(0, 6)}? Anyone using it loses access.`)) return;
            await call('DELETE', `/api/v2/sites/${encodeURIComponent(current.site)}/shared-links/${l.slug}`);
            await loadLinks();
          }),
        ),
      ];
    }),
  );
}

async function loadKeys() {
  const { keys } = await call('GET', '/api/v2/keys');
  table(
    'keys',
    ['Name', 'Key', 'Scopes', 'Sites', 'Created', 'Last used', ''],
    keys.map((k) => [
      k.name,
      `${k.prefix}…`,
      k.scopes.join(', '),
      k.sites.length ? k.sites.join(', ') : 'all',
      when(k.createdAt),
      when(k.lastUsedAt),
      button('Revoke', () =>
        attempt('key-error', async () => {
          if (!confirm(`Revoke ${k.name} (${k.prefix}…)? It stops working within seconds everywhere.`)) return;
          await call('DELETE', `/api/v2/keys/${k.id}`);
          await loadKeys();
        }),
      ),
    ]),
  );
}

async function loadUsers() {
  const { users } = await call('GET', '/api/v2/users');
  table(
    'users',
    ['User', 'Role', 'Sites', 'Added', ''],
    users.map((u) => [
      u.user,
      u.role,
      u.role === 'admin' ? 'all' : u.sites.join(', '),
      when(u.createdAt),
      button('Remove', () =>
        attempt('user-error', async () => {
          if (!confirm(`Remove ${u.user}?`)) return;
          await call('DELETE', `/api/v2/users/${encodeURIComponent(u.user)}`);
          await loadUsers();
        }),
      ),
    ]),
  );
}

async function loadAudit(more = false) {
  const params = new URLSearchParams({ limit: '50' });
  if (more && auditBefore) params.set('before', auditBefore);
  const { entries } = await call('GET', `/api/v2/audit?${params}`);
  const rows = entries.map((e) => [when(e.at), e.actor, e.action, e.site || '–', e.target, JSON.stringify(e.details), e.ip]);
  if (!more) table('audit', ['When', 'Who', 'Action', 'Site', 'Target', 'Details', 'From'], rows);
  else
    for (const row of rows)
      $('audit')
        .insertRow()
        .append(...row.map((v) => el('td', v)));
  auditBefore = entries.at(-1)?.at ?? auditBefore;
  $('audit-more').hidden = entries.length < 50;
}

$('site-add').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt('sites-error', async () => {
    const body = { site: $('site-add-name').value.trim() };
    if ($('site-add-tz').value.trim()) body.timezone = $('site-add-tz').value.trim();
    const site = await call('POST', '/api/v2/sites', body);
    $('site-add').reset();
    await loadSites();
    edit(site);
  });
});

$('site-edit').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt('site-error', async () => {
    const body = {
      timezone: $('f-timezone').value.trim() || 'UTC',
      umamiWebsiteId: $('f-umami').value.trim() || null,
      public: $('f-public').checked,
      hostnames: lines($('f-hostnames').value),
      exclude: { ips: lines($('f-ips').value), paths: lines($('f-paths').value), countries: lines($('f-countries').value) },
      goals: parseJson($('f-goals').value, 'goals'),
    };
    const site = await call('PATCH', `/api/v2/sites/${encodeURIComponent(current.site)}`, body);
    await loadSites();
    edit(site);
    $('site-error').textContent = 'Saved: collectors apply it within seconds.';
  });
});

$('site-delete').addEventListener('click', () =>
  attempt('site-error', async () => {
    if (!confirm(`Delete ${current.site}? Its events stay stored; its shared links are revoked.`)) return;
    await call('DELETE', `/api/v2/sites/${encodeURIComponent(current.site)}`);
    $('site-panel').hidden = true;
    current = null;
    await loadSites();
  }),
);

$('link-add').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt('link-error', async () => {
    const body = { frameAncestors: lines($('l-frames').value), filters: parseJson($('l-filters').value, 'filters') };
    if ($('l-name').value.trim()) body.name = $('l-name').value.trim();
    if ($('l-password').value) body.password = $('l-password').value;
    await call('POST', `/api/v2/sites/${encodeURIComponent(current.site)}/shared-links`, body);
    $('link-add').reset();
    await loadLinks();
  });
});

$('key-add').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt('key-error', async () => {
    const scopes = [...$('k-scopes').querySelectorAll('input:checked')].map((i) => i.value);
    const made = await call('POST', '/api/v2/keys', { name: $('k-name').value.trim(), scopes, sites: lines($('k-sites').value) });
    $('key-add').reset();
    $('key-made').hidden = false;
    $('key-value').value = made.key;
    $('key-value').select();
    await loadKeys();
  });
});

$('user-add').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt('user-error', async () => {
    const role = $('u-role').value;
    const body = { user: $('u-name').value.trim(), role };
    if (role === 'viewer') body.sites = lines($('u-sites').value);
    await call('POST', '/api/v2/users', body);
    $('user-add').reset();
    await loadUsers();
  });
});

$('audit-more').addEventListener('click', () => loadAudit(true).catch(console.error));

async function start() {
  me = await whoAmI();
  if (me.kind === null || !me.scopes?.includes('sites:admin') || me.kind === 'share') {
    $('signin').hidden = false;
    if (me.kind !== null) $('signin-note').textContent = 'This sign-in may not change settings: it needs the sites:admin scope.';
    return;
  }
  $('who').textContent = me.name || (me.kind === 'token' ? 'API_TOKEN' : me.kind);
  $('settings').hidden = false;
  for (const zone of Intl.supportedValuesOf?.('timeZone') ?? []) $('zones').append(el('option', undefined, { value: zone }));
  const everySite = me.sites?.['sites:admin'] === 'all';
  $('users-panel').hidden = !everySite;
  $('audit-panel').hidden = !everySite;
  await Promise.all([loadSites(), loadKeys(), everySite ? loadUsers() : null, everySite ? loadAudit() : null]);
}

start().catch((err) => {
  if (err instanceof Forbidden) $('sites-error').textContent = err.message;
  else console.error(err);
});
