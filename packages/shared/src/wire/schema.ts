/**
 * The event columns on the topic, and their schema versions (docs/topic.md). A message's rows
 * are ClickHouse `RowBinary` rows of the columns of its version, in this order. A new version
 * only appends columns (`since` = the new version number): a row of an older version becomes
 * a row of the current one by appending the added columns' zero values (`padding`), so a newer
 * ingester reads every older version, and an older ingester stops at a version it does not know.
 *
 * Wire types: `LowCardinality(String)` travels as `String` (the server converts a column at a
 * time through `input()`, docs/storage.md); UUID = two UInt64 little-endian halves;
 * DateTime64(3) = Int64 ms, LE; Map = varint count, then key and value strings; String =
 * varint byte length + UTF-8.
 */
import type { StoredEvent } from '../event.ts';
import { KIND_OF, type WireType, ZERO_BYTES } from './column-kinds.ts';

/** One column: its name (a `StoredEvent` key), its type on the wire, and the schema version that added it. */
export type EventColumn = readonly [name: string, type: WireType, since: number];

/** The columns of `events` in table order (clickhouse/*.sql), each with the version that added it. */
export const EVENT_COLUMNS = [
  ['event_id', 'UUID', 1],
  ['site', 'String', 1],
  ['name', 'String', 1],
  ['timestamp', "DateTime64(3, 'UTC')", 1],
  ['visitor_id', 'UInt64', 1],
  ['session_id', 'UInt64', 1],
  ['pageview_id', 'UUID', 1],
  ['url', 'String', 1],
  ['host', 'String', 1],
  ['path', 'String', 1],
  ['query', 'String', 1],
  ['referrer', 'String', 1],
  ['referrer_host', 'String', 1],
  ['referrer_source', 'String', 1],
  ['utm_source', 'String', 1],
  ['utm_medium', 'String', 1],
  ['utm_campaign', 'String', 1],
  ['utm_term', 'String', 1],
  ['utm_content', 'String', 1],
  ['click_id', 'String', 1],
  ['country', 'String', 1],
  ['device', 'String', 1],
  ['browser', 'String', 1],
  ['browser_version', 'String', 1],
  ['os', 'String', 1],
  ['os_version', 'String', 1],
  ['screen_width', 'UInt16', 1],
  ['duration_ms', 'UInt32', 1],
  ['props', 'Map(String, String)', 1],
  // Version 2 (clickhouse/012_scroll_depth.sql): an engagement's scroll depth, in percent.
  ['scroll_depth', 'UInt16', 2],
  // Version 3 (clickhouse/045_region_city.sql): the region and city of the client's IP address (DB-IP City Lite).
  ['region', 'String', 3],
  ['city', 'String', 3],
] as const satisfies readonly (readonly [keyof StoredEvent, WireType, number])[];

/** The columns of one schema version. */
export interface WireSchema {
  version: number;
  columns: readonly EventColumn[];
  names: readonly string[];
  /** Each column's kind (`column-kinds.ts`), for the loops that walk a row. */
  kinds: readonly number[];
  /** `c1 T1, c2 T2, …`: the structure for ClickHouse's `format(RowBinary, …)` and `input(…)`. */
  structure: string;
}

/** Every version a build knows, up to its current one. */
export interface WireSchemas {
  current: WireSchema;
  /** Version `v`, or undefined for a version this build does not know (0, or newer than `current`). */
  of(version: number): WireSchema | undefined;
  /** The bytes that turn a row of version `v` into a row of the current version (the added columns' zero values). */
  padding(version: number): Buffer;
}

export function wireSchemas(columns: readonly EventColumn[]): WireSchemas {
  const last = Math.max(...columns.map(([, , since]) => since));
  const versions: WireSchema[] = [];
  const paddings: Buffer[] = [];
  for (let v = 1; v <= last; v++) {
    const mine = columns.filter(([, , since]) => since <= v);
    versions.push({
      version: v,
      columns: mine,
      names: mine.map(([n]) => n),
      kinds: mine.map(([, type]) => KIND_OF[type]),
      structure: mine.map(([n, type]) => `${n} ${type}`).join(', '),
    });
    paddings.push(Buffer.concat(columns.filter(([, , since]) => since > v).map(([, type]) => ZERO_BYTES[KIND_OF[type]] as Buffer)));
  }
  columns.forEach(([name, , since], i) => {
    if (i > 0 && since < (columns[i - 1]?.[2] ?? 1)) throw new Error(`column ${name}: a new version only appends columns`);
  });
  const current = versions[versions.length - 1] as WireSchema;
  return {
    current,
    of: (version) => versions[version - 1],
    padding: (version) => paddings[version - 1] ?? Buffer.alloc(0),
  };
}

/** The versions of this build. */
export const SCHEMAS = wireSchemas(EVENT_COLUMNS);
/** The version this build writes. */
export const SCHEMA_VERSION = SCHEMAS.current.version;
/** The column names, in table order. */
export const EVENT_COLUMN_NAMES: readonly string[] = SCHEMAS.current.names;
/** `c1, c2, …` for the INSERT's column list. */
export const EVENT_COLUMN_LIST = EVENT_COLUMN_NAMES.join(', ');
/** `c1 T1, c2 T2, …` for `input('…')`, quotes escaped for a SQL string literal. */
export const WIRE_STRUCTURE = SCHEMAS.current.structure.replaceAll("'", "\\'");
