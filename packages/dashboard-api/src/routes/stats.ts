/** The JSON routes of `/api/v1` (SPEC §6): each parses its parameters and calls its queries. */
import type { AccessRegistry, ClickHouseClient } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiContext, ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { parseQuery, parseRange, parseSite, type TimeRange } from '../params.ts';
import { anomalyPeriods } from '../queries/anomaly.ts';
import { bucketCount, INTERVALS, type Interval } from '../queries/buckets.ts';
import { queryLastEvent } from '../queries/last-event.ts';
import { querySites } from '../queries/sites.ts';
import type { Tables } from '../queries/tables.ts';
import { type Answer, QUERY } from '../schemas.ts';
import { breakdownOnV2, liveOnV2, pageviewsOnV2, timeseriesBreakdownOnV2, timeseriesOnV2, topPagesOnV2 } from '../v1/on-v2.ts';

export interface StatsContext {
  client: ClickHouseClient;
  tables: Tables;
  now: () => number;
  backlog: (() => Promise<number | null>) | null;
  /** Times a query and counts it by route (Prometheus). */
  timed: <T>(route: string, run: () => Promise<T>) => Promise<T>;
  guard: Guard;
  access: AccessRegistry;
  /** `RETENTION_DAYS` (the v2 engine under these routes says when raw events were cut). */
  retentionDays: number;
}

/** Most points one `/timeseries` answer may hold (a day of minutes, 90 days of hours). */
export const MAX_POINTS = 2200;
const DAY_MS = 86_400_000;

/**
 * The interval and range of a series of at most `MAX_POINTS` points: the interval asked for,
 * or the next coarser one that fits (the answer's `interval` says which); past that, days up
 * to the range's end.
 */
export function fitPoints(asked: Interval, range: TimeRange): { interval: Interval; range: TimeRange } {
  for (const interval of INTERVALS.slice(INTERVALS.indexOf(asked))) {
    if (bucketCount(interval, range.from, range.to) <= MAX_POINTS) return { interval, range };
  }
  const from = new Date(Math.max(range.from.getTime(), (Math.floor(range.to.getTime() / DAY_MS) - MAX_POINTS + 1) * DAY_MS));
  return { interval: 'day', range: { ...range, from } };
}

function defaultInterval(range: TimeRange): Interval {
  const span = range.to.getTime() - range.from.getTime();
  return span <= DAY_MS ? 'minute' : span <= 30 * DAY_MS ? 'hour' : 'day';
}

export function liveAnswer(
  site: string,
  range: TimeRange,
  numbers: { views: number; visitors: number; avgDurationMs: number },
): Answer<'live'> {
  return { site, window: range.window, from: range.from.toISOString(), to: range.to.toISOString(), ...numbers };
}

export function mountStats(api: Hono<ApiEnv>, { client, tables, now, backlog, timed, guard, access, retentionDays }: StatsContext): void {
  /**
   * The `site` parameter, which the caller must be allowed to read (SPEC §11), and the v2 context
   * of its queries: a shared link's locked filters hold in each of them.
   */
  const readable = (c: ApiContext, value: string | undefined) => {
    const site = parseSite(value);
    guard.site(c, 'stats:read', site);
    return { site, v2: { client, tables, now, retentionDays, locked: guard.locked(c) } };
  };

  api.get('/live', async (c) => {
    const q = parseQuery(QUERY.live, c.req.query());
    const { site, v2 } = readable(c, q.site);
    const range = parseRange(q, '5m', now());
    const numbers = await timed('live', () => liveOnV2(v2, site, range.from, range.to));
    return c.json(liveAnswer(site, range, numbers));
  });

  api.get('/top-pages', async (c) => {
    const q = parseQuery(QUERY.topPages, c.req.query());
    const { site, v2 } = readable(c, q.site);
    const range = parseRange(q, '10m', now());
    const pages = await timed('top-pages', () => topPagesOnV2(v2, site, range.from, range.to, q.limit ?? 20));
    return c.json({ pages } satisfies Answer<'topPages'>);
  });

  api.get('/timeseries', async (c) => {
    const q = parseQuery(QUERY.timeseries, c.req.query());
    const { site, v2 } = readable(c, q.site);
    const asked = parseRange(q, '1h', now());
    const { interval, range } = fitPoints(q.interval ?? defaultInterval(asked), asked);
    const dimension = q.breakdown;
    if (dimension === undefined) {
      const series = await timed('timeseries', () => timeseriesOnV2(v2, site, interval, range.from, range.to));
      return c.json({ interval, breakdown: null, points: series } satisfies Answer<'timeseries'>);
    }
    const split = await timed('timeseries', () =>
      timeseriesBreakdownOnV2(v2, site, interval, dimension, range.from, range.to, q.limit ?? 10),
    );
    const answer: Answer<'timeseries'> = {
      interval,
      breakdown: dimension,
      points: split.map((p) => ({ time: p.time, [dimension]: p.value, views: p.views, visitors: p.visitors })),
    };
    return c.json(answer);
  });

  api.get('/breakdown', async (c) => {
    const q = parseQuery(QUERY.breakdown, c.req.query());
    const { site, v2 } = readable(c, q.site);
    const range = parseRange(q, '1h', now());
    const rows = await timed('breakdown', () => breakdownOnV2(v2, site, q.dimension, range.from, range.to, q.limit ?? 20));
    return c.json({ dimension: q.dimension, rows } satisfies Answer<'breakdown'>);
  });

  api.get('/anomaly', async (c) => {
    const q = parseQuery(QUERY.anomaly, c.req.query());
    const { site, v2 } = readable(c, q.site);
    const at = now();
    const { current, previous } = anomalyPeriods(at);
    const [currentViews, previousViews] = await timed('anomaly', () =>
      Promise.all([pageviewsOnV2(v2, site, current.from, current.to), pageviewsOnV2(v2, site, previous.from, previous.to)]),
    );
    const changePct = previousViews === 0 ? null : Math.round(((currentViews - previousViews) / previousViews) * 1000) / 10;
    const answer: Answer<'anomaly'> = {
      currentViews,
      previousViews,
      changePct,
      from: current.from.toISOString(),
      to: current.to.toISOString(),
      previousFrom: previous.from.toISOString(),
      previousTo: previous.to.toISOString(),
    };
    return c.json(answer);
  });

  api.get('/freshness', async (c) => {
    const q = parseQuery(QUERY.freshness, c.req.query());
    const site = q.site === undefined ? null : readable(c, q.site).site;
    if (site === null) guard.all(c, 'stats:read');
    const at = now();
    const [last, queueBacklog] = await Promise.all([
      timed('freshness', () => queryLastEvent(client, tables, site, new Date(at - DAY_MS))),
      backlog ? backlog() : Promise.resolve(null),
    ]);
    // A drained queue means the store holds everything accepted: no lag, however old the newest event.
    const lagMs = queueBacklog === 0 ? 0 : last === null ? null : Math.max(0, at - last.getTime());
    return c.json({ lagMs, lastEventAt: last?.toISOString() ?? null, queueBacklog } satisfies Answer<'freshness'>);
  });

  api.get('/sites', async (c) => {
    const q = parseQuery(QUERY.sites, c.req.query());
    const allowed = guard.sites(c, 'stats:read');
    const locked = guard.locked(c);
    if (locked.length > 0 && allowed !== 'all') {
      // A shared link with locked filters: its one site, with the views those filters let through.
      const v2 = { client, tables, now, retentionDays, locked };
      const to = new Date(now());
      const sites = await Promise.all(
        allowed.map(async (site) => ({ site, views: await pageviewsOnV2(v2, site, new Date(to.getTime() - 30 * DAY_MS), to) })),
      );
      return c.json({ sites } satisfies Answer<'sites'>);
    }
    const seen = await timed('sites', () =>
      querySites(client, tables, new Date(now() - 30 * DAY_MS), q.limit ?? 100, allowed === 'all' ? null : [...allowed]),
    );
    // Registered sites (and a limited caller's own) are listed too, before their first pageview.
    const listed = new Set(seen.map((s) => s.site));
    const known = allowed === 'all' ? [...access.current().sites.keys()] : allowed;
    const quiet = known.filter((s) => !listed.has(s)).sort();
    const sites = [...seen, ...quiet.map((site) => ({ site, views: 0 }))].slice(0, q.limit ?? 100);
    return c.json({ sites } satisfies Answer<'sites'>);
  });
}
