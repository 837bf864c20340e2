/**
 * Queue messages (docs/topic.md). A message carries the events of one send bound for one
 * partition:
 * - headers `tidemark-format` (`RowBinary`, or `JSONEachRow` for messages written by hand or
 *   by other tools), `tidemark-schema` (the schema version of its rows, `schema.ts`) and
 *   `tidemark-rows` (how many);
 * - a value a standard decoder reads: RowBinary rows and nothing else, which ClickHouse's own
 *   `RowBinary` format reads with the version's structure (or one JSON object per line);
 * - the key `<site>/<visitor_id>` of its first event (`partition.ts`).
 * Read too, from topics written before this contract: a message without headers that is a
 * format byte (1), a varint count and version-1 RowBinary rows; or one event's JSON.
 * The ingester checks each RowBinary row's structure and copies its bytes into the insert
 * body — no parse, no re-encode — and Kafka's per-message costs are paid per send and
 * partition instead of per event. The in-process queue keeps a send as the same messages.
 */
import { checkStoredEvent } from '../decode.ts';
import { SchemaVersionError, ValidationError } from '../errors.ts';
import type { StoredEvent } from '../event.ts';
import { keyOf } from './partition.ts';
import { RowBinaryWriter } from './row-binary.ts';
import { decodeRow, readVarint, scanRow } from './row-binary-read.ts';
import { SCHEMAS, type WireSchema, type WireSchemas } from './schema.ts';

/** The header names of the framing. */
export const HEADERS = { format: 'tidemark-format', schema: 'tidemark-schema', rows: 'tidemark-rows' } as const;
export type MessageFormat = 'RowBinary' | 'JSONEachRow';

/** The first byte of a message of the earlier framing (without headers). */
export const LEGACY_ROW_BINARY = 1;
/** A message is closed once it holds this many bytes (Kafka refuses messages over 1 MiB by default). */
const MESSAGE_BYTES = 256 * 1024;

/** A message as produced and consumed: headers are text. */
export interface WireMessage {
  key?: string | Buffer | null;
  value: Buffer;
  headers: Readonly<Record<string, string>>;
}

/** What a message holds, read from its headers (or its first bytes, for the earlier framing). */
export interface Frame {
  format: MessageFormat;
  /** The schema version of its rows; for a JSON message without headers, the lowest (1). */
  schema: WireSchema;
  rows: number;
  /** Where the rows start in the value (after the byte and count of the earlier framing). */
  start: number;
}

/**
 * The events as messages, in order, each at most about `messageBytes` (one event per
 * message at least). Throws a `ValidationError` for an event the table cannot hold.
 */
export function encodeMessages(events: readonly StoredEvent[], messageBytes = MESSAGE_BYTES): WireMessage[] {
  const messages: WireMessage[] = [];
  const schema = String(SCHEMAS.current.version);
  for (let i = 0; i < events.length; ) {
    const rows = new RowBinaryWriter(Math.min(messageBytes, (events.length - i) * 256) + 16);
    const first = i;
    while (i < events.length && (i === first || rows.length < messageBytes)) rows.event(events[i++] as StoredEvent);
    messages.push({
      key: keyOf(events[first] as StoredEvent),
      value: Buffer.from(rows.bytes()),
      headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: schema, [HEADERS.rows]: String(i - first) },
    });
  }
  return messages;
}

/**
 * The frame of a message. A `SchemaVersionError` for a version newer than `schemas` know
 * (not bad data: it must not be dead-lettered); a `ValidationError` for anything malformed.
 */
export function frameOf(message: Pick<WireMessage, 'value' | 'headers'>, schemas: WireSchemas = SCHEMAS): Frame {
  const { value, headers } = message;
  const format = headers[HEADERS.format];
  if (format === undefined) return legacyFrame(value, schemas);
  if (format !== 'RowBinary' && format !== 'JSONEachRow') throw new ValidationError(`message: unknown ${HEADERS.format} ${format}`);
  const versionText = headers[HEADERS.schema] ?? '';
  const version = /^[1-9]\d{0,8}$/.test(versionText) ? Number(versionText) : 0;
  if (version === 0) throw new ValidationError(`message: ${HEADERS.schema} must be a version number, not "${versionText}"`);
  const schema = schemas.of(version);
  if (schema === undefined) throw new SchemaVersionError(version, schemas.current.version);
  const rowsText = headers[HEADERS.rows];
  const rows = rowsText === undefined && format === 'JSONEachRow' ? countLines(value) : Number(rowsText);
  if (!Number.isInteger(rows) || rows < 1 || String(rows) !== String(rowsText ?? rows)) {
    throw new ValidationError(`message: ${HEADERS.rows} must be a count of at least 1`);
  }
  return { format, schema, rows, start: 0 };
}

/** How many events a message holds (1 when that cannot be told: the message is then dead-lettered or stops its partition). */
export function messageRows(message: Pick<WireMessage, 'value' | 'headers'>, schemas: WireSchemas = SCHEMAS): number {
  try {
    return frameOf(message, schemas).rows;
  } catch {
    return 1;
  }
}

/** The events of a message in any framing, as current-version events; throws as `frameOf` does. */
export function decodeMessage(message: Pick<WireMessage, 'value' | 'headers'>, schemas: WireSchemas = SCHEMAS): StoredEvent[] {
  const frame = frameOf(message, schemas);
  if (frame.format === 'JSONEachRow') return jsonEvents(message.value, frame, schemas);
  const { value } = message;
  const padding = schemas.padding(frame.schema.version);
  const events: StoredEvent[] = [];
  let pos = frame.start;
  for (let i = 0; i < frame.rows; i++) {
    const { end } = scanRow(value, pos, value.length, frame.schema);
    const row = padding.length === 0 ? value.subarray(pos, end) : Buffer.concat([value.subarray(pos, end), padding]);
    events.push(decodeRow(row, 0, row.length, schemas.current).event);
    pos = end;
  }
  if (pos !== value.length) throw new ValidationError('message: bytes after the last row');
  return events;
}

/** The events of a JSON message (one object per line), checked against its schema version. */
export function jsonEvents(value: Buffer, frame: Frame, schemas: WireSchemas = SCHEMAS): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (const line of value.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new ValidationError('message: not valid JSON');
    }
    events.push(checkStoredEvent(json, frame.schema.version, schemas));
  }
  if (events.length !== frame.rows) throw new ValidationError(`message: ${events.length} JSON lines, ${HEADERS.rows} says ${frame.rows}`);
  return events;
}

function countLines(value: Buffer): number {
  let lines = 0;
  for (const line of value.toString('utf8').split('\n')) if (line.trim() !== '') lines++;
  return lines;
}

/** A message without headers: the earlier RowBinary framing, or JSON (one event, or one per line). */
function legacyFrame(value: Buffer, schemas: WireSchemas): Frame {
  const first = schemas.of(1) as WireSchema;
  if (value[0] === LEGACY_ROW_BINARY) {
    const [rows, start] = readVarint(value, 1, value.length);
    if (rows === 0) throw new ValidationError('message: holds no event');
    return { format: 'RowBinary', schema: first, rows, start };
  }
  return { format: 'JSONEachRow', schema: first, rows: Math.max(1, countLines(value)), start: 0 };
}
