/**
 * RowBinary rows as `JSONEachRow` lines, written straight from the row's bytes into one
 * growing buffer: no event object and no JS string per value. The embedded engine takes text
 * insert bodies only, so this is how the rows of RowBinary messages reach it. Strings are
 * copied as their bytes with `JSON.stringify`'s escapes (`"`, `\`, control characters); the other types
 * are written as ClickHouse reads them (UUID and DateTime64 as text, UInt64 quoted). The
 * line of a row is the same JSON object `JSON.stringify(decodeRow(…).event)` would give.
 * Bytes that are not UTF-8 (a hand-made message) stay as they are: the engine stores them as
 * a server stores the same RowBinary bytes (checked with chdb), rather than refusing the insert.
 */

import { ByteWriter } from './byte-writer.ts';
import { STRING, TIME, UINT16, UINT32, UINT64, UUID } from './column-kinds.ts';
import { readVarint } from './row-binary-read.ts';
import { SCHEMAS, type WireSchema } from './schema.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = Buffer.from('0123456789abcdef');
/** The short escapes `JSON.stringify` uses for control characters (`\b \t \n \f \r`), 0 for `\u00XX`. */
const SHORT = new Uint8Array(0x20);
SHORT[0x08] = 0x62;
SHORT[0x09] = 0x74;
SHORT[0x0a] = 0x6e;
SHORT[0x0c] = 0x66;
SHORT[0x0d] = 0x72;
const TWO_32 = 0x1_0000_0000;
const DAY_MS = 86_400_000;

export class JsonLinesWriter extends ByteWriter {
  /** The last day written, and its `"YYYY-MM-DD ` text. */
  private day = Number.NaN;
  private dayText = Buffer.alloc(0);
  private readonly kinds: readonly number[];
  /** `{"event_id":`, `,"site":`, … in column order. */
  private readonly keys: Buffer[];

  /** Writes rows of `schema` (the current version unless told). */
  constructor(initialBytes?: number, schema: WireSchema = SCHEMAS.current) {
    super(initialBytes);
    this.kinds = schema.kinds;
    this.keys = schema.names.map((name, c) => Buffer.from(`${c === 0 ? '{' : ','}"${name}":`));
  }

  /** Appends bytes as they are (a JSON message) and a newline. */
  line(bytes: Buffer): void {
    this.copy(bytes);
    this.byte(0x0a);
  }

  /** Appends the row that starts at `pos` of `src` as one line. The row must have passed `scanRow`. */
  row(src: Buffer, pos: number): void {
    const kinds = this.kinds;
    for (let c = 0; c < kinds.length; c++) {
      this.raw(this.keys[c] as Buffer);
      switch (kinds[c]) {
        case UUID:
          this.uuid(src, pos);
          pos += 16;
          break;
        case STRING:
          pos = this.string(src, pos);
          break;
        case TIME:
          this.time(src.readInt32LE(pos + 4) * TWO_32 + src.readUInt32LE(pos));
          pos += 8;
          break;
        case UINT64:
          this.byte(QUOTE);
          this.ascii(uint64Text(src, pos));
          this.byte(QUOTE);
          pos += 8;
          break;
        case UINT16:
          this.ascii(String(src.readUInt16LE(pos)));
          pos += 2;
          break;
        case UINT32:
          this.ascii(String(src.readUInt32LE(pos)));
          pos += 4;
          break;
        default: {
          const [pairs, at] = readVarint(src, pos, src.length);
          pos = at;
          this.byte(0x7b); // {
          for (let i = 0; i < pairs; i++) {
            if (i > 0) this.byte(0x2c); // ,
            pos = this.string(src, pos);
            this.byte(0x3a); // :
            pos = this.string(src, pos);
          }
          this.byte(0x7d); // }
        }
      }
    }
    this.ensure(2);
    this.buf[this.pos++] = 0x7d; // }
    this.buf[this.pos++] = 0x0a;
  }

  /** A few bytes (a key, a time): a JS loop, cheaper than a native copy at these sizes. */
  private raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i] as number;
    this.pos = p;
  }

  /** An ASCII string (digits). */
  private ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** A RowBinary String at `pos` as a JSON string; returns where it ends. */
  private string(src: Buffer, pos: number): number {
    const [n, start] = readVarint(src, pos, src.length);
    const end = start + n;
    this.ensure(n * 6 + 2); // every byte escaped as \u00XX at worst
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let i = start; i < end; i++) {
      const b = src[i] as number;
      if (b === QUOTE || b === BACKSLASH) {
        buf[p++] = BACKSLASH;
        buf[p++] = b;
      } else if (b < 0x20) {
        buf[p++] = BACKSLASH;
        const short = SHORT[b] as number;
        if (short !== 0) {
          buf[p++] = short;
          continue;
        }
        buf[p++] = 0x75; // u
        buf[p++] = 0x30;
        buf[p++] = 0x30;
        buf[p++] = HEX[b >> 4] as number;
        buf[p++] = HEX[b & 15] as number;
      } else {
        buf[p++] = b;
      }
    }
    buf[p++] = QUOTE;
    this.pos = p;
    return end;
  }

  /** A UUID's text from its RowBinary form (two little-endian UInt64 halves), quoted. */
  private uuid(src: Buffer, pos: number): void {
    this.ensure(38);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let k = 0; k < 16; k++) {
      const b = src[pos + (k < 8 ? 7 - k : 23 - k)] as number;
      buf[p++] = HEX[b >> 4] as number;
      buf[p++] = HEX[b & 15] as number;
      if (k === 3 || k === 5 || k === 7 || k === 9) buf[p++] = 0x2d; // -
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  /** `"YYYY-MM-DD hh:mm:ss.sss"` (UTC): the date formatted once per day, the rest by arithmetic. */
  private time(ms: number): void {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.dayText = Buffer.from(`"${new Date(day * DAY_MS).toISOString().slice(0, 10)} `, 'latin1');
    }
    this.raw(this.dayText);
    let rest = ms - day * DAY_MS; // ms into the day
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    const fraction = rest - seconds * 1000;
    this.ensure(14);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x30 + Math.floor(hours / 10);
    buf[p++] = 0x30 + (hours % 10);
    buf[p++] = 0x3a; // :
    buf[p++] = 0x30 + Math.floor(minutes / 10);
    buf[p++] = 0x30 + (minutes % 10);
    buf[p++] = 0x3a;
    buf[p++] = 0x30 + Math.floor(seconds / 10);
    buf[p++] = 0x30 + (seconds % 10);
    buf[p++] = 0x2e; // .
    buf[p++] = 0x30 + Math.floor(fraction / 100);
    buf[p++] = 0x30 + (Math.floor(fraction / 10) % 10);
    buf[p++] = 0x30 + (fraction % 10);
    buf[p++] = QUOTE;
    this.pos = p;
  }
}

/**
 * The decimal text of the little-endian UInt64 at `pos`, without BigInt: its four 16-bit
 * limbs divided by 10 000 at a time (every partial remainder stays under 2^30).
 */
export function uint64Text(src: Buffer, pos: number): string {
  const lo = src.readUInt32LE(pos);
  const hi = src.readUInt32LE(pos + 4);
  if (hi < 0x200000) return String(hi * 0x1_0000_0000 + lo); // under 2^53: exact as a double
  let a = hi >>> 16;
  let b = hi & 0xffff;
  let c = lo >>> 16;
  let d = lo & 0xffff;
  let text = '';
  while (a !== 0 || b !== 0 || c !== 0 || d !== 0) {
    let r = a % 10_000;
    a = (a - r) / 10_000;
    let n = r * 0x10000 + b;
    r = n % 10_000;
    b = (n - r) / 10_000;
    n = r * 0x10000 + c;
    r = n % 10_000;
    c = (n - r) / 10_000;
    n = r * 0x10000 + d;
    r = n % 10_000;
    d = (n - r) / 10_000;
    const group = String(r);
    text = a !== 0 || b !== 0 || c !== 0 || d !== 0 ? `${'0000'.slice(group.length)}${group}${text}` : `${group}${text}`;
  }
  return text;
}
