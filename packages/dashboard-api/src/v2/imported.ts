/**
 * Imported history in Query API answers (`"include": { "imports": true }`, SPEC §13,
 * docs/imports.md "Imported data in reports"): which whole days of a range imported rows may
 * fill, the imported statement of a grouping (`imports/query.ts`), and how its counts add to
 * the native ones. Native data wins per site and day, in the statement itself.
 */
import { type ClickHouseClient, TABLES } from '@tidemark/shared';
import { type ImportedFilter, type ImportedPlan, importedStatement } from '../imports/query.ts';
import type { Tables } from '../queries/tables.ts';
import type { Span } from './dates.ts';
import { filterDimensions } from './fields.ts';
import type { Filter } from './parse.ts';
import type { StatementInput } from './statements.ts';
import { bucketLabel, bucketStart, nextBucket } from './zone.ts';

/** The whole days of a range in its zone that imported rows may fill (YYYY-MM-DD, both included). */
export interface ImportedDays {
  fromDay: string;
  toDay: string;
}

/** The whole days in `zone` inside `span` (imported rows are daily), or null when there is none. */
export function wholeDays(span: Span, zone: string): ImportedDays | null {
  let first = bucketStart(span.from, 'day', zone);
  if (first < span.from) first = nextBucket(first, 'day', zone);
  const end = bucketStart(span.to, 'day', zone); // the last whole day ends here (span.to is excluded)
  if (first >= end) return null;
  return { fromDay: bucketLabel(first, 'day', zone), toDay: bucketLabel(bucketStart(end - 1, 'day', zone), 'day', zone) };
}

/**
 * True when one of the sites has a complete import near the days (a day either side: an
 * import's days are in its own zone). Queries of sites without imports skip the imported
 * statement, and its scan of the native days, at the cost of this one look at a small table.
 */
export async function anyImports(client: ClickHouseClient, tables: Tables, sites: string[], days: ImportedDays): Promise<boolean> {
  const result = await client.query({
    query: `SELECT count() AS n FROM ${tables.database}.${TABLES.imports} FINAL
      WHERE site IN {sites:Array(String)} AND status = 'complete'
        AND date_from <= {to:Date} + 1 AND date_to + 1 >= {from:Date}`,
    query_params: { sites, from: days.fromDay, to: days.toDay },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

/**
 * The query's filters as the imported statement takes them (one level, all of them holding),
 * or why they cannot be. `event is pageview` (the v1 routes' "of pageviews") selects nothing
 * among the imported reports of visits and pages: it is left out.
 */
function importedFilters(filters: readonly Filter[]): ImportedFilter[] | string {
  const out: ImportedFilter[] = [];
  for (const f of filters) {
    if (!('dimension' in f)) return `filters: imports answer filters of one level only, not "${f.op}"`;
    if (f.dimension === 'event' && f.op === 'is' && f.values.every((v) => v === 'pageview')) continue;
    out.push({ op: f.op, dimension: f.dimension, values: f.values });
  }
  return out;
}

/** The imported statement of one grouping of the engine, or why imports cannot answer it. */
export function importedPlan(input: StatementInput, days: ImportedDays | null): ImportedPlan {
  if (days === null) return { ok: false, reason: 'the range holds no whole day in its time zone (imported data is daily)' };
  // Imported custom events are goals only as the implicit ones (every custom event name): a site's configured goals
  // (paths, property values) are not in the imported reports.
  const goalsUsed = input.conversions || [...input.dimensions, ...filterDimensions(input.filters)].includes('goal');
  if (goalsUsed && input.goals.configured.length > 0)
    return {
      ok: false,
      reason: `goal: the configured goals of ${input.goals.configured.map(([site]) => site).join(', ')} are not in the imported reports`,
    };
  const filters = importedFilters(input.filters);
  if (typeof filters === 'string') return { ok: false, reason: filters };
  return importedStatement({
    database: input.tables.database,
    eventsTable: input.tables.events,
    sites: input.sites,
    ...days,
    zone: input.zone,
    dimensions: input.dimensions,
    interval: input.interval,
    filters,
  });
}

const n = (row: Record<string, unknown> | undefined, key: string) => Number(row?.[key] ?? 0);

/**
 * Adds an imported row's counts to the native rows of the same group: the event statement's
 * (pageviews, events, visitors, conversions; time on page and scroll depth as means weighted by their counts) and
 * the visit statement's (visits, bounces, duration, pageviews of visits).
 */
export function addImported(
  events: Record<string, unknown> | undefined,
  visits: Record<string, unknown> | undefined,
  imported: Record<string, unknown>,
): { events: Record<string, unknown>; visits: Record<string, unknown> } {
  const engagements = n(events, 'engagements');
  const times = engagements + n(imported, 'time_on_page_count');
  const scrolls = n(events, 'scrolls');
  const depths = scrolls + n(imported, 'scroll_depth_count');
  const sum = (key: string, from = key) => n(events, key) + n(imported, from);
  return {
    events: {
      ...events,
      pageviews: sum('pageviews'),
      events: sum('events'),
      visitors: sum('visitors'),
      conversions: sum('conversions'),
      converters: sum('converters'),
      engagements: times,
      time_on_page: times === 0 ? 0 : (n(events, 'time_on_page') * engagements + n(imported, 'time_on_page_sum')) / times,
      scrolls: depths,
      scroll_depth: depths === 0 ? 0 : (n(events, 'scroll_depth') * scrolls + n(imported, 'scroll_depth_sum')) / depths,
    },
    visits: {
      ...visits,
      visits: n(visits, 'visits') + n(imported, 'visits'),
      bounces: n(visits, 'bounces') + n(imported, 'bounces'),
      duration: n(visits, 'duration') + n(imported, 'duration'),
      visit_pageviews: n(visits, 'visit_pageviews') + n(imported, 'visit_pageviews'),
    },
  };
}
