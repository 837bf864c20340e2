/**
 * The Query API v2 engine (SPEC §10): a parsed `Query` → its answer. Each metric comes from
 * one of two statements (`statements.ts`), both grouped by the query's dimensions; rows are
 * joined by their dimension values, numbers finished (`numbers.ts`), time buckets filled,
 * ordered (ties by dimension values, so answers are deterministic), paged, and compared.
 * Importable on its own: `runQuery(client, tables, query, options)`.
 */
import { type ClickHouseClient, clickhouseErrorCode, ValidationError } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { attributeVisitsEligible, attributeVisitsStatement, attributeVisitsTable } from './attribute-visits.ts';
import { type CountedDay, countedDays, countedDaysStatement, wholeDaysOf } from './counted.ts';
import { autoInterval, comparisonRange, resolveRange, type Span } from './dates.ts';
import { eventMarksEligible, eventMarksStatement, eventMarksTable } from './event-marks.ts';
import { filterDimensions, intervalOf } from './fields.ts';
import { goalCountsEligible, goalCountsStatement, uncountedDaysStatement } from './goal-counts.ts';
import { type GoalLookup, NO_GOALS, siteGoals } from './goals.ts';
import { addImported, anyImports, importedPlan, wholeDays } from './imported.ts';
import { matchedVisitsEligible, matchedVisitsStatement } from './matched-visits.ts';
import { wholeMonthsOf } from './months.ts';
import { nameCountsEligible, nameCountsStatement } from './name-counts.ts';
import { nameVisitsEligible, nameVisitsStatement } from './name-visits.ts';
import {
  negatedCountsPlan,
  negatedCountsStatement,
  negatedFilters,
  negatedVisitsPlan,
  negatedVisitsStatement,
  subtractNegated,
  subtractVisits,
} from './negated-counts.ts';
import { finish, type Raw, zeroRaw } from './numbers.ts';
import { pageVisitsEligible, pageVisitsStatement } from './page-visits.ts';
import type { Filter, Query } from './parse.ts';
import { seriesOverlap } from './series-totals.ts';
import { asRequest, singleFlight, statementKey } from './single-flight.ts';
import {
  type SeriesTime,
  siteSeriesOf,
  siteSeriesPlan,
  siteTotalsEligible,
  siteTotalsOf,
  siteTotalsStatement,
  staleDaysOf,
  staleSplitVisitorsStatement,
  staleVisitorsStatement,
} from './site-totals.ts';
import {
  countsEligible,
  dayAligned,
  daySplits,
  eventStatement,
  needsPages,
  rollupEligible,
  rollupSpans,
  rollupStatement,
  type Statement,
  type StatementInput,
  sharedGoalRowStatement,
  visitRollupEligible,
  visitRollupStatement,
  visitStatement,
} from './statements.ts';
import { markedDaysOf, markedDaysStatement, marksWanted, visitCountsEligible, visitCountsStatement } from './visit-counts.ts';
import { visitEventsEligible, visitEventsStatement } from './visit-events.ts';
import { type Interval, isEventDimension, isTimeDimension, VISIT_METRICS } from './vocabulary.ts';
import { bucketLabel, bucketStart, nextBucket } from './zone.ts';

export interface EngineOptions {
  now: number;
  /** Raw events are kept this many days (`RETENTION_DAYS`): older parts of a range are cut. */
  retentionDays: number;
  /** Server-side bound of one statement (`max_execution_time`), seconds. */
  maxExecutionSeconds?: number;
  /**
   * Compute `totals` (default true). Callers that read only the rows (the v1 routes) skip the
   * extra statement; `totals` is then all zeros unless a `percentage` metric needs it.
   */
  totals?: boolean;
  /** A site's configured goals (SPEC §12; the sites registry); none → every custom event name is a goal. */
  goals?: GoalLookup;
}

export interface ResultRow {
  dimensions: (string | number)[];
  metrics: (number | null)[];
  comparison?: { metrics: (number | null)[]; change: (number | null)[] };
}

export interface Answer {
  results: ResultRow[];
  totals: (number | null)[];
  meta: {
    from: string;
    to: string;
    timezone: string;
    tookMs: number;
    interval?: Interval;
    comparison?: { from: string; to: string };
    /** Set when the range reaches before the raw events kept: event metrics count from `from` on. */
    cut?: { from: string; reason: string };
    tables: string[];
    /** With `"include": { "imports": true }`: whether imported rows could count, or why not. */
    imports?: { included: boolean; table?: string; reason?: string };
  };
  query?: Record<string, unknown>;
}

export class QueryTimeoutError extends Error {
  override readonly name = 'QueryTimeoutError';
}

const MAX_GROUPS = 100_000;
const MAX_BUCKETS = 10_000;

export async function run(
  client: ClickHouseClient,
  s: Pick<Statement, 'sql' | 'params'>,
  seconds: number,
): Promise<Record<string, unknown>[]> {
  try {
    // The same statement asked by another query of the page while it runs is read once (single-flight.ts).
    return await singleFlight(client, statementKey(s.sql, s.params, seconds), async () => {
      const result = await client.query({
        query: s.sql,
        query_params: s.params,
        format: 'JSONEachRow',
        clickhouse_settings: { max_execution_time: seconds, max_result_rows: String(MAX_GROUPS + 1), result_overflow_mode: 'throw' },
      });
      return await result.json<Record<string, unknown>>();
    });
  } catch (error) {
    const code = clickhouseErrorCode(error);
    if (code === '159' || code === '160')
      throw new QueryTimeoutError(`the query ran longer than ${seconds} s: narrow the date range or the filters`);
    if (code === '396') throw new ValidationError(`more than ${MAX_GROUPS} groups: add filters or fewer dimensions`, '/dimensions');
    throw error;
  }
}

/** Checks each `matches` pattern with ClickHouse's own RE2 (bound, never in SQL text). */
export async function checkPatterns(client: ClickHouseClient, filters: readonly Filter[]): Promise<void> {
  for (const f of filters) {
    if ('filters' in f) await checkPatterns(client, f.filters);
    else if ('filter' in f) await checkPatterns(client, [f.filter]);
    else if (f.op === 'matches' || f.op === 'matches_not') {
      for (const [i, pattern] of f.values.entries()) {
        try {
          const r = await client.query({
            query: "SELECT match('', {re:String}) AS ok",
            query_params: { re: pattern },
            format: 'JSONEachRow',
          });
          await r.json();
        } catch (error) {
          if (clickhouseErrorCode(error) === '427')
            throw new ValidationError(
              `filters: RE2 refuses this pattern (${(error as Error).message.split(' Look at')[0]})`,
              `${f.pointer}/2/${i}`,
            );
          throw error;
        }
      }
    }
  }
}

function keyOf(row: Record<string, unknown>, dims: string[]): string {
  return JSON.stringify(dims.map((d) => String(row[d])));
}

interface Grouped {
  keys: Map<string, (string | number)[]>;
  events: Map<string, Record<string, unknown>>;
  visits: Map<string, Record<string, unknown>>;
}

function needs(query: Query, dims: readonly string[]) {
  const metrics = query.metrics;
  const visitMetrics = metrics.some((m) => VISIT_METRICS.includes(m));
  const eventMetrics = metrics.some((m) => !VISIT_METRICS.includes(m)) || dims.some((d) => isEventDimension(d as never));
  return { visitMetrics, eventMetrics };
}

/** The event statement: the per-name counts (a goal or event filter), the quarter-hour rollups, the visits (visit-attribute filters), or raw events. */
function eventStatementOf(input: StatementInput, buckets: readonly number[]): Statement {
  if (nameCountsEligible(input, buckets)) return nameCountsStatement(input);
  if (eventMarksEligible(input, buckets)) return eventMarksStatement(input, buckets);
  // The goals panel under a filter on its one pageview goal: the top numbers' shared text, its row the goal's.
  const goalRow = sharedGoalRowStatement(input, buckets);
  if (goalRow) return goalRow;
  if (rollupEligible(input, buckets)) return rollupStatement(input, buckets);
  if (visitCountsEligible(input, buckets)) return visitCountsStatement(input, buckets);
  return visitEventsEligible(input) ? visitEventsStatement(input, buckets) : eventStatement(input);
}

/** The visit statement: the visit rollups, the per-page, per-name or pair sums, the visits' own events, or the visits' pairs. */
function visitStatementOf(input: StatementInput, buckets: readonly number[]): Statement {
  if (visitRollupEligible(input, buckets)) return visitRollupStatement(input, buckets);
  if (pageVisitsEligible(input, buckets)) return pageVisitsStatement(input);
  if (nameVisitsEligible(input, buckets)) return nameVisitsStatement(input);
  if (attributeVisitsEligible(input, buckets)) return attributeVisitsStatement(input);
  return matchedVisitsEligible(input) ? matchedVisitsStatement(input) : visitStatement(input);
}

async function grouped(
  client: ClickHouseClient,
  input: StatementInput,
  query: Query,
  seconds: number,
  buckets: readonly number[],
): Promise<Grouped> {
  const { visitMetrics, eventMetrics } = needs(query, input.dimensions);
  // Negated property or event-attribute filters: the counts without them less what their positive form's events take (`negated-counts.ts`).
  let negated = eventMetrics || !visitMetrics ? negatedCountsPlan(input, buckets) : null;
  // Distinct visitors under one visit filter in a zone off UTC (the one left beside such negations):
  // first which days' quarter-hour marks are current (`visit-counts.ts`).
  const counting = negated?.base ?? input;
  if (
    (eventMetrics || !visitMetrics) &&
    counting.marked === undefined &&
    !nameCountsEligible(counting, buckets) &&
    !rollupEligible(counting, buckets) &&
    marksWanted(counting, buckets)
  ) {
    const marked = markedDaysOf(await run(client, markedDaysStatement(counting), seconds), input.sites);
    input = { ...input, marked };
    if (negated) negated = { ...negated, base: { ...negated.base, marked } };
  }
  // Both statements are built before either runs: a query one of them refuses (a 400) starts nothing.
  const events = eventMetrics || !visitMetrics ? eventStatementOf(negated?.base ?? input, buckets) : null;
  const taken = negated ? negatedCountsStatement(input, negated) : null;
  // The goals panel under one visit filter: from the visit counts when every day of the range is counted (`goal-counts.ts`).
  const goalCounts = events && !negated && goalCountsEligible(input, buckets) ? goalCountsStatement(input) : null;
  // Visit metrics under such negations: the visit sums without them less the visits all of whose events pass the positive form.
  const negatedVisits = visitMetrics ? negatedVisitsPlan(input, buckets) : null;
  const visitsSql = visitMetrics ? visitStatementOf(negatedVisits?.base ?? input, buckets) : null;
  const visitsTaken = negatedVisits ? negatedVisitsStatement(input, negatedVisits) : null;
  const imported = input.imported === undefined ? null : importedPlan(input, input.imported);
  const counted = goalCounts && Number((await run(client, uncountedDaysStatement(input), seconds))[0]?.uncounted ?? 1) === 0;
  const [baseRows, takenRows, visitRows, visitsTakenRows, importedRows] = await Promise.all([
    counted && goalCounts
      ? run(client, goalCounts, seconds)
      : events
        ? run(client, events, seconds).then((rows) => events.pick?.(rows) ?? rows)
        : Promise.resolve([]),
    taken ? run(client, taken, seconds) : Promise.resolve([]),
    visitsSql ? run(client, visitsSql, seconds).then((rows) => visitsSql.pick?.(rows) ?? rows) : Promise.resolve([]),
    visitsTaken ? run(client, visitsTaken, seconds) : Promise.resolve([]),
    imported?.ok ? run(client, imported, seconds) : Promise.resolve([]),
  ]);
  const dims = input.dimensions.map((_, i) => `d${i}`);
  const eventRows = taken ? subtractNegated(baseRows, takenRows, (row) => keyOf(row, dims)) : baseRows;
  const visits = visitsTaken ? subtractVisits(visitRows, visitsTakenRows, (row) => keyOf(row, dims)) : visitRows;
  const out: Grouped = { keys: new Map(), events: new Map(), visits: new Map() };
  const add = (rows: Record<string, unknown>[], into: Map<string, Record<string, unknown>>) => {
    for (const row of rows) {
      const key = keyOf(row, dims);
      into.set(key, row);
      if (!out.keys.has(key))
        out.keys.set(
          key,
          dims.map((d) => row[d] as string | number),
        );
    }
  };
  add(eventRows, out.events);
  add(visits, out.visits);
  for (const row of importedRows) {
    const key = keyOf(row, dims);
    const sum = addImported(out.events.get(key), out.visits.get(key), row);
    out.events.set(key, sum.events);
    out.visits.set(key, sum.visits);
    if (!out.keys.has(key))
      out.keys.set(
        key,
        dims.map((d) => row[d] as string | number),
      );
  }
  return out;
}

function raw(events: Record<string, unknown> | undefined, visits: Record<string, unknown> | undefined): Raw {
  const n = (r: Record<string, unknown> | undefined, k: string) => Number(r?.[k] ?? 0);
  return {
    pageviews: n(events, 'pageviews'),
    events: n(events, 'events'),
    visitors: n(events, 'visitors'),
    timeOnPage: n(events, 'time_on_page'),
    scrollDepth: n(events, 'scroll_depth'),
    conversions: n(events, 'conversions'),
    converters: n(events, 'converters'),
    visits: n(visits, 'visits'),
    bounces: n(visits, 'bounces'),
    duration: n(visits, 'duration'),
    visitPageviews: n(visits, 'visit_pageviews'),
  };
}

/** Filters without the goal/event selection: the base of `conversion_rate`. */
function withoutGoals(filters: Filter[]): Filter[] {
  return filters.filter((f) => !filterDimensions([f]).some((d) => d === 'goal' || d === 'event'));
}

/**
 * Whether a query's totals are the sums of its rows, so its second statement (without
 * dimensions) is not run: one time dimension whose buckets all start at UTC midnights (UTC days,
 * weeks, months), native data only, and only metrics that add up across such buckets — counts,
 * sums, and distinct visitors, whose ids rotate with the UTC day so two buckets never share one
 * (docs/query.md, "Distinct visitors over many days"); not the means (time_on_page, scroll_depth)
 * nor conversion_rate.
 */
function totalsAreSums(query: Query, input: StatementInput, buckets: readonly number[]): boolean {
  const [only, ...more] = query.dimensions;
  if (only === undefined || more.length > 0 || !isTimeDimension(only) || input.imported !== undefined) return false;
  return sumsOnly(query) && dayAligned(input, buckets);
}

/** Whether every metric of the query adds up across rows (not the means, time_on_page and scroll_depth, nor conversion_rate). */
function sumsOnly(query: Query): boolean {
  return !query.metrics.some((m) => m === 'time_on_page' || m === 'scroll_depth' || m === 'conversion_rate');
}

/** Whether the visit totals are the sums of the rows: one time dimension (each visit starts in one bucket), native data only. */
function visitTotalsAreSums(query: Query, input: StatementInput): boolean {
  const [only, ...more] = query.dimensions;
  return only !== undefined && more.length === 0 && isTimeDimension(only) && input.imported === undefined;
}

function sumRaws(rows: Raw[]): Raw {
  const total = zeroRaw();
  for (const r of rows) for (const k of Object.keys(total) as (keyof Raw)[]) total[k] += r[k];
  return { ...total, timeOnPage: 0, scrollDepth: 0 };
}

interface Period {
  rows: { dims: (string | number)[]; raw: Raw; base: number }[];
  totals: Raw;
  totalBase: number;
}

async function period(
  client: ClickHouseClient,
  tables: Tables,
  query: Query,
  span: Span,
  interval: Interval,
  seconds: number,
  buckets: readonly number[],
  rawFrom: number,
  withTotals = true,
  goals: GoalLookup = NO_GOALS,
  counted?: CountedDay[],
): Promise<Period> {
  const pointers = query.dimensions.map((_, i) => `/dimensions/${i}`);
  const input: StatementInput = { ...inputOf(query, tables, span, interval, goals), pointers, rawFrom, counted };
  // Imported rows count in every grouping of the period, or in none (rows and totals agree).
  if (query.include.imports) {
    const days = wholeDays(span, query.timezone);
    if (days !== null && importedPlan({ ...input, imported: days }, days).ok && (await anyImports(client, tables, query.sites, days)))
      input.imported = days;
  }
  const wantsRate = query.metrics.includes('conversion_rate');
  const baseDims = query.dimensions.filter((d) => d !== 'goal' && d !== 'event');
  const baseInput = {
    ...input,
    dimensions: baseDims,
    pointers: baseDims.map((d) => `/dimensions/${query.dimensions.indexOf(d)}`),
    filters: withoutGoals(query.filters),
    // The base counts visitors only (no goals evaluated: path goals would read per-page rows and counts).
    converters: false,
    conversions: false,
    metrics: ['visitors' as const],
  };
  const onlyEvents = { ...query, metrics: ['visitors' as const] };
  // The base checks its own counted days (the query's check is skipped: conversions evaluate goals),
  // so its whole UTC days sum their exact counts instead of merging a month of `uniq` states.
  // Under negations counted the other way round (`negated-counts.ts`) the base's days are checked without them, as the query's.
  const baseNegated = negatedFilters(baseInput.filters);
  const baseFilters = baseNegated ? baseNegated.kept : baseInput.filters;
  const baseQuery = { ...onlyEvents, dimensions: baseDims, filters: baseFilters };
  const baseCounted =
    wantsRate && input.counted === undefined
      ? checkCounts(client, baseQuery, { ...baseInput, filters: baseFilters }, null, seconds, buckets)
      : Promise.resolve(input.counted);
  const summed = totalsAreSums(query, input, buckets);
  // Buckets inside UTC days (days in Asia/Kolkata): the totals are the rows' sums less the visitors
  // of each cut day seen on both sides, when the check returned them for every such day (`series-totals.ts`).
  const overlap = !summed && sumsOnly(query) && visitTotalsAreSums(query, input) ? seriesOverlap(input, buckets) : null;
  // Over one time dimension each visit is in one bucket: the visit totals are the rows' sums in any zone.
  const visitsSummed = !summed && overlap === null && visitTotalsAreSums(query, input);
  const totalsQuery = visitsSummed ? { ...query, metrics: query.metrics.filter((m) => !VISIT_METRICS.includes(m)) } : query;
  const none = { keys: new Map(), events: new Map(), visits: new Map() } satisfies Grouped;
  const [main, totals, base, baseTotal] = await Promise.all([
    query.dimensions.length > 0 ? grouped(client, input, query, seconds, buckets) : null,
    query.dimensions.length === 0 ||
    ((withTotals || query.metrics.includes('percentage')) && !summed && overlap === null && totalsQuery.metrics.length > 0)
      ? grouped(client, { ...input, dimensions: [], pointers: [] }, totalsQuery, seconds, [])
      : Promise.resolve(none),
    wantsRate && baseDims.length > 0
      ? baseCounted.then((counted) => grouped(client, { ...baseInput, counted }, onlyEvents, seconds, buckets))
      : null,
    wantsRate
      ? baseCounted.then((counted) => grouped(client, { ...baseInput, dimensions: [], pointers: [], counted }, onlyEvents, seconds, []))
      : null,
  ]);
  const rowSums = () => sumRaws([...(main?.keys.keys() ?? [])].map((key) => raw(main?.events.get(key), main?.visits.get(key))));
  const totalRaw = (summed || overlap !== null) && main ? rowSums() : raw(totals.events.get('[]'), totals.visits.get('[]'));
  if (overlap !== null) totalRaw.visitors -= overlap;
  if (visitsSummed) {
    const sums = rowSums();
    Object.assign(totalRaw, { visits: sums.visits, bounces: sums.bounces, duration: sums.duration, visitPageviews: sums.visitPageviews });
  }
  const totalBase = baseTotal ? raw(baseTotal.events.get('[]'), undefined).visitors : 0;
  const rows: Period['rows'] = [];
  if (query.dimensions.length === 0) rows.push({ dims: [], raw: totalRaw, base: totalBase });
  if (main) {
    for (const [key, dims] of main.keys) {
      let b = totalBase;
      if (base) {
        const baseKey = JSON.stringify(
          query.dimensions
            .map((d, i) => [d, String(dims[i])])
            .filter(([d]) => d !== 'goal' && d !== 'event')
            .map(([, v]) => v),
        );
        b = raw(base.events.get(baseKey), undefined).visitors;
      }
      rows.push({ dims, raw: raw(main.events.get(key), main.visits.get(key)), base: b });
    }
  }
  return { rows, totals: totalRaw, totalBase };
}

/**
 * The periods of a whole-site query from one statement (`site-totals.ts`): one row each, no
 * dimension; a second statement only for days whose visitor count is missing or stale.
 */
async function siteTotalsPeriods(
  client: ClickHouseClient,
  tables: Tables,
  query: Query,
  spans: readonly Span[],
  seconds: number,
): Promise<{ periods: [Period, Period | null]; tables: string[] }> {
  const statement = siteTotalsStatement(tables, query.sites, spans, query.metrics);
  const rows = await run(client, statement, seconds);
  const stale = query.metrics.some((m) => m === 'visitors' || m === 'percentage') ? staleDaysOf(rows) : [];
  const staleRows = stale.length > 0 ? await run(client, staleVisitorsStatement(tables, spans, stale), seconds) : [];
  const periods = siteTotalsOf(rows, staleRows, spans.length).map(
    (r): Period => ({ rows: [{ dims: [], raw: r, base: 0 }], totals: r, totalBase: 0 }),
  );
  return {
    periods: [periods[0] as Period, periods[1] ?? null],
    tables: stale.length > 0 ? [...statement.tables, tables.events1d] : statement.tables,
  };
}

/**
 * The periods of a whole-site time series whose buckets start at UTC midnights from one statement
 * (`site-totals.ts`): a row per bucket with data, totals the rows' sums; a second statement only
 * for days whose visitor count is missing or stale.
 */
async function siteSeriesPeriods(
  client: ClickHouseClient,
  tables: Tables,
  query: Query,
  spans: readonly Span[],
  time: SeriesTime,
  seconds: number,
): Promise<{ periods: [Period, Period | null]; tables: string[] }> {
  const statement = siteTotalsStatement(tables, query.sites, spans, query.metrics, time);
  const rows = await run(client, statement, seconds);
  const stale = query.metrics.some((m) => m === 'visitors' || m === 'percentage') ? staleDaysOf(rows) : [];
  const staleStatement = time.splits ? staleSplitVisitorsStatement : staleVisitorsStatement;
  const staleRows = stale.length > 0 ? await run(client, staleStatement(tables, spans, stale, time), seconds) : [];
  const periods = siteSeriesOf(rows, staleRows, spans.length).map(
    (p): Period => ({ rows: p.buckets.map((r) => ({ dims: [r.b], raw: r.raw, base: 0 })), totals: p.totals, totalBase: 0 }),
  );
  return {
    periods: [periods[0] as Period, periods[1] ?? null],
    tables: stale.length > 0 ? [...statement.tables, time.splits ? tables.events15m : tables.events1d] : statement.tables,
  };
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return Math.round(((current - previous) / previous) * 1000) / 10;
}

/**
 * One Query API question's answer. Its statements are one request (`asRequest`): once it has its
 * answer or error, any of them still running is joined by no later question (single-flight.ts).
 */
export function runQuery(client: ClickHouseClient, tables: Tables, query: Query, options: EngineOptions): Promise<Answer> {
  return asRequest(() => answerQuery(client, tables, query, options));
}

async function answerQuery(client: ClickHouseClient, tables: Tables, query: Query, options: EngineOptions): Promise<Answer> {
  const started = performance.now();
  await checkPatterns(client, query.filters);
  const span = resolveRange(query.dateRange, query.timezone, options.now);
  const timeDim = query.dimensions.find(isTimeDimension);
  const interval = timeDim ? intervalOf(timeDim, autoInterval(span)) : autoInterval(span);
  const seconds = options.maxExecutionSeconds ?? 15;
  const buckets: number[] = [];
  if (timeDim) {
    for (let t = bucketStart(span.from, interval, query.timezone); t < span.to; t = nextBucket(t, interval, query.timezone)) {
      buckets.push(t);
      if (buckets.length > MAX_BUCKETS)
        throw new ValidationError(
          `${timeDim}: more than ${MAX_BUCKETS} buckets over this range; use a larger interval`,
          `/dimensions/${query.dimensions.indexOf(timeDim)}`,
        );
    }
  }
  const compareSpan = query.compare ? comparisonRange(query.compare, span, query.timezone) : null;
  // Raw events are kept RETENTION_DAYS: raw reads start there (what `meta.cut` says).
  const cutFrom = options.now - options.retentionDays * 86_400_000;
  const compareBuckets = compareSpan && timeDim ? bucketsOf(compareSpan, interval, query.timezone) : [];
  const spans = compareSpan ? [span, compareSpan] : [span];
  // Whole-site totals (no dimension, no filter): every period in one statement, no count check (`site-totals.ts`).
  // A whole-site series by days (weeks, months): the same statement grouped by bucket, no count check either.
  const series = siteTotalsEligible(query, spans) ? null : siteSeriesPlan(query, spans, interval, [buckets, compareBuckets]);
  const wholeSite = siteTotalsEligible(query, spans)
    ? await siteTotalsPeriods(client, tables, query, spans, seconds)
    : series
      ? await siteSeriesPeriods(client, tables, query, spans, series, seconds)
      : null;
  // Under negations counted the other way round (`negated-counts.ts`), the days are checked for the statement without them.
  const negated = negatedFilters(query.filters);
  const countQuery = negated ? { ...query, filters: negated.kept } : query;
  const counted = wholeSite
    ? undefined
    : await checkCounts(client, countQuery, inputOf(countQuery, tables, span, interval, options.goals), compareSpan, seconds, [
        ...buckets,
        ...compareBuckets,
      ]);
  const [current, previous] =
    wholeSite?.periods ??
    (await Promise.all([
      period(
        client,
        tables,
        query,
        span,
        interval,
        seconds,
        buckets,
        cutFrom,
        (options.totals ?? true) && query.include.totals,
        options.goals,
        counted,
      ),
      compareSpan
        ? period(
            client,
            tables,
            query,
            compareSpan,
            interval,
            seconds,
            timeDim ? bucketsOf(compareSpan, interval, query.timezone) : [],
            cutFrom,
            query.include.totals,
            options.goals,
            counted,
          )
        : null,
    ]));
  const timeAt = timeDim ? query.dimensions.indexOf(timeDim) : -1;
  const label = (v: string | number) => (timeAt >= 0 ? bucketLabel(Number(v) * 1000, interval, query.timezone) : v);
  const metricsOf = (r: Raw, base: number, totals: Period) =>
    finish(query.metrics, r, { totalVisitors: totals.totals.visitors, baseVisitors: base });
  let rows = current.rows.map((r) => ({ dims: r.dims, metrics: metricsOf(r.raw, r.base, current), raw: r }));
  if (timeDim) {
    // Every bucket of the range, zeros included; rows keyed by bucket start (seconds).
    const others = query.dimensions.length > 1;
    if (!others) {
      const found = new Map(rows.map((r) => [Number(r.dims[timeAt]), r]));
      rows = buckets.map(
        (t) =>
          found.get(t / 1000) ?? {
            dims: [t / 1000],
            metrics: metricsOf(raw(undefined, undefined), current.totalBase, current),
            raw: { dims: [t / 1000], raw: raw(undefined, undefined), base: 0 },
          },
      );
    }
  }
  const order = query.orderBy.map(([name, dir]) => {
    const m = query.metrics.indexOf(name as never);
    const d = query.dimensions.indexOf(name as never);
    return { m, d, sign: dir === 'asc' ? 1 : -1 };
  });
  rows.sort((a, b) => {
    for (const o of order) {
      const c =
        o.m >= 0 ? compareValues(a.metrics[o.m] ?? null, b.metrics[o.m] ?? null) : compareValues(a.dims[o.d] ?? null, b.dims[o.d] ?? null);
      if (c !== 0) return c * o.sign;
    }
    for (let i = 0; i < a.dims.length; i++) {
      const c = compareValues(a.dims[i] ?? null, b.dims[i] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  });
  const page = rows.slice(query.offset, query.offset + query.limit);
  const previousByKey = new Map((previous?.rows ?? []).map((r) => [JSON.stringify(r.dims.map(String)), r]));
  const previousBuckets = previous && timeDim && compareSpan ? bucketsOf(compareSpan, interval, query.timezone) : [];
  const results: ResultRow[] = page.map((r) => {
    const row: ResultRow = { dimensions: r.dims.map((v, i) => (i === timeAt ? label(v) : String(v))), metrics: r.metrics };
    if (previous) {
      let before = previousByKey.get(JSON.stringify(r.dims.map(String)));
      if (timeDim && query.dimensions.length === 1) {
        const index = buckets.indexOf(Number(r.dims[timeAt]) * 1000);
        const t = previousBuckets[index];
        before = t === undefined ? undefined : previous.rows.find((x) => Number(x.dims[0]) === t / 1000);
      }
      const metrics = finish(query.metrics, before?.raw ?? raw(undefined, undefined), {
        totalVisitors: previous.totals.visitors,
        baseVisitors: before?.base ?? previous.totalBase,
      });
      row.comparison = { metrics, change: r.metrics.map((m, i) => change(m, metrics[i] ?? null)) };
    }
    return row;
  });
  // Raw events count the event metrics, and the visit metrics under conditions the pairs do not hold (`matched-visits.ts`).
  const { eventMetrics, visitMetrics } = needs(query, query.dimensions);
  const usesEvents = eventMetrics || (visitMetrics && matchedVisitsEligible(inputOf(query, tables, span, interval, options.goals)));
  return {
    results,
    // `include.totals: false`: none, whatever the statements summed on the way (a percentage's base).
    totals: query.include.totals
      ? finish(query.metrics, current.totals, { totalVisitors: current.totals.visitors, baseVisitors: current.totalBase })
      : query.metrics.map(() => null),
    meta: {
      from: new Date(span.from).toISOString(),
      to: new Date(span.to).toISOString(),
      timezone: query.timezone,
      tookMs: Math.round(performance.now() - started),
      ...(timeDim ? { interval } : {}),
      ...(compareSpan
        ? { comparison: { from: new Date(compareSpan.from).toISOString(), to: new Date(compareSpan.to).toISOString() } }
        : {}),
      ...(usesEvents &&
      (rawBefore(inputOf(query, tables, span, interval, options.goals), buckets, cutFrom) ||
        (compareSpan && rawBefore(inputOf(query, tables, compareSpan, interval, options.goals), [], cutFrom)))
        ? { cut: { from: new Date(cutFrom).toISOString(), reason: `raw events are kept ${options.retentionDays} days (RETENTION_DAYS)` } }
        : {}),
      tables: wholeSite?.tables ?? answeredBy(query, inputOf(query, tables, span, interval, options.goals), buckets),
      ...(query.include.imports ? { imports: importsMeta(query, tables, span, interval, options.goals) } : {}),
    },
  };
}

/**
 * Which whole UTC days of the query's periods have current visitor counts: one statement per
 * query (`counted.ts`), when its event statements may read counts — event metrics, no filter,
 * dimensions of page and time only (`countsEligible`) — and its periods hold a whole UTC day.
 * The statements read each day from its count or its states by this list: a day that gains its
 * first events after the check counts from the next query on.
 */
async function checkCounts(
  client: ClickHouseClient,
  query: Query,
  input: StatementInput,
  compareSpan: Span | null,
  seconds: number,
  bucketStarts: readonly number[],
): Promise<CountedDay[] | undefined> {
  // Only dimensions that can read counts (page, time): any other one could still be refused (a 400) before a statement runs.
  if (!needs(query, query.dimensions).eventMetrics || !countsEligible(input)) return undefined;
  const spans = [{ from: input.from, to: input.to }, ...(compareSpan ? [compareSpan] : [])];
  const whole = spans.map((s) => wholeDaysOf(s.from, s.to)).filter((d) => d !== null);
  if (whole.length === 0) return undefined;
  const d0 = Math.min(...whole.map((d) => d.d0));
  const d1 = Math.max(...whole.map((d) => d.d1));
  // Buckets off UTC midnights (days in Asia/Kolkata): the check also returns each counted day's parts either side of its split.
  const splits = daySplits(d0, d1, [...new Set(bucketStarts)]);
  const split = splits?.some((q) => q > 0) ? splits : null;
  return countedDays(await run(client, countedDaysStatement(input.tables, query.sites, d0, d1, split), seconds));
}

function inputOf(query: Query, tables: Tables, span: Span, interval: Interval, goals: GoalLookup = NO_GOALS): StatementInput {
  return {
    tables,
    sites: query.sites,
    from: span.from,
    to: span.to,
    zone: query.timezone,
    interval,
    dimensions: query.dimensions,
    pointers: [],
    filters: query.filters,
    goals: siteGoals(query.sites, goals),
    conversions: query.metrics.includes('conversions') || query.metrics.includes('conversion_rate'),
    converters: query.metrics.includes('conversion_rate'),
    metrics: query.metrics,
    rawOnly: query.metrics.includes('scroll_depth'),
    sumsUsed: { customs: query.metrics.includes('events'), engagements: query.metrics.includes('time_on_page') },
  };
}

/** The raw-event spans the event statement reads: the whole range, or the rollups' two partial edges. */
function rawSpans(input: StatementInput, buckets: readonly number[]): Span[] {
  const span = { from: input.from, to: input.to };
  if (!rollupEligible(input, buckets)) return [span];
  const q0 = Math.ceil(span.from / 900_000) * 900_000;
  const q1 = Math.floor(span.to / 900_000) * 900_000;
  return [
    { from: span.from, to: q0 },
    { from: q1, to: span.to },
  ].filter((s) => s.from < s.to);
}

/** True when the event statement needs raw events from before `cutFrom` (they are gone: RETENTION_DAYS). */
function rawBefore(input: StatementInput, buckets: readonly number[], cutFrom: number): boolean {
  return rawSpans(input, buckets).some((s) => s.from < cutFrom);
}

/** Which tables answer the query (for `meta.tables`). */
function answeredBy(query: Query, input: StatementInput, buckets: readonly number[], plain = false): string[] {
  const out = new Set<string>();
  const { tables } = input;
  const { visitMetrics, eventMetrics } = needs(query, query.dimensions);
  const negated = !plain && (eventMetrics || !visitMetrics) ? negatedCountsPlan(input, buckets) : null;
  const negatedVisits = !plain && visitMetrics ? negatedVisitsPlan(input, buckets) : null;
  if (negated || negatedVisits) {
    // The counts and sums without the negations, and the raw events (and visits) of the visitors with an event passing their positive form.
    const counts = { ...query, filters: negated?.kept ?? query.filters, metrics: query.metrics.filter((m) => !VISIT_METRICS.includes(m)) };
    if (eventMetrics || !visitMetrics) for (const t of answeredBy(counts, negated?.base ?? input, buckets, true)) out.add(t);
    // Visit metrics alone (the dimensions are the input's): the visit branch below.
    const visitsOnly = {
      ...query,
      filters: negatedVisits?.kept ?? query.filters,
      metrics: query.metrics.filter((m) => VISIT_METRICS.includes(m)),
      dimensions: [],
    };
    if (visitMetrics) for (const t of answeredBy(visitsOnly, negatedVisits?.base ?? input, buckets, true)) out.add(t);
    out.add(tables.events);
    if (negatedVisits) out.add(tables.visits);
    return [...out];
  }
  const span = { from: input.from, to: input.to };
  const used = [...query.dimensions, ...filterDimensions(query.filters)];
  if ((eventMetrics || !visitMetrics) && nameCountsEligible(input, buckets)) {
    // One goal or event filter: the current whole UTC days' per-name counts, the other days raw (`name-counts.ts`).
    out.add(tables.namePages1d);
    out.add(tables.events1d);
    out.add(tables.events);
  } else if ((eventMetrics || !visitMetrics) && eventMarksEligible(input, buckets)) {
    // One page, goal or event filter in a zone off UTC: the current days' per-path or per-name marks, the other days' quarter-hours (`event-marks.ts`).
    out.add(eventMarksTable(input));
    out.add(tables.events1d);
    out.add(tables.pages15m);
  } else if (eventMetrics || !visitMetrics) {
    if (rollupEligible(input, buckets)) {
      const pages = needsPages(input);
      const q0 = Math.ceil(span.from / 900_000) * 900_000;
      const q1 = Math.floor(span.to / 900_000) * 900_000;
      const [d0, d1] = [Math.ceil(q0 / 86_400_000) * 86_400_000, Math.floor(q1 / 86_400_000) * 86_400_000];
      const days = d0 < d1 && dayAligned(input, buckets);
      if (days) out.add(pages ? tables.pages1d : tables.events1d);
      // The count check (`counted.ts`) reads the days' sums from `site_days` and the counts from `visitors_1d`.
      if (days && countsEligible(input)) {
        out.add(tables.siteDays);
        out.add(tables.visitors1d);
      }
      // Per path without a time dimension: whole UTC months from their month rows (`months.ts`).
      if (days && countsEligible(input) && pages && !query.dimensions.some(isTimeDimension) && wholeMonthsOf(d0, d1))
        out.add(tables.pageVisitors1mo);
      // Buckets off UTC midnights: counted whole UTC days read their parts' counts (and the day totals).
      if (!days && d0 < d1 && !pages && countsEligible(input) && daySplits(d0, d1, buckets) !== null) {
        out.add(tables.siteDays);
        out.add(tables.visitors1d);
      }
      if (!days || q0 < d0 || d1 < q1) out.add(pages ? tables.pages15m : tables.events15m);
    }
    // One `is` visit filter over whole UTC days: the current days' visit counts (checked against the day rollup).
    if (!rollupEligible(input, buckets) && visitCountsEligible(input, buckets)) {
      out.add(tables.visitVisitors1d);
      out.add(tables.events1d);
    }
    if (rawSpans(input, buckets).length > 0) out.add(tables.events);
    if (used.some((d) => !isEventDimension(d as never) && !isTimeDimension(d))) out.add(tables.visits);
  }
  if (visitMetrics) {
    if (!visitRollupEligible(input, buckets) && pageVisitsEligible(input, buckets)) {
      // Whole UTC days from the page visit sums, the partial ones from the visits.
      out.add(tables.pageVisits1d);
      if (span.from % 86_400_000 !== 0 || span.to % 86_400_000 !== 0) out.add(tables.visits);
    } else if (!visitRollupEligible(input, buckets) && nameVisitsEligible(input, buckets)) {
      // Whole UTC days from the per-name visit sums, the partial ones from the visits.
      out.add(tables.nameVisits1d);
      if (span.from % 86_400_000 !== 0 || span.to % 86_400_000 !== 0) out.add(tables.visits);
    } else if (!visitRollupEligible(input, buckets) && attributeVisitsEligible(input, buckets)) {
      // Whole UTC days from the pair sums (of 033, or of the entry and exit pages: 043), the partial ones from the visits.
      out.add(attributeVisitsTable(input));
      if (span.from % 86_400_000 !== 0 || span.to % 86_400_000 !== 0) out.add(tables.visits);
    } else if (visitRollupEligible(input, buckets)) {
      const { q0, q1, d0, d1, splits } = rollupSpans(input, buckets);
      if (d0 < d1) out.add(tables.visits1d);
      if (q0 < d0 || d1 < q1 || splits?.some((q) => q > 0)) out.add(tables.visits15m);
      if (span.from < q0 || q1 < span.to) out.add(tables.visits);
    } else {
      out.add(tables.visits);
      if (matchedVisitsEligible(input)) out.add(tables.events);
    }
  }
  return [...out];
}

/** Whether imported rows count in the query's answer: the imported table of its grouping, or why none can. */
function importsMeta(
  query: Query,
  tables: Tables,
  span: Span,
  interval: Interval,
  goals: GoalLookup = NO_GOALS,
): NonNullable<Answer['meta']['imports']> {
  const days = wholeDays(span, query.timezone);
  const plan = importedPlan({ ...inputOf(query, tables, span, interval, goals), imported: days }, days);
  return plan.ok ? { included: true, table: `${tables.database}.${plan.table}` } : { included: false, reason: plan.reason };
}

function bucketsOf(span: Span, interval: Interval, zone: string): number[] {
  const out: number[] = [];
  for (let t = bucketStart(span.from, interval, zone); t < span.to && out.length <= MAX_BUCKETS; t = nextBucket(t, interval, zone))
    out.push(t);
  return out;
}
