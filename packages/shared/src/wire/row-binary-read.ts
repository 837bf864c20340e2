/**
 * Reading `RowBinary` rows of a schema version (`schema.ts`), with bounds checks: `scanRow`
 * walks one row without building it (the ingester's hot path: is this a well-formed row,
 * where does it end, what is its time?), `decodeRow` builds the `StoredEvent` of a row of the
 * current version (`topic tail`, tests, diagnostics).
 */
import { ValidationError } from '../errors.ts';
import { type StoredEvent, toClickHouseTime } from '../event.ts';
import { STRING, TIME, UINT16, UINT32, UINT64, UUID } from './column-kinds.ts';
import { SCHEMAS, type WireSchema } from './schema.ts';

/** DateTime64(3)'s range, 1900-01-01 to 2299-12-31, in ms. */
const MIN_MS = Date.UTC(1900, 0, 1);
const MAX_MS = Date.UTC(2300, 0, 1) - 1;
const TWO_32 = 0x1_0000_0000;

function broken(what: string): never {
  throw new ValidationError(`message: ${what}`);
}

/** Where one row ends, and its time. */
export interface RowScan {
  end: number;
  timestampMs: number;
}

/** A varint's value and end; throws past `limit`. */
export function readVarint(buf: Buffer, pos: number, limit: number): [number, number] {
  let n = 0;
  let shift = 0;
  for (;;) {
    if (pos >= limit || shift > 28) broken('truncated or oversized length');
    const b = buf[pos++] as number;
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [n, pos];
    shift += 7;
  }
}

/** Checks that a well-formed row of `schema` starts at `pos` and ends within `limit`; returns its end and time. */
export function scanRow(buf: Buffer, pos: number, limit = buf.length, schema: WireSchema = SCHEMAS.current): RowScan {
  const kinds = schema.kinds;
  let timestampMs = 0;
  for (let c = 0; c < kinds.length; c++) {
    switch (kinds[c]) {
      case UUID:
        pos += 16;
        break;
      case STRING: {
        const [n, at] = readVarint(buf, pos, limit);
        pos = at + n;
        break;
      }
      case TIME: {
        if (pos + 8 > limit) broken('truncated');
        timestampMs = buf.readInt32LE(pos + 4) * TWO_32 + buf.readUInt32LE(pos);
        if (timestampMs < MIN_MS || timestampMs > MAX_MS) broken('timestamp out of range');
        pos += 8;
        break;
      }
      case UINT64:
        pos += 8;
        break;
      case UINT16:
        pos += 2;
        break;
      case UINT32:
        pos += 4;
        break;
      default: {
        const [pairs, at] = readVarint(buf, pos, limit);
        pos = at;
        for (let i = 0; i < 2 * pairs; i++) {
          const [n, next] = readVarint(buf, pos, limit);
          pos = next + n;
        }
      }
    }
    if (pos > limit) broken(`truncated in ${schema.names[c]}`);
  }
  return { end: pos, timestampMs };
}

/** A UUID's text from its RowBinary form (two little-endian UInt64 halves). */
export function uuidAt(buf: Buffer, pos: number): string {
  let hex = '';
  for (let k = 0; k < 16; k++) {
    const byte = buf[pos + (k < 8 ? 7 - k : 23 - k)] as number;
    hex += (byte < 16 ? '0' : '') + byte.toString(16);
    if (k === 3 || k === 5 || k === 7 || k === 9) hex += '-';
  }
  return hex;
}

/** Builds the event of the row of `schema` (the current version unless told) at `pos`, checked by `scanRow` first. */
export function decodeRow(
  buf: Buffer,
  pos: number,
  limit = buf.length,
  schema: WireSchema = SCHEMAS.current,
): { event: StoredEvent; end: number } {
  const { kinds, names } = schema;
  const { end } = scanRow(buf, pos, limit, schema);
  const row: Record<string, unknown> = {};
  const string = () => {
    const [n, at] = readVarint(buf, pos, limit);
    pos = at + n;
    return buf.toString('utf8', at, pos);
  };
  for (let c = 0; c < kinds.length; c++) {
    const name = names[c] as string;
    switch (kinds[c]) {
      case UUID:
        row[name] = uuidAt(buf, pos);
        pos += 16;
        break;
      case STRING:
        row[name] = string();
        break;
      case TIME:
        row[name] = toClickHouseTime(buf.readInt32LE(pos + 4) * TWO_32 + buf.readUInt32LE(pos));
        pos += 8;
        break;
      case UINT64:
        row[name] = buf.readBigUInt64LE(pos).toString();
        pos += 8;
        break;
      case UINT16:
        row[name] = buf.readUInt16LE(pos);
        pos += 2;
        break;
      case UINT32:
        row[name] = buf.readUInt32LE(pos);
        pos += 4;
        break;
      default: {
        const props: Record<string, string> = {};
        let [pairs, at] = readVarint(buf, pos, limit);
        pos = at;
        for (; pairs > 0; pairs--) {
          const key = string();
          // An own property even for `__proto__`, never the prototype.
          Object.defineProperty(props, key, { value: string(), enumerable: true, writable: true, configurable: true });
        }
        row[name] = props;
      }
    }
  }
  return { event: row as unknown as StoredEvent, end };
}

/** Every row of a RowBinary body of `schema` (an insert body: the ingester's visits, tests, diagnostics). */
export function decodeRows(buf: Buffer, schema: WireSchema = SCHEMAS.current): StoredEvent[] {
  const rows: StoredEvent[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const { event, end } = decodeRow(buf, pos, buf.length, schema);
    rows.push(event);
    pos = end;
  }
  return rows;
}
