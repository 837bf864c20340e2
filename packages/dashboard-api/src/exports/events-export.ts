/**
 * A site's raw events for a range, as ClickHouse writes them (SPEC §13): `CSVWithNames` or
 * `Parquet`, every column of `events` in table order (ids as text, `props` as a JSON object in
 * CSV and a map in Parquet, `timestamp` UTC), ordered by time. Streamed: from a server, its HTTP
 * answer as it comes; from the engine in-process (which hands results over whole), through a
 * temporary file that ClickHouse writes (`INTO OUTFILE`) and that is read back in chunks and
 * removed. The first line of work is a count, sent as `X-Tidemark-Export-Rows` for progress.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type ClickHouseClient, EVENT_COLUMN_NAMES, isEmbeddedClient, ValidationError } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { DATE_PATTERN, INSTANT_PATTERN } from '../v2/parse.ts';
import { zoneName } from '../v2/zone.ts';

export const EXPORT_FORMATS = { csv: 'CSVWithNames', parquet: 'Parquet' } as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;
export const EXPORT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' };

/** The range: whole days in a time zone (both included), or two instants (`from` included, `to` not). */
export type ExportRange = { kind: 'days'; from: string; to: string; timezone: string } | { kind: 'instants'; from: number; to: number };

export interface ExportRequest {
  site: string;
  range: ExportRange;
  format: ExportFormat;
}

// The patterns of the Query API (and of /openapi.json): real dates; instants with an offset.
const DAY = new RegExp(DATE_PATTERN);
const INSTANT = new RegExp(INSTANT_PATTERN);
/** The days ClickHouse's Date32 holds: a range reaching past them is cut to them. */
const FIRST_DAY = '1900-01-01';
const LAST_DAY = '2299-12-31';

/** `from`, `to` (both dates or both ISO instants), `format` (csv, parquet), `timezone` (for dates; default UTC). */
export function parseExportRange(query: { from?: string; to?: string; timezone?: string }): ExportRange {
  const { from, to } = query;
  if (from === undefined) throw new ValidationError('from: is required (YYYY-MM-DD or an ISO 8601 time)', 'from');
  if (to === undefined) throw new ValidationError('to: is required (YYYY-MM-DD or an ISO 8601 time)', 'to');
  if (DAY.test(from) && DAY.test(to)) {
    if (to < from) throw new ValidationError('to: must not be before from', 'to');
    const timezone = zoneName(query.timezone ?? 'UTC');
    if (timezone === null) throw new ValidationError('timezone: not an IANA time zone', 'timezone');
    const clamp = (day: string) => (day < FIRST_DAY ? FIRST_DAY : day > LAST_DAY ? LAST_DAY : day);
    return { kind: 'days', from: clamp(from), to: clamp(to), timezone };
  }
  if (query.timezone !== undefined) throw new ValidationError('timezone: only with dates (YYYY-MM-DD)', 'timezone');
  const fromMs = INSTANT.test(from) ? Date.parse(from) : Number.NaN;
  const toMs = INSTANT.test(to) ? Date.parse(to) : Number.NaN;
  if (Number.isNaN(fromMs))
    throw new ValidationError('from: must be YYYY-MM-DD or an ISO 8601 time with a zone (both dates or both times)', 'from');
  if (Number.isNaN(toMs))
    throw new ValidationError('to: must be YYYY-MM-DD or an ISO 8601 time with a zone (both dates or both times)', 'to');
  if (toMs <= fromMs) throw new ValidationError('to: must be after from', 'to');
  return { kind: 'instants', from: fromMs, to: toMs };
}

export function parseExportFormat(value: string | undefined): ExportFormat {
  const format = value ?? 'csv';
  if (format !== 'csv' && format !== 'parquet') throw new ValidationError('format: must be csv or parquet', 'format');
  return format;
}

/** Column expressions: ids as text (portable in both formats), props as JSON text in CSV. */
function columns(format: ExportFormat): string {
  return EVENT_COLUMN_NAMES.map((name) => {
    if (name === 'event_id' || name === 'pageview_id') return `toString(${name}) AS ${name}`;
    if (name === 'props' && format === 'csv') return 'toJSONString(props) AS props';
    if (name === 'site' || name === 'name') return `toString(${name}) AS ${name}`;
    return name;
  }).join(', ');
}

function where(request: ExportRequest): { sql: string; params: Record<string, unknown> } {
  const { site, range } = request;
  if (range.kind === 'days') {
    return {
      sql: 'site = {site:String} AND toDate(timestamp, {tz:String}) BETWEEN {from:Date32} AND {to:Date32}',
      params: { site, tz: range.timezone, from: range.from, to: range.to },
    };
  }
  return {
    sql: "site = {site:String} AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')",
    params: { site, from: range.from, to: range.to },
  };
}

/** How many events the export holds. */
export async function countExport(client: ClickHouseClient, tables: Tables, request: ExportRequest): Promise<number> {
  const w = where(request);
  const result = await client.query({
    query: `SELECT count() AS n FROM ${tables.events} WHERE ${w.sql}`,
    query_params: w.params,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

export interface ExportStream {
  stream: Readable;
  /** Known when the file was written first (the in-process engine). */
  bytes: number | null;
}

/** Streams the export; the caller sends `stream` and must consume or destroy it. */
export async function streamExport(client: ClickHouseClient, tables: Tables, request: ExportRequest): Promise<ExportStream> {
  const w = where(request);
  const select = `SELECT ${columns(request.format)} FROM ${tables.events} WHERE ${w.sql} ORDER BY timestamp`;
  const format = EXPORT_FORMATS[request.format];
  if (!isEmbeddedClient(client)) {
    const result = await client.exec({ query: `${select} FORMAT ${format}`, query_params: w.params });
    return { stream: result.stream, bytes: null };
  }
  // The path is made here, never from a request.
  const path = join(tmpdir(), `tidemark-export-${randomBytes(8).toString('hex')}.${request.format}`);
  try {
    const written = await client.exec({ query: `${select} INTO OUTFILE '${path}' TRUNCATE FORMAT ${format}`, query_params: w.params });
    written.stream.resume();
    const { size } = await stat(path);
    const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
    stream.once('close', () => void unlink(path).catch(() => {}));
    return { stream, bytes: size };
  } catch (error) {
    await unlink(path).catch(() => {});
    throw error;
  }
}

/** `site-2026-01-01-2026-01-31.csv` */
export function exportFileName(request: ExportRequest): string {
  const { range } = request;
  const span =
    range.kind === 'days'
      ? `${range.from}-${range.to}`
      : `${new Date(range.from).toISOString().slice(0, 10)}-${new Date(range.to).toISOString().slice(0, 10)}`;
  return `${request.site}-${span}.${request.format}`;
}
