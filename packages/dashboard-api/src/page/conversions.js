// Goals, funnels, alerts and reports (SPEC §12) on the dashboard: a self-contained module beside
// dashboard.js. It reads the site from the page's site picker, calls the API as the page does
// (session.js: the session cookie and its CSRF token, or a shared link's own path), and uses the
// v2 API only: /query (goal conversions, property breakdowns), /goals, /properties, /funnel,
// /alerts and /reports. A shared link's page shows goals and funnels, never the rules (a link
// does not reach them). Plain browser JavaScript, no build step.
import { call, shareSlug } from './session.js';

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat();
const site = () => $('site')?.value || new URL(location.href).searchParams.get('site');

const v2 = (path, body) => call(body ? 'POST' : 'GET', `/api/v2${path}`, body);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'onclick') node.addEventListener('click', v);
    else node.setAttribute(k, v);
  }
  node.append(...children.map((c) => (typeof c === 'string' || typeof c === 'number' ? String(c) : c)));
  return node;
}

/** A link that runs `action` instead of navigating. */
function link(text, action) {
  return el(
    'a',
    {
      href: '#',
      onclick: (e) => {
        e.preventDefault();
        action();
      },
    },
    text,
  );
}

function table(id, head, rows) {
  const t = $(id);
  t.replaceChildren(el('tr', {}, ...head.map((h, i) => el('th', i > 0 ? { class: 'n' } : {}, h))));
  if (rows.length === 0) t.append(el('tr', {}, el('td', { class: 'empty', colspan: String(head.length) }, 'nothing yet')));
  for (const r of rows) t.append(r);
}

function describeGoal(g) {
  if ('path' in g) return `pageview ${g.path}`;
  const props = Object.entries(g.props || {}).map(([k, v]) => `${k} = ${[v].flat().join(' | ')}`);
  return `event ${g.event}${props.length ? ` (${props.join(', ')})` : ''}`;
}

async function showGoals() {
  const s = site();
  if (!s) return;
  const [{ goals, configured }, answer] = await Promise.all([
    v2(`/goals?site=${encodeURIComponent(s)}`),
    v2('/query', { site: s, metrics: ['visitors', 'conversions', 'conversion_rate'], dateRange: '7d', dimensions: ['goal'], limit: 50 }),
  ]);
  $('goals-note').textContent = configured ? `${goals.length} configured · last 7 days` : 'every custom event is a goal · last 7 days';
  const byName = new Map(goals.map((g) => [g.name, g]));
  const rows = answer.results.map((r) => {
    const [name] = r.dimensions;
    const goal = byName.get(name);
    return el(
      'tr',
      {},
      el(
        'td',
        { class: 'name' },
        link(name, () => showProps(name, goal)),
        goal ? el('span', { class: 'note' }, ` ${describeGoal(goal)}`) : '',
      ),
      el('td', { class: 'n' }, fmt.format(r.metrics[0])),
      el('td', { class: 'n' }, fmt.format(r.metrics[1])),
      el('td', { class: 'n' }, `${r.metrics[2]} %`),
    );
  });
  table('goals', ['Goal', 'Uniques', 'Conversions', 'Rate'], rows);
}

async function showProps(name, goal) {
  const s = site();
  const box = $('goal-props');
  box.replaceChildren(el('h3', {}, `Properties of ${name}`));
  const event = goal ? goal.event : name;
  if (!event) return box.append(el('p', { class: 'note' }, 'a pageview goal has no custom properties'));
  const { keys } = await v2(`/properties?site=${encodeURIComponent(s)}&event=${encodeURIComponent(event)}`);
  if (keys.length === 0) return box.append(el('p', { class: 'note' }, 'no properties sent with this event'));
  for (const { key } of keys.slice(0, 6)) {
    const answer = await v2('/query', {
      site: s,
      metrics: ['visitors', 'events'],
      dateRange: '7d',
      dimensions: [`prop:${key}`],
      filters: [['is', 'goal', [name]]],
      limit: 10,
    });
    const id = `prop-${key}`.replace(/[^A-Za-z0-9_-]/g, '_');
    box.append(el('h4', {}, key), el('table', { id }));
    table(
      id,
      [key, 'Uniques', 'Events'],
      answer.results.map((r) =>
        el(
          'tr',
          {},
          el('td', { class: 'name' }, r.dimensions[0] || '(none)'),
          el('td', { class: 'n' }, fmt.format(r.metrics[0])),
          el('td', { class: 'n' }, fmt.format(r.metrics[1])),
        ),
      ),
    );
  }
}

/** A bar `percent` wide (set through the CSSOM: the page's CSP allows no inline style attributes). */
function bar(percent) {
  const node = el('span', { class: 'bar' });
  node.style.width = `${percent}%`;
  return node;
}

async function showFunnel(event) {
  event?.preventDefault();
  const steps = $('funnel-steps')
    .value.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const out = $('funnel');
  if (steps.length < 2) return out.replaceChildren(el('p', { class: 'note' }, 'name 2 to 8 goals, in order, separated by commas'));
  try {
    const answer = await v2('/funnel', { site: site(), dateRange: '7d', steps, within: $('funnel-within').value });
    const top = answer.steps[0]?.visitors || 1;
    out.replaceChildren(
      ...answer.steps.map((s) =>
        el(
          'div',
          { class: 'funnel-step' },
          el('span', { class: 'name' }, `${s.step}. ${s.label}`),
          bar(Math.max(1, (s.visitors / top) * 100)),
          el(
            'span',
            { class: 'n' },
            `${fmt.format(s.visitors)} · ${s.conversionRate} %${s.step > 1 ? ` · −${fmt.format(s.dropOff)}` : ''}`,
          ),
        ),
      ),
    );
  } catch (error) {
    out.replaceChildren(el('p', { class: 'note' }, error.message));
  }
}

async function showAlerts() {
  const s = site();
  if (!s) return;
  const [{ alerts }, { reports }] = await Promise.all([
    v2(`/alerts?site=${encodeURIComponent(s)}`),
    v2(`/reports?site=${encodeURIComponent(s)}`),
  ]);
  const rows = [
    ...alerts.map((a) =>
      el(
        'tr',
        {},
        el(
          'td',
          { class: 'name' },
          link(a.name, () => showHistory('alerts', a.id)),
          el('span', { class: 'note' }, ` every ${a.every}`),
        ),
        el('td', { class: a.state.state === 'firing' ? 'n down' : 'n' }, a.state.state),
        el('td', { class: 'n' }, a.state.since ? new Date(`${a.state.since.replace(' ', 'T')}Z`).toLocaleString() : '–'),
      ),
    ),
    ...reports.map((r) =>
      el(
        'tr',
        {},
        el(
          'td',
          { class: 'name' },
          link(r.name, () => showHistory('reports', r.id)),
          el('span', { class: 'note' }, ` ${r.period} at ${r.at} ${r.timezone}`),
        ),
        el('td', { class: 'n' }, 'report'),
        el('td', { class: 'n' }, '–'),
      ),
    ),
  ];
  table('alerts', ['Rule', 'State', 'Since'], rows);
}

async function showHistory(kind, id) {
  const [{ deliveries }, rule] = await Promise.all([v2(`/${kind}/${id}/deliveries`), v2(`/${kind}/${id}`)]);
  const box = $('alert-history');
  const test = el(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await v2(`/${kind}/${id}/test`, {});
          await showHistory(kind, id);
        } catch (error) {
          box.append(el('p', { class: 'note' }, error.message));
        }
      },
    },
    'Send test notice',
  );
  box.replaceChildren(el('h3', {}, rule.name, ' ', test), el('table', { id: 'alert-deliveries' }));
  table(
    'alert-deliveries',
    ['Notice', 'Channel', 'Attempt', 'Result', 'At'],
    deliveries
      .slice(0, 30)
      .map((d) =>
        el(
          'tr',
          {},
          el('td', { class: 'name' }, d.state),
          el('td', { class: 'n' }, `${d.type} ${d.target}`),
          el('td', { class: 'n' }, d.attempt),
          el('td', { class: d.ok ? 'n' : 'n down' }, d.ok ? 'delivered' : d.error),
          el('td', { class: 'n' }, new Date(`${d.at.replace(' ', 'T')}Z`).toLocaleString()),
        ),
      ),
  );
}

function refresh() {
  if (shareSlug) $('alerts-panel').hidden = true;
  for (const show of shareSlug ? [showGoals] : [showGoals, showAlerts]) show().catch((error) => console.warn(show.name, error.message));
}

$('funnel-form')?.addEventListener('submit', showFunnel);
$('site')?.addEventListener('change', refresh);
// The site picker fills in after the page loads: wait for it once.
const waitForSite = setInterval(() => {
  if (site()) {
    clearInterval(waitForSite);
    refresh();
  }
}, 300);
setInterval(refresh, 30_000);
