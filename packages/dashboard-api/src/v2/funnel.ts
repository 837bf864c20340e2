/**
 * Funnels (SPEC §12): `{ site, dateRange, timezone?, steps: [goal name | filter, 2…8], within }`.
 * A visitor reaches step k when they have events completing steps 1 … k in that order, each
 * strictly later than the one before, the k-th at most `within` after the first, all inside the
 * date range (ClickHouse's `windowFunnel` in `strict_increase` mode, per site and visitor id).
 * Steps select events (pageviews and custom events): `page`, `event`, `goal`, `prop:*`, `event:*`.
 * The answer gives per step: visitors, drop-off from the step before, conversion from step 1.
 */
import { type ClickHouseClient, toClickHouseTime, ValidationError } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { resolveRange, type Span } from './dates.ts';
import { checkPatterns, run } from './engine.ts';
import { filterDimensions, filterSql, Params } from './fields.ts';
import { type GoalLookup, NO_GOALS, siteGoals } from './goals.ts';
import { dateRange, type Filter, filter, sites, windowMs } from './parse.ts';
import { isEventDimension } from './vocabulary.ts';
import { zoneName } from './zone.ts';

export interface FunnelQuery {
  sites: string[];
  dateRange: string | [string, string];
  timezone: string;
  steps: { label: string; filter: Filter }[];
  withinMs: number;
  within: string;
}

export interface FunnelStep {
  step: number;
  label: string;
  visitors: number;
  /** Visitors of the step before who did not reach this one (0 for step 1). */
  dropOff: number;
  /** `dropOff` ÷ the step before's visitors, percent (one decimal; 0 for step 1). */
  dropOffRate: number;
  /** Visitors ÷ step 1's visitors, percent (one decimal; 100 for step 1, 0 when nobody started). */
  conversionRate: number;
}

const KEYS = ['site', 'dateRange', 'timezone', 'steps', 'within'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(message: string, pointer: string): never {
  throw new ValidationError(message, pointer);
}

function label(f: Filter): string {
  if ('dimension' in f) return `${f.dimension} ${f.op.replace('_', ' ')} ${f.values.join(' | ')}`;
  if ('filters' in f) return f.filters.map(label).join(` ${f.op} `);
  return `not (${label(f.filter)})`;
}

export function parseFunnel(body: unknown, siteTimezone: (site: string) => string | null = () => null): FunnelQuery {
  if (!isObject(body)) fail('body: must be a JSON object', '');
  for (const key of Object.keys(body)) if (!KEYS.includes(key)) fail(`unknown key ${JSON.stringify(key).slice(0, 60)}`, `/${key}`);
  const siteList = sites(body.site);
  const range = dateRange(body.dateRange === undefined ? '7d' : body.dateRange, '/dateRange');
  const zones = siteList.map((s) => siteTimezone(s) ?? 'UTC');
  const given = body.timezone === undefined ? (new Set(zones).size === 1 ? zones[0] : 'UTC') : body.timezone;
  const timezone = typeof given === 'string' ? zoneName(given) : null;
  if (timezone === null) fail('timezone: unknown IANA time zone', '/timezone');
  const within = body.within === undefined ? '30m' : body.within;
  const withinMs = typeof within === 'string' ? windowMs(within) : null;
  if (withinMs === null) fail('within: a window 30s … 24h (visitor ids rotate daily, so a funnel ends within a day)', '/within');
  if (!Array.isArray(body.steps) || body.steps.length < 2 || body.steps.length > 8) fail('steps: a list of 2 to 8 steps', '/steps');
  const steps = body.steps.map((s, i) => {
    const pointer = `/steps/${i}`;
    if (typeof s === 'string') {
      if (s.length === 0 || [...s].length > 120) fail('steps: a goal name of 1–120 characters, or a filter', pointer);
      return { label: s, filter: { op: 'is', dimension: 'goal', values: [s], pointer } as Filter };
    }
    const f = filter(s, pointer, 0);
    const visitLevel = filterDimensions([f]).find((d) => !isEventDimension(d));
    if (visitLevel) fail(`steps: a step selects events (page, event, goal, prop:*, event:*), not ${visitLevel}`, pointer);
    return { label: label(f), filter: f };
  });
  return { sites: siteList, dateRange: range, timezone, steps, withinMs, within: within as string };
}

/** The statement: per (site, visitor) the deepest step reached, then visitors per depth. */
export function funnelStatement(
  tables: Tables,
  q: FunnelQuery,
  span: Span,
  goals: GoalLookup,
): { sql: string; params: Record<string, unknown> } {
  const params = new Params(siteGoals(q.sites, goals));
  const sites = params.add('Array(String)', q.sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(span.from));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(span.to));
  const conditions = q.steps.map((step, i) => `if(${filterSql([step.filter], 'e', params)}, ${i + 1}, 0)`);
  // windowFunnel sorts by (time, condition) and lets a step-1 match restart the chain before a
  // later step at the same time is seen, so an event completing steps 1 and 2 would cut a chain
  // it should extend. Each event becomes one row per step it completes, at time·8 + (7 − step
  // index): the same event's later steps come first, time order is kept (at most 8 steps), a
  // strictly later time stays strictly later, and a window W becomes 8W + 7.
  const window = Math.trunc(q.withinMs) * 8 + 7; // a checked integer: windowFunnel takes no bound parameter
  const sql = `
    SELECT level, count() AS visitors FROM (
      SELECT windowFunnel(${window}, 'strict_increase')(t, ${q.steps.map((_, i) => `step = ${i + 1}`).join(', ')}) AS level
      FROM (
        SELECT e.site AS site, e.visitor_id AS visitor_id, step,
               toUInt64(toUnixTimestamp64Milli(e.timestamp) * 8 + (8 - step)) AS t
        FROM (
          SELECT site, name, timestamp, visitor_id, path, props, referrer_source, referrer_host, country, device, browser, os,
                 utm_source, utm_medium, utm_campaign
          FROM ${tables.events}
          WHERE site IN ${sites} AND timestamp >= ${from} AND timestamp < ${to} AND name != 'engagement'
          LIMIT 1 BY event_id
        ) AS e
        ARRAY JOIN arrayFilter(x -> x > 0, [${conditions.join(', ')}]) AS step
      )
      GROUP BY site, visitor_id
    )
    WHERE level > 0
    GROUP BY level`;
  return { sql, params: params.values };
}

const pct = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 10);

/** Visitors per step from the count of visitors whose deepest step is each level. */
export function funnelSteps(q: FunnelQuery, byLevel: ReadonlyMap<number, number>): FunnelStep[] {
  const reached = q.steps.map((_, i) => [...byLevel].filter(([level]) => level >= i + 1).reduce((sum, [, n]) => sum + n, 0));
  const first = reached[0] ?? 0;
  return q.steps.map((s, i) => {
    const visitors = reached[i] ?? 0;
    const before = i === 0 ? visitors : (reached[i - 1] ?? 0);
    return {
      step: i + 1,
      label: s.label,
      visitors,
      dropOff: before - visitors,
      dropOffRate: i === 0 ? 0 : pct(before - visitors, before),
      conversionRate: i === 0 ? (first === 0 ? 0 : 100) : pct(visitors, first),
    };
  });
}

export async function runFunnel(
  client: ClickHouseClient,
  tables: Tables,
  q: FunnelQuery,
  options: { now: number; goals?: GoalLookup; maxExecutionSeconds?: number },
) {
  const started = performance.now();
  const span = resolveRange(q.dateRange, q.timezone, options.now);
  await checkPatterns(
    client,
    q.steps.map((s) => s.filter),
  );
  const rows = await run(client, funnelStatement(tables, q, span, options.goals ?? NO_GOALS), options.maxExecutionSeconds ?? 15);
  const steps = funnelSteps(q, new Map(rows.map((r) => [Number(r.level), Number(r.visitors)])));
  return {
    steps,
    meta: {
      from: new Date(span.from).toISOString(),
      to: new Date(span.to).toISOString(),
      timezone: q.timezone,
      within: q.within,
      tookMs: Math.round(performance.now() - started),
    },
  };
}
