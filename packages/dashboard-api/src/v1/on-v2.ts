/**
 * The Stats API v1 (SPEC §6) as a thin user of the Query API engine: each route's numbers are
 * v2 queries over its exact [from, to] range in UTC. v1's own definitions map onto v2 words:
 * `views` = pageviews; `visitors` = visitors with a pageview (a v2 `event is pageview` filter,
 * since v2 visitors also count custom-event visitors); `avgDurationMs` = time_on_page; the
 * breakdown dimensions are each event's own attributes (`event:source`, `event:country`, …) and,
 * for `event`, custom events by name.
 */
import type { ClickHouseClient } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { type Answer, runQuery } from '../v2/engine.ts';
import { parseQuery, withLocked } from '../v2/parse.ts';

export type V1Dimension =
  | 'source'
  | 'referrer'
  | 'country'
  | 'device'
  | 'browser'
  | 'os'
  | 'utm_source'
  | 'utm_medium'
  | 'utm_campaign'
  | 'event';
export type V1Interval = 'minute' | 'hour' | 'day';

export interface V2Context {
  client: ClickHouseClient;
  tables: Tables;
  now: () => number;
  retentionDays: number;
  /** A shared link's locked filters (SPEC §11): they hold in every query. */
  locked?: readonly unknown[];
}

const PAGEVIEWS = ['is', 'event', ['pageview']];
const CUSTOM = ['is_not', 'event', ['pageview']];

function ask(ctx: V2Context, site: string, from: Date, to: Date, body: Record<string, unknown>): Promise<Answer> {
  // The dashboard's numbers include imported history (SPEC §13), in the whole UTC days of the range.
  const query = parseQuery({
    site,
    dateRange: [from.toISOString(), to.toISOString()],
    timezone: 'UTC',
    limit: 10_000,
    include: { imports: true },
    ...body,
    filters: withLocked(ctx.locked ?? [], body.filters),
  });
  return runQuery(ctx.client, ctx.tables, query, {
    now: ctx.now(),
    retentionDays: ctx.retentionDays,
    totals: query.dimensions.length === 0,
  });
}

const num = (v: unknown) => Number(v ?? 0);

export async function liveOnV2(ctx: V2Context, site: string, from: Date, to: Date) {
  const [all, viewers] = await Promise.all([
    ask(ctx, site, from, to, { metrics: ['pageviews', 'time_on_page'] }),
    ask(ctx, site, from, to, { metrics: ['visitors'], filters: [PAGEVIEWS] }),
  ]);
  return { views: num(all.totals[0]), visitors: num(viewers.totals[0]), avgDurationMs: num(all.totals[1]) };
}

export async function topPagesOnV2(ctx: V2Context, site: string, from: Date, to: Date, limit: number) {
  const [all, viewers] = await Promise.all([
    ask(ctx, site, from, to, { metrics: ['pageviews', 'time_on_page'], dimensions: ['page'] }),
    ask(ctx, site, from, to, { metrics: ['visitors'], dimensions: ['page'], filters: [PAGEVIEWS] }),
  ]);
  const visitors = new Map(viewers.results.map((r) => [String(r.dimensions[0]), num(r.metrics[0])]));
  return all.results
    .map((r) => ({
      path: String(r.dimensions[0]),
      views: num(r.metrics[0]),
      visitors: visitors.get(String(r.dimensions[0])) ?? 0,
      avgDurationMs: num(r.metrics[1]),
    }))
    .filter((p) => p.views > 0)
    .sort((a, b) => b.views - a.views || b.visitors - a.visitors || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, limit);
}

/** v1's bucket times: UTC ISO instants. */
function isoOf(label: string | number): string {
  const text = String(label);
  return text.length === 10 ? `${text}T00:00:00.000Z` : new Date(text).toISOString();
}

export async function timeseriesOnV2(ctx: V2Context, site: string, interval: V1Interval, from: Date, to: Date) {
  const answer = await ask(ctx, site, from, to, {
    metrics: ['pageviews', 'visitors'],
    dimensions: [`time:${interval}`],
    filters: [PAGEVIEWS],
  });
  return answer.results.map((r) => ({ time: isoOf(r.dimensions[0] ?? ''), views: num(r.metrics[0]), visitors: num(r.metrics[1]) }));
}

/** The v2 words of a v1 breakdown dimension: its dimension, what `views` counts, and which events. */
function v2Of(dimension: V1Dimension): { dimension: string; metric: string; filter: unknown[] } {
  return dimension === 'event'
    ? { dimension: 'event', metric: 'events', filter: CUSTOM }
    : { dimension: `event:${dimension}`, metric: 'pageviews', filter: PAGEVIEWS };
}

const byViews = <T extends { value: string; views: number; visitors: number }>(a: T, b: T) =>
  b.views - a.views || b.visitors - a.visitors || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

export async function breakdownOnV2(ctx: V2Context, site: string, dimension: V1Dimension, from: Date, to: Date, limit: number) {
  const v2 = v2Of(dimension);
  const answer = await ask(ctx, site, from, to, { metrics: [v2.metric, 'visitors'], dimensions: [v2.dimension], filters: [v2.filter] });
  return answer.results
    .map((r) => ({ value: String(r.dimensions[0]), views: num(r.metrics[0]), visitors: num(r.metrics[1]) }))
    .sort(byViews)
    .slice(0, limit);
}

export async function timeseriesBreakdownOnV2(
  ctx: V2Context,
  site: string,
  interval: V1Interval,
  dimension: V1Dimension,
  from: Date,
  to: Date,
  limit: number,
) {
  const v2 = v2Of(dimension);
  const totals = await ask(ctx, site, from, to, { metrics: [v2.metric], dimensions: [v2.dimension], filters: [v2.filter] });
  const top = totals.results
    .map((r) => ({ value: String(r.dimensions[0]), views: num(r.metrics[0]) }))
    .sort((a, b) => b.views - a.views || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, limit)
    .map((r) => r.value);
  if (top.length === 0) return [];
  const chunks: string[][] = [];
  for (let i = 0; i < top.length; i += 100) chunks.push(top.slice(i, i + 100));
  const answer = await ask(ctx, site, from, to, {
    metrics: [v2.metric, 'visitors'],
    dimensions: [`time:${interval}`, v2.dimension],
    filters: [v2.filter, ['or', chunks.map((values) => ['is', v2.dimension, values])]],
  });
  return answer.results
    .map((r) => ({
      time: isoOf(r.dimensions[0] ?? ''),
      value: String(r.dimensions[1]),
      views: num(r.metrics[0]),
      visitors: num(r.metrics[1]),
    }))
    .sort((a, b) =>
      a.time < b.time ? -1 : a.time > b.time ? 1 : b.views - a.views || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
}

export async function pageviewsOnV2(ctx: V2Context, site: string, from: Date, to: Date): Promise<number> {
  return num((await ask(ctx, site, from, to, { metrics: ['pageviews'] })).totals[0]);
}
