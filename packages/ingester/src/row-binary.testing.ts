/**
 * Test helper: reads back what `RowBinaryWriter` wrote (the inverse, with no checks), so
 * unit tests and fakes of ClickHouse can look at the rows of an insert body.
 */
import type { StoredEvent } from '@tidemark/shared';
import { EVENT_COLUMNS } from './row-binary.ts';

export function decodeEvents(buf: Buffer): StoredEvent[] {
  let pos = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++] ?? 0;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  };
  const string = () => {
    const n = varint();
    pos += n;
    return buf.toString('utf8', pos - n, pos);
  };
  const uuid = () => {
    const bytes = Buffer.concat([
      Buffer.from(buf.subarray(pos, pos + 8)).reverse(),
      Buffer.from(buf.subarray(pos + 8, pos + 16)).reverse(),
    ]);
    pos += 16;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  const rows: StoredEvent[] = [];
  while (pos < buf.length) {
    const row: Record<string, unknown> = {};
    for (const [name, type] of EVENT_COLUMNS) {
      if (type === 'UUID') row[name] = uuid();
      else if (type === 'String') row[name] = string();
      else if (type === 'UInt64') {
        row[name] = buf.readBigUInt64LE(pos).toString();
        pos += 8;
      } else if (type === 'UInt16') {
        row[name] = buf.readUInt16LE(pos);
        pos += 2;
      } else if (type === 'UInt32') {
        row[name] = buf.readUInt32LE(pos);
        pos += 4;
      } else if (type === 'Map(String, String)') {
        const m: Record<string, string> = {};
        for (let n = varint(); n > 0; n--) {
          const k = string();
          m[k] = string();
        }
        row[name] = m;
      } else {
        row[name] = new Date(Number(buf.readBigInt64LE(pos))).toISOString().replace('T', ' ').slice(0, 23);
        pos += 8;
      }
    }
    rows.push(row as unknown as StoredEvent);
  }
  return rows;
}
