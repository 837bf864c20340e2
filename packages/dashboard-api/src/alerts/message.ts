/**
 * What a notice says, per channel: the webhook's JSON body (SPEC §12: `{ alert, site, state,
 * value, threshold, at, url }`), a Slack-compatible `{ text }`, and an e-mail's subject, plain
 * text and HTML. Reports carry their summary (`report.ts`) in the same three shapes.
 */
import type { Summary } from './report.ts';
import type { AlertRule, ReportRule } from './rule.ts';

export interface Message {
  /** The JSON a webhook receives. */
  json: Record<string, unknown>;
  /** One line for Slack-compatible webhooks and the e-mail subject. */
  title: string;
  text: string;
  html: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (n: number | null) => (n === null ? '–' : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1));

export function describeCondition(rule: AlertRule): string {
  const c = rule.condition;
  return 'op' in c
    ? `${rule.query.metrics[0]} ${c.op} ${c.value}`
    : `${rule.query.metrics[0]} ${c.changePct > 0 ? 'up' : 'down'} ${Math.abs(c.changePct)} % or more against the same time a week earlier (at least ${c.minVolume})`;
}

export function alertMessage(
  rule: AlertRule,
  notice: { state: string; value: number; threshold: number; at: number },
  dashboardUrl: string,
): Message {
  const url = `${dashboardUrl}?site=${encodeURIComponent(rule.site)}`;
  const at = new Date(notice.at).toISOString();
  const json = { alert: rule.name, site: rule.site, state: notice.state, value: notice.value, threshold: notice.threshold, at, url };
  const verb = notice.state === 'firing' ? 'is firing' : notice.state === 'resolved' ? 'resolved' : `(${notice.state})`;
  const title = `[Tidemark] ${rule.name} ${verb} on ${rule.site}: ${rule.query.metrics[0]} = ${fmt(notice.value)}`;
  const text = `${title}\n\nCondition: ${describeCondition(rule)}\nValue: ${fmt(notice.value)}\nAt: ${at}\nDashboard: ${url}\n`;
  const html = `<p><strong>${esc(rule.name)}</strong> ${esc(verb)} on ${esc(rule.site)}.</p>
<p>Condition: ${esc(describeCondition(rule))}<br>Value: <strong>${esc(fmt(notice.value))}</strong><br>At: ${esc(at)}</p>
<p><a href="${esc(url)}">Open the dashboard</a></p>`;
  return { json, title, text, html };
}

export function reportMessage(rule: ReportRule, summary: Summary, dashboardUrl: string, test = false): Message {
  const url = `${dashboardUrl}?site=${encodeURIComponent(rule.site)}`;
  const title = `[Tidemark] ${rule.site}: ${rule.period} report ${summary.from} – ${summary.to}${test ? ' (test)' : ''}`;
  const change = (n: Summary['numbers'][number]) =>
    n.change === null ? (n.value ? 'new' : 'no change') : `${n.change > 0 ? '+' : ''}${n.change.toFixed(1)} %`;
  const lines = summary.numbers.map((n) => `${n.label}: ${fmt(n.value)} (${change(n)} vs ${fmt(n.previous)})`);
  const list = (rows: Summary['pages']) => rows.map((r) => `  ${r.name}  ${fmt(r.visitors)}`).join('\n');
  const text = `${title}\n\n${lines.join('\n')}\n\nTop pages (visitors):\n${list(summary.pages)}\n\nTop sources (visitors):\n${list(summary.sources)}\n\nDashboard: ${url}\n`;
  const table = (rows: Summary['pages']) =>
    `<table>${rows.map((r) => `<tr><td>${esc(r.name)}</td><td align="right">${esc(fmt(r.visitors))}</td></tr>`).join('')}</table>`;
  const html = `<h2>${esc(rule.site)} — ${esc(rule.period)} report</h2>
<p>${esc(summary.from)} – ${esc(summary.to)} (${esc(rule.timezone)})</p>
<table>${summary.numbers
    .map((n) => `<tr><td>${esc(n.label)}</td><td align="right"><strong>${esc(fmt(n.value))}</strong></td><td>${esc(change(n))}</td></tr>`)
    .join('')}</table>
<h3>Top pages</h3>${table(summary.pages)}
<h3>Top sources</h3>${table(summary.sources)}
<p><a href="${esc(url)}">Open the dashboard</a></p>`;
  const json = { report: rule.name, site: rule.site, period: rule.period, ...summary, url, ...(test ? { test: true } : {}) };
  return { json, title, text, html };
}
