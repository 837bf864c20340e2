/**
 * The Query API's request body (SPEC §10) → a checked, normalized `Query`. A bad query is a
 * `ValidationError` whose field is a JSON pointer into the body (`/filters/0/1`). Nothing of
 * the request becomes SQL text: names are checked against the vocabulary, values are kept
 * for bind parameters.
 */
import { SITE_NAME, ValidationError } from '@tidemark/shared';
import { DAY_OF_YEAR, integerRange } from '../patterns.ts';
import {
  type Dimension,
  FILTER_OPS,
  type FilterOp,
  isEventDimension,
  isTimeDimension,
  isVisitDimension,
  METRICS,
  type Metric,
  NAMED_RANGES,
  PROP_PREFIX,
} from './vocabulary.ts';
import { zoneName } from './zone.ts';

export type Filter =
  | { op: FilterOp; dimension: Dimension; values: string[]; pointer: string }
  | { op: 'and' | 'or'; filters: Filter[]; pointer: string }
  | { op: 'not'; filter: Filter; pointer: string };

export type Compare = 'previous_period' | 'year_over_year' | [string, string];

export interface Query {
  sites: string[];
  metrics: Metric[];
  dateRange: string | [string, string];
  timezone: string;
  dimensions: Dimension[];
  filters: Filter[];
  compare: Compare | null;
  orderBy: [string, 'asc' | 'desc'][];
  limit: number;
  offset: number;
  format: 'json' | 'csv';
  /** `imports`: imported history counts besides native events (SPEC §13); `totals` (default true): the answer's totals are computed. */
  include: { imports: boolean; totals: boolean };
}

export const MAX_LIMIT = 10_000;
const KEYS = [
  'site',
  'metrics',
  'dateRange',
  'timezone',
  'dimensions',
  'filters',
  'compare',
  'orderBy',
  'limit',
  'offset',
  'format',
  'include',
];
const SITE = new RegExp(SITE_NAME.source.replaceAll('a-z', 'A-Za-z'));
/**
 * The exact text of a window, a date, an instant and a custom property's dimension: these
 * validate the body and appear in `/openapi.json` (`schema.ts`), so what the document calls
 * well-formed is what the parser takes. Lengths count code points, as JSON Schema does.
 */
export const WINDOW_PATTERN = `^(?:(?:${integerRange(30, 86_400)})s|(?:${integerRange(1, 1440)})m|(?:${integerRange(1, 24)})h)$`;
export const DATE_PATTERN = `^${DAY_OF_YEAR}$`;
export const INSTANT_PATTERN = `^${DAY_OF_YEAR}T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,3})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`;
export const PROP_PATTERN = '^prop:[^\\u0000]{1,64}$';
/** Longest filter value, in code points. */
export const MAX_VALUE_CHARS = 2048;
const WINDOW = new RegExp(WINDOW_PATTERN);
const DATE = new RegExp(DATE_PATTERN);
const INSTANT = new RegExp(INSTANT_PATTERN);
const PROP = new RegExp(PROP_PATTERN, 'u');

function fail(message: string, pointer: string): never {
  throw new ValidationError(message, pointer);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function sites(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (value === undefined) fail('site: is required (a site, or an array of sites)', '/site');
  if (list.length === 0 || list.length > 100) fail('site: give 1 to 100 sites', '/site');
  return list.map((s, i) => {
    const pointer = Array.isArray(value) ? `/site/${i}` : '/site';
    if (typeof s !== 'string' || s.length === 0 || s.length > 253 || !SITE.test(s)) fail('site: must be a host name', pointer);
    return s.toLowerCase();
  });
}

/** A window `30s` … `24h` in ms, or null when `text` is not a window. */
export function windowMs(text: string): number | null {
  if (!WINDOW.test(text)) return null;
  return Number(text.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[text.at(-1) as 's' | 'm' | 'h'];
}

const validDate = (text: string) => DATE.test(text);

/** The length of `text` in code points (a JSON Schema `maxLength`'s count), without spreading short strings. */
function codePoints(text: string): number {
  if (text.length <= MAX_VALUE_CHARS) return text.length; // never more code points than UTF-16 units
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function dateRange(value: unknown, pointer: string, what = 'dateRange'): string | [string, string] {
  if (typeof value === 'string') {
    if ((NAMED_RANGES as readonly string[]).includes(value) || windowMs(value) !== null) return value;
    fail(`${what}: must be one of ${NAMED_RANGES.join(', ')}, a window 30s … 24h, or [from, to]`, pointer);
  }
  if (!Array.isArray(value) || value.length !== 2) fail(`${what}: must be a named range or [from, to]`, pointer);
  const [from, to] = value as unknown[];
  const dates = typeof from === 'string' && typeof to === 'string' && validDate(from) && validDate(to);
  const instants = typeof from === 'string' && typeof to === 'string' && INSTANT.test(from) && INSTANT.test(to);
  if (!dates && !instants) {
    const bad = typeof from === 'string' && (validDate(from) || INSTANT.test(from)) ? 1 : 0;
    fail(`${what}: [from, to] must be two dates (YYYY-MM-DD) or two ISO 8601 instants with an offset`, `${pointer}/${bad}`);
  }
  const [f, t] = [from as string, to as string];
  if (dates ? f > t : Date.parse(f) > Date.parse(t)) fail(`${what}: from is after to`, `${pointer}/0`);
  return [f, t];
}

function dimension(value: unknown, pointer: string, allowTime: boolean): Dimension {
  if (typeof value !== 'string') fail('dimension: must be a string', pointer);
  if (value.startsWith(PROP_PREFIX)) {
    if (!PROP.test(value)) fail('dimension: prop:<key> needs a key of 1–64 characters', pointer);
    return value as Dimension;
  }
  if (isEventDimension(value) || isVisitDimension(value)) return value;
  if (isTimeDimension(value)) {
    if (!allowTime) fail(`dimension: ${value} cannot be filtered on (the date range selects time)`, pointer);
    return value;
  }
  fail(`dimension: unknown dimension ${JSON.stringify(value).slice(0, 80)}`, pointer);
}

export function filter(value: unknown, pointer: string, depth: number): Filter {
  if (depth > 8) fail('filters: nested more than 8 levels', pointer);
  if (!Array.isArray(value) || value.length === 0)
    fail('filters: each filter is [op, dimension, values], ["and"|"or", [...]] or ["not", filter]', pointer);
  const [op] = value;
  if (op === 'and' || op === 'or') {
    const list = value[1];
    if (value.length !== 2 || !Array.isArray(list) || list.length === 0 || list.length > 50)
      fail(`filters: ${op} takes a list of 1 to 50 filters`, `${pointer}/1`);
    return { op, filters: list.map((f, i) => filter(f, `${pointer}/1/${i}`, depth + 1)), pointer };
  }
  if (op === 'not') {
    if (value.length !== 2) fail('filters: not takes one filter', pointer);
    return { op, filter: filter(value[1], `${pointer}/1`, depth + 1), pointer };
  }
  if (typeof op !== 'string' || !(FILTER_OPS as readonly string[]).includes(op))
    fail(`filters: unknown operator; one of ${FILTER_OPS.join(', ')}, and, or, not`, `${pointer}/0`);
  if (value.length !== 3) fail('filters: [op, dimension, values]', pointer);
  const dim = dimension(value[1], `${pointer}/1`, false);
  const values = value[2];
  if (!Array.isArray(values) || values.length === 0 || values.length > 100)
    fail('filters: values must be a list of 1 to 100 strings', `${pointer}/2`);
  values.forEach((v, i) => {
    if (typeof v !== 'string' || codePoints(v) > MAX_VALUE_CHARS)
      fail(`filters: each value must be a string of at most ${MAX_VALUE_CHARS} characters`, `${pointer}/2/${i}`);
  });
  return { op: op as FilterOp, dimension: dim, values: values as string[], pointer };
}

/**
 * A list of at most `max` filters, `pointer` its JSON pointer. `depth` 1 (a shared link's locked
 * filters, SPEC §11) leaves them room to be held in one `and` (`withLocked`) within the nesting limit.
 */
export function parseFilters(value: unknown, pointer: string, max: number, depth = 0): Filter[] {
  if (!Array.isArray(value) || value.length > max) fail(`filters: a list of at most ${max} filters`, pointer);
  return value.map((f, i) => filter(f, `${pointer}/${i}`, depth));
}

/**
 * A query's own filters and a shared link's locked ones, which must all hold: the locked ones as
 * one `and` after the query's own (whose JSON pointers stay theirs). Filters that are not a list
 * stay as they are, for the parser to refuse.
 */
export function withLocked(locked: readonly unknown[], own: unknown): unknown {
  if (locked.length === 0 || (own !== undefined && !Array.isArray(own))) return own;
  return [...(own ?? []), ['and', locked]];
}

function integer(value: unknown, pointer: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(`${pointer.slice(1)}: must be an integer from ${min} to ${max}`, pointer);
  return value;
}

function include(value: unknown): Query['include'] {
  if (value === undefined) return { imports: false, totals: true };
  if (!isObject(value)) fail('include: must be an object, e.g. { "imports": true }', '/include');
  for (const key of Object.keys(value))
    if (key !== 'imports' && key !== 'totals')
      fail(`include: unknown key ${JSON.stringify(key).slice(0, 60)}; only "imports" and "totals"`, '/include');
  if (value.imports !== undefined && typeof value.imports !== 'boolean') fail('include: imports must be true or false', '/include/imports');
  if (value.totals !== undefined && typeof value.totals !== 'boolean') fail('include: totals must be true or false', '/include/totals');
  return { imports: value.imports === true, totals: value.totals !== false };
}

export interface ParseOptions {
  /** The default time zone of a site (SPEC §11's registry), else UTC. */
  siteTimezone?: (site: string) => string | null;
  /** `Accept: text/csv` asked for CSV. */
  acceptCsv?: boolean;
}

export function parseQuery(body: unknown, options: ParseOptions = {}): Query {
  if (!isObject(body)) fail('body: must be a JSON object', '');
  for (const key of Object.keys(body))
    if (!KEYS.includes(key)) fail(`unknown key ${JSON.stringify(key).slice(0, 60)}`, `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  const siteList = sites(body.site);
  if (!Array.isArray(body.metrics) || body.metrics.length === 0 || body.metrics.length > METRICS.length)
    fail(`metrics: a list of 1 to ${METRICS.length} of ${METRICS.join(', ')}`, '/metrics');
  const metrics = body.metrics.map((m, i) => {
    if (typeof m !== 'string' || !(METRICS as readonly string[]).includes(m))
      fail(`metrics: unknown metric; one of ${METRICS.join(', ')}`, `/metrics/${i}`);
    return m as Metric;
  });
  new Set(metrics).size !== metrics.length && fail('metrics: a metric is listed twice', '/metrics');
  const range = dateRange(body.dateRange ?? '7d', '/dateRange');
  const fallbackZone = siteList.map((s) => options.siteTimezone?.(s) ?? 'UTC');
  const given = body.timezone ?? (new Set(fallbackZone).size === 1 ? fallbackZone[0] : 'UTC');
  const timezone = typeof given === 'string' ? zoneName(given) : null;
  if (timezone === null) fail('timezone: unknown IANA time zone', '/timezone');
  if (body.dimensions !== undefined && (!Array.isArray(body.dimensions) || body.dimensions.length > 5))
    fail('dimensions: a list of at most 5 dimensions', '/dimensions');
  const dimensions = ((body.dimensions as unknown[] | undefined) ?? []).map((d, i) => dimension(d, `/dimensions/${i}`, true));
  if (new Set(dimensions).size !== dimensions.length) fail('dimensions: a dimension is listed twice', '/dimensions');
  if (dimensions.filter(isTimeDimension).length > 1) fail('dimensions: at most one time dimension', '/dimensions');
  const filters = body.filters === undefined ? [] : parseFilters(body.filters, '/filters', 50);
  let compare: Compare | null = null;
  if (body.compare !== undefined && body.compare !== null) {
    if (body.compare === 'previous_period' || body.compare === 'year_over_year') compare = body.compare;
    else if (Array.isArray(body.compare)) {
      const r = dateRange(body.compare, '/compare', 'compare');
      if (!Array.isArray(r)) fail('compare: previous_period, year_over_year or [from, to]', '/compare');
      compare = r;
    } else fail('compare: previous_period, year_over_year or [from, to]', '/compare');
  }
  if (metrics.includes('conversion_rate') || metrics.includes('conversions')) {
    const goalUsed = dimensions.includes('goal') || mentions(filters, 'goal') || mentions(filters, 'event');
    if (!goalUsed) fail('metrics: conversions and conversion_rate need a goal (or event) filter or the goal dimension', '/metrics');
  }
  const timeDim = dimensions.find(isTimeDimension);
  const names = new Set<string>([...metrics, ...dimensions]);
  let orderBy: [string, 'asc' | 'desc'][];
  if (body.orderBy === undefined) orderBy = timeDim ? [[timeDim, 'asc']] : [[metrics[0] as string, 'desc']];
  else {
    if (!Array.isArray(body.orderBy) || body.orderBy.length === 0 || body.orderBy.length > 10)
      fail('orderBy: a list of [name, "asc"|"desc"]', '/orderBy');
    orderBy = body.orderBy.map((o, i) => {
      if (!Array.isArray(o) || o.length !== 2) fail('orderBy: each entry is [name, "asc"|"desc"]', `/orderBy/${i}`);
      if (typeof o[0] !== 'string' || !names.has(o[0])) fail('orderBy: order by a metric or dimension of the query', `/orderBy/${i}/0`);
      if (o[1] !== 'asc' && o[1] !== 'desc') fail('orderBy: direction is "asc" or "desc"', `/orderBy/${i}/1`);
      return [o[0], o[1]] as [string, 'asc' | 'desc'];
    });
  }
  const limit = integer(body.limit, '/limit', 1, MAX_LIMIT, 100);
  const offset = integer(body.offset, '/offset', 0, 1_000_000, 0);
  if (body.format !== undefined && body.format !== 'json' && body.format !== 'csv') fail('format: "json" or "csv"', '/format');
  const format = body.format === 'csv' || (body.format === undefined && options.acceptCsv) ? 'csv' : 'json';
  return {
    sites: siteList,
    metrics,
    dateRange: range,
    timezone,
    dimensions,
    filters,
    compare,
    orderBy,
    limit,
    offset,
    format,
    include: include(body.include),
  };
}

/** True when a filter (at any depth) is on `dimension`. */
export function mentions(filters: readonly Filter[], dimension: string): boolean {
  return filters.some((f) =>
    'dimension' in f ? f.dimension === dimension : 'filters' in f ? mentions(f.filters, dimension) : mentions([f.filter], dimension),
  );
}

/** The query as the answer repeats it: defaults filled, in the request's own shape. */
export function echo(q: Query): Record<string, unknown> {
  const filterJson = (f: Filter): unknown =>
    'dimension' in f ? [f.op, f.dimension, f.values] : 'filters' in f ? [f.op, f.filters.map(filterJson)] : [f.op, filterJson(f.filter)];
  return {
    site: q.sites.length === 1 ? q.sites[0] : q.sites,
    metrics: q.metrics,
    dateRange: q.dateRange,
    timezone: q.timezone,
    dimensions: q.dimensions,
    filters: q.filters.map(filterJson),
    compare: q.compare,
    orderBy: q.orderBy,
    limit: q.limit,
    offset: q.offset,
    format: q.format,
    include: q.include,
  };
}
