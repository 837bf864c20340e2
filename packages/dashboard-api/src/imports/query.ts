/**
 * Imported history as the Query API reads it (SPEC §13, docs/imports.md "Imported data in
 * reports"): one statement over the imported table of the query's report, grouped by the
 * query's dimensions, giving the same raw counts the native statements give, so the engine adds
 * the two before finishing the metrics. The rule that keeps an import from counting twice: for
 * each site and day, native data wins — an imported day counts only when the site has no event
 * of its own that day (in the query's zone); and only `complete` imports count. A query the
 * imported tables cannot answer (finer than a day, dimensions of two reports, `prop:*`, nested
 * filters) gets a reason instead, which the answer's `meta` carries.
 */
import { type ImportedTable, TABLES } from '@tidemark/shared';
import { completeImportsSql } from './store.ts';

/** A dimension's column in each imported table that holds it. */
const COLUMNS: Record<string, Partial<Record<ImportedTable, string>>> = {
  source: { imported_sources: "if(source = '', 'Direct / None', source)" },
  referrer: { imported_sources: 'referrer' },
  channel: { imported_sources: 'toString(channel)' },
  utm_source: { imported_sources: 'utm_source' },
  utm_medium: { imported_sources: 'utm_medium' },
  utm_campaign: { imported_sources: 'utm_campaign' },
  utm_content: { imported_sources: 'utm_content' },
  utm_term: { imported_sources: 'utm_term' },
  page: { imported_pages: 'page' },
  hostname: { imported_pages: 'hostname' },
  entry_page: { imported_entry_pages: 'entry_page' },
  exit_page: { imported_exit_pages: 'exit_page' },
  country: { imported_locations: 'toString(country)' },
  region: { imported_locations: 'region' },
  // Plausible's (and Umami's) device is the screen's class: Tidemark's `screen`; as a `device`, a laptop is a desktop.
  screen: { imported_devices: 'toString(device)' },
  device: { imported_devices: "multiIf(device = 'Laptop', 'desktop', lower(toString(device)))" },
  browser: { imported_browsers: 'toString(browser)' },
  browser_version: { imported_browsers: 'browser_version' },
  os: { imported_operating_systems: 'toString(operating_system)' },
  os_version: { imported_operating_systems: 'operating_system_version' },
  event: { imported_custom_events: 'name' },
  goal: { imported_custom_events: 'name' },
};

/** Each table's raw counts, named as the native statements name theirs (columns qualified: the names are also aliases). */
const VISIT_TOTALS = (visits: string) => ({
  visitors: 'sum(t.visitors)',
  visits: `sum(t.${visits})`,
  pageviews: 'sum(t.pageviews)',
  visit_pageviews: 'sum(t.pageviews)',
  bounces: 'sum(t.bounces)',
  duration: 'sum(t.visit_duration_ms)',
});
const COUNTS: Record<ImportedTable, Record<string, string>> = {
  imported_visitors: VISIT_TOTALS('visits'),
  imported_sources: VISIT_TOTALS('visits'),
  imported_entry_pages: VISIT_TOTALS('entrances'),
  imported_exit_pages: VISIT_TOTALS('exits'),
  imported_locations: VISIT_TOTALS('visits'),
  imported_devices: VISIT_TOTALS('visits'),
  imported_browsers: VISIT_TOTALS('visits'),
  imported_operating_systems: VISIT_TOTALS('visits'),
  imported_pages: {
    visitors: 'sum(t.visitors)',
    visits: 'sum(t.visits)',
    pageviews: 'sum(t.pageviews)',
    time_on_page_sum: 'sum(t.time_on_page_ms)',
    time_on_page_count: 'sum(t.time_on_page_visits)',
    scroll_depth_sum: 'sum(t.scroll_depth_sum)',
    scroll_depth_count: 'sum(t.scroll_depth_visits)',
  },
  imported_custom_events: {
    visitors: 'sum(t.visitors)',
    events: 'sum(t.events)',
    conversions: 'sum(t.events)',
    converters: 'sum(t.visitors)',
  },
};

/** The names of every raw count any imported statement may give (absent ones are 0). */
export const IMPORTED_COUNTS = [
  'visitors',
  'visits',
  'pageviews',
  'visit_pageviews',
  'bounces',
  'duration',
  'events',
  'conversions',
  'converters',
  'time_on_page_sum',
  'time_on_page_count',
  'scroll_depth_sum',
  'scroll_depth_count',
] as const;

export type ImportedFilter = {
  op: 'is' | 'is_not' | 'contains' | 'contains_not' | 'matches' | 'matches_not';
  dimension: string;
  values: string[];
};
export type ImportedInterval = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface ImportedInput {
  database: string;
  sites: string[];
  /** Whole days, both included, in `zone` (YYYY-MM-DD). */
  fromDay: string;
  toDay: string;
  zone: string;
  /** Query API dimensions; a `time` dimension buckets by `interval`. */
  dimensions: string[];
  interval: ImportedInterval;
  filters: ImportedFilter[];
  /** The native events table (`events`, or `events_all` on a cluster). */
  eventsTable?: string;
}

export type ImportedPlan =
  | { ok: true; table: ImportedTable; sql: string; params: Record<string, unknown>; dims: string[] }
  | { ok: false; reason: string };

const BUCKET: Partial<Record<ImportedInterval, string>> = {
  day: 'toUnixTimestamp(toDateTime(date, {zone:String}))',
  week: 'toUnixTimestamp(toDateTime(toMonday(date), {zone:String}))',
  month: 'toUnixTimestamp(toDateTime(toStartOfMonth(date), {zone:String}))',
};

function intervalOf(dimension: string, interval: ImportedInterval): ImportedInterval {
  return dimension === 'time' ? interval : (dimension.slice(5) as ImportedInterval);
}

/** The one table that holds every given dimension, or why there is none. */
function tableFor(dimensions: string[]): ImportedTable | string {
  let table: ImportedTable | null = null;
  for (const d of dimensions) {
    if (d.startsWith('prop:')) return `${d}: imports hold no custom properties`;
    const holders = COLUMNS[d];
    if (holders === undefined) return `${d}: not in the imported reports`;
    const names = Object.keys(holders) as ImportedTable[];
    const pick: ImportedTable | undefined = table !== null && names.includes(table) ? table : names[0];
    if (pick === undefined || (table !== null && pick !== table))
      return `${dimensions.join(' and ')}: no imported report holds them together`;
    table = pick;
  }
  return table ?? 'imported_visitors';
}

function leaf(f: ImportedFilter, column: string, add: (v: unknown, type: string) => string): string {
  switch (f.op) {
    case 'is':
      return `has(${add(f.values, 'Array(String)')}, ${column})`;
    case 'is_not':
      return `NOT has(${add(f.values, 'Array(String)')}, ${column})`;
    case 'contains':
    case 'contains_not': {
      const any = `(${f.values.map((v) => `position(${column}, ${add(v, 'String')}) > 0`).join(' OR ')})`;
      return f.op === 'contains' ? any : `NOT ${any}`;
    }
    default: {
      const any = `(${f.values.map((v) => `match(${column}, ${add(v, 'String')})`).join(' OR ')})`;
      return f.op === 'matches' ? any : `NOT ${any}`;
    }
  }
}

export function importedStatement(input: ImportedInput): ImportedPlan {
  const time = input.dimensions.filter((d) => d === 'time' || d.startsWith('time:'));
  for (const t of time) {
    if (BUCKET[intervalOf(t, input.interval)] === undefined)
      return { ok: false, reason: `${t}: imported data is daily, not by ${intervalOf(t, input.interval)}` };
  }
  const plain = input.dimensions.filter((d) => !time.includes(d));
  const table = tableFor([...plain, ...input.filters.map((f) => f.dimension)]);
  if (!table.startsWith('imported_')) return { ok: false, reason: table };
  const t = table as ImportedTable;
  const params: Record<string, unknown> = { sites: input.sites, from: input.fromDay, to: input.toDay, zone: input.zone };
  let n = 0;
  const add = (value: unknown, type: string) => {
    const name = `f${n++}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };
  const dims = input.dimensions.map((d, i) => {
    const column = time.includes(d) ? (BUCKET[intervalOf(d, input.interval)] as string) : (COLUMNS[d]?.[t] as string);
    return `${column} AS d${i}`;
  });
  const where = [
    'site IN {sites:Array(String)}',
    'date BETWEEN {from:Date} AND {to:Date}',
    completeImportsSql(input.database, '{sites:Array(String)}'),
    // Native data wins: the site's days with events of its own are left out.
    `(site, date) NOT IN (SELECT DISTINCT site, toDate(timestamp, {zone:String}) FROM ${input.eventsTable ?? `${input.database}.${TABLES.events}`}
      WHERE site IN {sites:Array(String)} AND timestamp >= toDateTime64({from:Date}, 3, {zone:String})
        AND timestamp < toDateTime64({to:Date} + 1, 3, {zone:String}))`,
    ...input.filters.map((f) => leaf(f, COLUMNS[f.dimension]?.[t] as string, add)),
  ];
  const counts = Object.entries(COUNTS[t]).map(([name, sql]) => `${sql} AS ${name}`);
  const names = input.dimensions.map((_, i) => `d${i}`);
  const sql = `SELECT ${[...dims, ...counts].join(', ')}
    FROM ${input.database}.${t} AS t
    WHERE ${where.join('\n      AND ')}
    ${names.length > 0 ? `GROUP BY ${names.join(', ')}` : ''}`;
  return { ok: true, table: t, sql, params, dims: names };
}
