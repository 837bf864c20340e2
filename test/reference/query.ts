/**
 * The reference implementation of the Query API (SPEC §10, docs/query.md) in plain TypeScript,
 * from a list of raw events: cut visits (`visits.ts`), then count with loops and Sets. It
 * shares with the engine only the parsed query, the date/zone arithmetic (`resolveRange`,
 * buckets) and the final rounding (`finish`), so a difference in what is counted shows.
 */
import type { StoredEvent } from '@tidemark/shared';
import { autoInterval, comparisonRange, resolveRange, type Span } from '../../packages/dashboard-api/src/v2/dates.ts';
import { change } from '../../packages/dashboard-api/src/v2/engine.ts';
import type { GoalLookup } from '../../packages/dashboard-api/src/v2/goals.ts';
import { finish, type Raw, zeroRaw } from '../../packages/dashboard-api/src/v2/numbers.ts';
import type { Filter, Query } from '../../packages/dashboard-api/src/v2/parse.ts';
import {
  type Dimension,
  type Interval,
  isEventDimension,
  isTimeDimension,
  VISIT_METRICS,
} from '../../packages/dashboard-api/src/v2/vocabulary.ts';
import { bucketLabel, bucketStart, nextBucket } from '../../packages/dashboard-api/src/v2/zone.ts';
import { type GoalEvent, goalsOf } from './goals.ts';
import { cutVisits, type RefEvent, type RefVisit } from './visits.ts';

/** The goals an event (or a visit's pair, with the visit's site) completes. */
export type Goals = (e: GoalEvent, site: string) => string[];

const screenClass = (w: number) => (w === 0 ? '' : w < 576 ? 'Mobile' : w < 992 ? 'Tablet' : w < 1440 ? 'Laptop' : 'Desktop');

function visitValue(v: RefVisit, d: Dimension): string {
  const e = v.entryEvent;
  switch (d) {
    case 'entry_page':
      return v.entryPage;
    case 'exit_page':
      return v.exitPage;
    case 'hostname':
      return e.host;
    case 'source':
      return v.source;
    case 'referrer':
      return e.referrer_host;
    case 'channel':
      return v.channel;
    case 'screen':
      return screenClass(e.screen_width);
    default:
      return String((e as unknown as Record<string, unknown>)[d] ?? '');
  }
}

/** A dimension's value for an event (event dimensions) or its visit (the others). */
function dimensionValue(
  d: Dimension,
  e: { name: string; path: string; props?: Record<string, string> } & Partial<RefEvent>,
  v: RefVisit | null,
): string {
  if (d === 'page') return e.path;
  if (d === 'event') return e.name;
  if (d === 'goal') throw new Error('goal has a list of values: see goalsOf');
  if (d.startsWith('prop:')) return e.props?.[d.slice(5)] ?? '';
  if (d.startsWith('event:')) {
    const key = ({ 'event:source': 'referrer_source', 'event:referrer': 'referrer_host' } as Record<string, string>)[d] ?? d.slice(6);
    return String((e as Record<string, unknown>)[key] ?? '');
  }
  if (!v) throw new Error(`${d} needs the visit`);
  return visitValue(v, d);
}

export function holds(f: Filter, e: Parameters<typeof dimensionValue>[1], v: RefVisit, goals: Goals): boolean {
  if ('filters' in f) return f.op === 'and' ? f.filters.every((x) => holds(x, e, v, goals)) : f.filters.some((x) => holds(x, e, v, goals));
  if ('filter' in f) return !holds(f.filter, e, v, goals);
  if (f.dimension === 'goal') {
    // One of the event's goals passes; or, negated, it completes a goal and none passes the positive form.
    const completed = goals(e, v.site);
    const positive = f.op.replace(/_not$/, '') as Filter['op'];
    const any = completed.some((g) => leafHolds(positive, g, f.values));
    return f.op.endsWith('_not') ? completed.length > 0 && !any : any;
  }
  return leafHolds(f.op, dimensionValue(f.dimension, e, isEventDimension(f.dimension) ? null : v), f.values);
}

function leafHolds(op: Filter['op'], x: string, values: string[]): boolean {
  const f = { op, values };
  let ok: boolean;
  switch (f.op) {
    case 'is':
      ok = f.values.includes(x);
      break;
    case 'is_not':
      ok = !f.values.includes(x);
      break;
    case 'contains':
      ok = f.values.some((s) => x.includes(s));
      break;
    case 'contains_not':
      ok = !f.values.some((s) => x.includes(s));
      break;
    case 'matches':
      ok = f.values.some((r) => new RegExp(r).test(x));
      break;
    default:
      ok = !f.values.some((r) => new RegExp(r).test(x));
  }
  return ok;
}

const zero = zeroRaw;

interface Group {
  raw: Raw;
  visitors: Set<string>;
  converters: Set<string>;
  engagements: number[];
  scrolls: number[];
}

function groups(
  query: Query,
  dims: Dimension[],
  filters: Filter[],
  events: RefEvent[],
  visits: RefVisit[],
  span: Span,
  interval: Interval,
  goals: Goals,
) {
  const byKey = new Map<string, { dims: (string | number)[]; g: Group }>();
  const group = (dimsOf: (string | number)[]) => {
    const key = JSON.stringify(dimsOf.map(String));
    let entry = byKey.get(key);
    if (!entry) {
      entry = { dims: dimsOf, g: { raw: zero(), visitors: new Set(), converters: new Set(), engagements: [], scrolls: [] } };
      byKey.set(key, entry);
    }
    return entry.g;
  };
  const bucket = (t: number) => bucketStart(t, interval, query.timezone) / 1000;
  const visitOfEvent = new Map<RefEvent, RefVisit>();
  for (const v of visits) for (const e of v.events) visitOfEvent.set(e, v);
  // Asked for visit metrics only, a row is a group of the visits that started in the period: events of
  // visits started before it make no row (their every asked metric would be 0).
  const visitsOnly = query.metrics.every((m) => VISIT_METRICS.includes(m));
  for (const e of visitsOnly ? [] : events) {
    if (e.t < span.from || e.t >= span.to) continue;
    const v = visitOfEvent.get(e) as RefVisit;
    if (!filters.every((f) => holds(f, e, v, goals))) continue;
    if (dims.includes('event') && e.name === 'engagement') continue;
    const completed = goals(e, e.site);
    // With the goal dimension, the event counts once under each goal it completes (none: not at all).
    for (const goal of dims.includes('goal') ? completed : [null]) {
      const g = group(dims.map((d) => (isTimeDimension(d) ? bucket(e.t) : d === 'goal' ? (goal as string) : dimensionValue(d, e, v))));
      if (e.name === 'pageview') g.raw.pageviews++;
      else if (e.name === 'engagement') {
        g.engagements.push(e.duration_ms);
        if (e.scroll_depth > 0) g.scrolls.push(e.scroll_depth);
      } else g.raw.events++;
      if (completed.length > 0) {
        g.raw.conversions++;
        g.converters.add(`${e.site}\0${e.visitor_id}`);
      }
      if (e.name !== 'engagement') g.visitors.add(`${e.site}\0${e.visitor_id}`);
    }
  }
  const wantsVisits = query.metrics.some((m) => VISIT_METRICS.includes(m));
  if (wantsVisits) {
    for (const v of visits) {
      if (!v.counted || v.firstAt < span.from || v.firstAt >= span.to) continue;
      // A visit passes when one of its own pageviews or custom events passes the whole filter (props, goals with
      // property conditions and event attributes included), and counts once under each value of those events.
      const matching = v.events.filter((e) => e.name !== 'engagement' && filters.every((f) => holds(f, e, v, goals)));
      const eventDims = dims.filter((d) => isEventDimension(d));
      const keys = new Set<string>();
      if (eventDims.length > 0) {
        for (const p of matching) {
          for (const goal of dims.includes('goal') ? goals(p, v.site) : [null])
            keys.add(
              JSON.stringify(
                dims.map((d) =>
                  isTimeDimension(d)
                    ? bucket(v.firstAt)
                    : d === 'goal'
                      ? goal
                      : isEventDimension(d)
                        ? dimensionValue(d, p, null)
                        : visitValue(v, d),
                ),
              ),
            );
        }
      } else if (matching.length > 0) {
        keys.add(JSON.stringify(dims.map((d) => (isTimeDimension(d) ? bucket(v.firstAt) : visitValue(v, d)))));
      }
      for (const key of keys) {
        const g = group(JSON.parse(key));
        g.raw.visits++;
        if (v.bounce) g.raw.bounces++;
        g.raw.duration += v.durationMs;
        g.raw.visitPageviews += v.pageviews;
      }
    }
  }
  for (const { g } of byKey.values()) {
    g.raw.visitors = g.visitors.size;
    g.raw.converters = g.converters.size;
    g.raw.timeOnPage = g.engagements.length === 0 ? 0 : g.engagements.reduce((a, b) => a + b, 0) / g.engagements.length;
    g.raw.scrollDepth = g.scrolls.length === 0 ? 0 : g.scrolls.reduce((a, b) => a + b, 0) / g.scrolls.length;
  }
  return byKey;
}

const withoutGoals = (filters: Filter[]): Filter[] =>
  filters.filter((f) => {
    const dims = (x: Filter): string[] => ('filters' in x ? x.filters.flatMap(dims) : 'filter' in x ? dims(x.filter) : [x.dimension]);
    return !dims(f).some((d) => d === 'goal' || d === 'event');
  });

export interface RefAnswer {
  results: {
    dimensions: (string | number)[];
    metrics: (number | null)[];
    comparison?: { metrics: (number | null)[]; change: (number | null)[] };
  }[];
  totals: (number | null)[];
}

export function referenceQuery(all: readonly StoredEvent[], query: Query, now: number, lookup: GoalLookup = () => null): RefAnswer {
  const goals: Goals = (e, site) => goalsOf(e, site, lookup);
  const siteEvents = all.filter((e) => query.sites.includes(e.site));
  const unique = new Map<string, StoredEvent>();
  for (const e of siteEvents) if (!unique.has(e.event_id)) unique.set(e.event_id, e);
  const visits = cutVisits([...unique.values()]);
  const events = visits.flatMap((v) => v.events);
  const span = resolveRange(query.dateRange, query.timezone, now);
  const timeDim = query.dimensions.find(isTimeDimension);
  const interval: Interval = timeDim ? (timeDim === 'time' ? autoInterval(span) : (timeDim.slice(5) as Interval)) : autoInterval(span);
  const baseDims = query.dimensions.filter((d) => d !== 'goal' && d !== 'event');
  const periodOf = (s: Span) => {
    const main = groups(query, query.dimensions, query.filters, events, visits, s, interval, goals);
    const total = groups(query, [], query.filters, events, visits, s, interval, goals).get('[]')?.g.raw ?? zero();
    const base = groups(query, baseDims, withoutGoals(query.filters), events, visits, s, interval, goals);
    const baseTotal = groups(query, [], withoutGoals(query.filters), events, visits, s, interval, goals).get('[]')?.g.raw.visitors ?? 0;
    const baseOf = (dims: (string | number)[]) =>
      base.get(
        JSON.stringify(
          query.dimensions
            .map((d, i) => [d, dims[i]])
            .filter(([d]) => d !== 'goal' && d !== 'event')
            .map(([, v]) => String(v)),
        ),
      )?.g.raw.visitors ?? 0;
    const entries = query.dimensions.length === 0 ? [{ dims: [] as (string | number)[], g: { raw: total } }] : [...main.values()];
    const rows = entries.map(({ dims, g }) => ({
      dims,
      raw: g.raw,
      metrics: finish(query.metrics, g.raw, {
        totalVisitors: total.visitors,
        baseVisitors: baseDims.length > 0 ? baseOf(dims) : baseTotal,
      }),
    }));
    return { rows, total, baseTotal, baseOf };
  };
  const current = periodOf(span);
  let rows = current.rows;
  const timeAt = timeDim ? query.dimensions.indexOf(timeDim) : -1;
  const buckets: number[] = [];
  if (timeDim)
    for (let t = bucketStart(span.from, interval, query.timezone); t < span.to; t = nextBucket(t, interval, query.timezone))
      buckets.push(t);
  if (timeDim && query.dimensions.length === 1) {
    const found = new Map(rows.map((r) => [Number(r.dims[0]), r]));
    rows = buckets.map(
      (t) =>
        found.get(t / 1000) ?? {
          dims: [t / 1000],
          raw: zero(),
          metrics: finish(query.metrics, zero(), { totalVisitors: current.total.visitors, baseVisitors: current.baseTotal }),
        },
    );
  }
  const cmp = (a: string | number | null, b: string | number | null) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  rows.sort((a, b) => {
    for (const [name, dir] of query.orderBy) {
      const m = query.metrics.indexOf(name as never);
      const c =
        m >= 0
          ? cmp(a.metrics[m] ?? null, b.metrics[m] ?? null)
          : cmp(a.dims[query.dimensions.indexOf(name as never)] ?? null, b.dims[query.dimensions.indexOf(name as never)] ?? null);
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    for (let i = 0; i < a.dims.length; i++) {
      const c = cmp(a.dims[i] ?? null, b.dims[i] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  });
  const compareSpan = query.compare ? comparisonRange(query.compare, span, query.timezone) : null;
  const previous = compareSpan ? periodOf(compareSpan) : null;
  const previousBuckets: number[] = [];
  if (compareSpan && timeDim)
    for (let t = bucketStart(compareSpan.from, interval, query.timezone); t < compareSpan.to; t = nextBucket(t, interval, query.timezone))
      previousBuckets.push(t);
  const results = rows.slice(query.offset, query.offset + query.limit).map((r) => {
    const row: RefAnswer['results'][number] = {
      dimensions: r.dims.map((v, i) => (i === timeAt ? bucketLabel(Number(v) * 1000, interval, query.timezone) : String(v))),
      metrics: r.metrics,
    };
    if (previous) {
      let before = previous.rows.find((x) => JSON.stringify(x.dims.map(String)) === JSON.stringify(r.dims.map(String)));
      if (timeDim && query.dimensions.length === 1) {
        const t = previousBuckets[buckets.indexOf(Number(r.dims[0]) * 1000)];
        before = t === undefined ? undefined : previous.rows.find((x) => Number(x.dims[0]) === t / 1000);
      }
      const base = before ? (baseDims.length > 0 ? previous.baseOf(before.dims) : previous.baseTotal) : previous.baseTotal;
      const metrics = finish(query.metrics, before?.raw ?? zero(), { totalVisitors: previous.total.visitors, baseVisitors: base });
      row.comparison = { metrics, change: r.metrics.map((m, i) => change(m, metrics[i] ?? null)) };
    }
    return row;
  });
  return {
    results,
    totals: finish(query.metrics, current.total, { totalVisitors: current.total.visitors, baseVisitors: current.baseTotal }),
  };
}
