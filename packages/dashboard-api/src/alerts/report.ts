/**
 * Reports (SPEC §12): a weekly (Monday … Sunday) or monthly summary of a site, sent at its time
 * of day in the report's time zone on the Monday / the 1st after the period: the dashboard's top
 * numbers with the change against the period before, and the top pages and sources — all
 * through the Query API's engine, so they are the dashboard's numbers.
 */
import type { ClickHouseClient } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { runQuery } from '../v2/engine.ts';
import type { GoalLookup } from '../v2/goals.ts';
import { parseQuery } from '../v2/parse.ts';
import { instantOf, wallOf } from '../v2/zone.ts';
import type { ReportRule } from './rule.ts';

export interface Summary {
  /** First and last day of the period (YYYY-MM-DD, both included). */
  from: string;
  to: string;
  numbers: { label: string; metric: string; value: number | null; previous: number | null; change: number | null }[];
  pages: { name: string; visitors: number }[];
  sources: { name: string; visitors: number }[];
}

const DAY = 86_400_000;
const NUMBERS: [string, string][] = [
  ['visitors', 'Unique visitors'],
  ['visits', 'Visits'],
  ['pageviews', 'Pageviews'],
  ['bounce_rate', 'Bounce rate (%)'],
  ['visit_duration', 'Visit duration (ms)'],
];

const date = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);

/**
 * The period the latest due send covers: `sendAt` (ms) is when it is due, `key` the day number
 * of the period's first day (a notice's seq), `from`/`to` its first and last day.
 */
export function duePeriod(rule: ReportRule, now: number): { sendAt: number; key: number; from: string; to: string } {
  const [hh, mm] = rule.at.split(':').map(Number) as [number, number];
  const w = wallOf(now, rule.timezone);
  if (rule.period === 'weekly') {
    const weekday = (new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 6) % 7; // Monday 0
    let monday = Date.UTC(w.year, w.month - 1, w.day - weekday);
    let sendAt = instantOf(
      new Date(monday).getUTCFullYear(),
      new Date(monday).getUTCMonth() + 1,
      new Date(monday).getUTCDate(),
      hh,
      mm,
      rule.timezone,
    );
    if (sendAt > now) {
      monday -= 7 * DAY;
      const m = new Date(monday);
      sendAt = instantOf(m.getUTCFullYear(), m.getUTCMonth() + 1, m.getUTCDate(), hh, mm, rule.timezone);
    }
    const first = monday - 7 * DAY;
    return {
      sendAt,
      key: first / DAY,
      from: new Date(first).toISOString().slice(0, 10),
      to: new Date(monday - DAY).toISOString().slice(0, 10),
    };
  }
  let [y, m] = [w.year, w.month];
  let sendAt = instantOf(y, m, 1, hh, mm, rule.timezone);
  if (sendAt > now) {
    [y, m] = m === 1 ? [y - 1, 12] : [y, m - 1];
    sendAt = instantOf(y, m, 1, hh, mm, rule.timezone);
  }
  const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1];
  return { sendAt, key: Date.UTC(py, pm - 1, 1) / DAY, from: date(py, pm, 1), to: date(y, m, 0) };
}

export async function summarize(
  context: { client: ClickHouseClient; tables: Tables; now: number; retentionDays: number; goals?: GoalLookup },
  rule: ReportRule,
  period: { from: string; to: string },
): Promise<Summary> {
  const base = { site: rule.site, dateRange: [period.from, period.to], timezone: rule.timezone };
  const options = { now: context.now, retentionDays: context.retentionDays, ...(context.goals ? { goals: context.goals } : {}) };
  const top = (dimension: string) =>
    runQuery(context.client, context.tables, parseQuery({ ...base, metrics: ['visitors'], dimensions: [dimension], limit: 5 }), {
      ...options,
      totals: false,
    });
  const [numbers, pages, sources] = await Promise.all([
    runQuery(
      context.client,
      context.tables,
      parseQuery({ ...base, metrics: NUMBERS.map(([m]) => m), compare: 'previous_period' }),
      options,
    ),
    top('page'),
    top('source'),
  ]);
  const row = numbers.results[0];
  return {
    from: period.from,
    to: period.to,
    numbers: NUMBERS.map(([metric, label], i) => ({
      label,
      metric,
      value: row?.metrics[i] ?? 0,
      previous: row?.comparison?.metrics[i] ?? 0,
      change: row?.comparison?.change[i] ?? null,
    })),
    pages: pages.results.map((r) => ({ name: String(r.dimensions[0]), visitors: Number(r.metrics[0]) })),
    sources: sources.results.map((r) => ({ name: String(r.dimensions[0]), visitors: Number(r.metrics[0]) })),
  };
}
