/**
 * `StoredEvent`s as ClickHouse `RowBinary` rows of the current schema version (`schema.ts`:
 * the columns, in order, and their wire types), into one growing Buffer per batch. A value
 * the engine would store wrongly (a `visitor_id` that is not a UInt64, a screen width over
 * 65 535, 2026-02-30) throws a `ValidationError` and leaves the buffer as it was before the
 * row, so the caller can refuse or dead-letter that event and go on. `event()` writes the
 * columns in `EVENT_COLUMNS` order; a column added there is added here too (docs/topic.md).
 */
import { ValidationError } from '../errors.ts';
import type { StoredEvent } from '../event.ts';
import { ByteWriter } from './byte-writer.ts';

const TWO_32 = 0x1_0000_0000;
/** Hex digit value by char code, -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Where each UUID byte's hex pair starts in the text, and where the byte goes on the wire. */
const UUID_PAIRS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const UUID_BYTES = [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8];
/** Positions of the digits in `YYYY-MM-DD hh:mm:ss.sss`. */
const TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/** The digit at `i` (-1 if it is not one). */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

function pair(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
}

function invalid(column: string, what: string): never {
  throw new ValidationError(`${column}: ${what}`, column);
}

export class RowBinaryWriter extends ByteWriter {
  /** The last `YYYY-MM-DD hh:mm:ss` checked, and its ms since the epoch. */
  private lastSecond = '\0';
  private lastSecondMs = 0;

  /** Drops what was written from `start` on (a row found to be a duplicate). */
  truncate(start: number): void {
    this.pos = Math.min(this.pos, start);
  }

  /** The 16 bytes written at `start` (a row's event id) as a latin1 string, a cheap map key. */
  key(start: number): string {
    return this.buf.toString('latin1', start, start + 16);
  }

  /** Appends one event; on a ValidationError nothing of it stays in the buffer. */
  event(e: StoredEvent): void {
    const start = this.pos;
    try {
      this.uuid(e.event_id, 'event_id');
      this.string(e.site);
      this.string(e.name);
      this.dateTime64(e.timestamp);
      this.uint64(e.visitor_id, 'visitor_id');
      this.uint64(e.session_id, 'session_id');
      this.uuid(e.pageview_id, 'pageview_id');
      this.string(e.url);
      this.string(e.host);
      this.string(e.path);
      this.string(e.query);
      this.string(e.referrer);
      this.string(e.referrer_host);
      this.string(e.referrer_source);
      this.string(e.utm_source);
      this.string(e.utm_medium);
      this.string(e.utm_campaign);
      this.string(e.utm_term);
      this.string(e.utm_content);
      this.string(e.click_id);
      this.string(e.country);
      this.string(e.device);
      this.string(e.browser);
      this.string(e.browser_version);
      this.string(e.os);
      this.string(e.os_version);
      this.uint(e.screen_width, 0xffff, 2, 'screen_width');
      this.uint(e.duration_ms, 0xffff_ffff, 4, 'duration_ms');
      this.map(e.props);
      this.uint(e.scroll_depth, 0xffff, 2, 'scroll_depth');
      this.string(e.region);
      this.string(e.city);
    } catch (error) {
      this.pos = start;
      throw error;
    }
  }

  /** Appends an unsigned LEB128 varint (a length, a count). */
  varint(n: number): void {
    this.ensure(5);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  /** ASCII is copied by a JS loop (cheaper than a native call for short strings); anything else by `Buffer.write`. */
  string(s: string): void {
    const n = s.length;
    const head = n < 0x80 ? 1 : n < 0x4000 ? 2 : 5;
    this.ensure(head + n);
    const buf = this.buf;
    let p = this.pos + head;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i === n && head < 5) {
      if (head === 1) buf[this.pos] = n;
      else {
        buf[this.pos] = (n & 0x7f) | 0x80;
        buf[this.pos + 1] = n >>> 7;
      }
      this.pos = p;
      return;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
  }

  private uuid(s: string, column: string): void {
    if (s.length !== 36 || s.charCodeAt(8) !== 45 || s.charCodeAt(13) !== 45 || s.charCodeAt(18) !== 45 || s.charCodeAt(23) !== 45) {
      invalid(column, 'must be a UUID');
    }
    this.ensure(16);
    const buf = this.buf;
    const at = this.pos;
    // Byte k of the UUID (hex pair at UUID_PAIRS[k]) goes to UUID_BYTES[k]: each half is a
    // little-endian UInt64, so bytes 0–7 and 8–15 are reversed.
    let bad = 0;
    for (let k = 0; k < 16; k++) {
      const i = UUID_PAIRS[k] as number;
      const hi = HEX[s.charCodeAt(i) & 0x7f] as number;
      const lo = HEX[s.charCodeAt(i + 1) & 0x7f] as number;
      bad |= hi | lo | ((s.charCodeAt(i) | s.charCodeAt(i + 1)) & 0xff80);
      buf[at + (UUID_BYTES[k] as number)] = (hi << 4) | (lo & 0xf);
    }
    if (bad < 0 || (bad & 0xff80) !== 0) invalid(column, 'must be a UUID');
    this.pos += 16;
  }

  /** Decimal text (1–20 digits, ≤ 2^64 − 1) as UInt64 LE, in exact double arithmetic (no BigInt). */
  private uint64(s: string, column: string): void {
    const n = s.length;
    if (n === 0 || n > 20) invalid(column, 'must be a UInt64 in decimal');
    // value = high · 10^9 + low, high < 10^11, low < 10^9.
    const split = n > 9 ? n - 9 : 0;
    let high = 0;
    let low = 0;
    for (let i = 0; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) invalid(column, 'must be a UInt64 in decimal');
      if (i < split) high = high * 10 + d;
      else low = low * 10 + d;
    }
    // high · 10^9 = (h1 · 2^16 + h0) · 10^9, each product below 2^53; then carry into 32-bit words.
    const h1 = Math.floor(high / 65536);
    const h0 = high - h1 * 65536;
    const a = h1 * 1e9; // times 2^16
    const b = h0 * 1e9 + low;
    const aHigh = Math.floor(a / 65536);
    const lowSum = (a - aHigh * 65536) * 65536 + b; // < 2^48
    const carry = Math.floor(lowSum / TWO_32);
    const word1 = aHigh + carry;
    if (word1 >= TWO_32) invalid(column, 'must be a UInt64 in decimal');
    this.ensure(8);
    this.buf.writeUInt32LE(lowSum - carry * TWO_32, this.pos);
    this.buf.writeUInt32LE(word1, this.pos + 4);
    this.pos += 8;
  }

  private uint(v: number, max: number, bytes: 2 | 4, column: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) invalid(column, `must be an integer from 0 to ${max}`);
    this.ensure(bytes);
    if (bytes === 2) this.buf.writeUInt16LE(v, this.pos);
    else this.buf.writeUInt32LE(v, this.pos);
    this.pos += bytes;
  }

  /** `YYYY-MM-DD hh:mm:ss.sss` (UTC) as Int64 milliseconds since the epoch, LE; a real date from 1900 to 2299 (the type's range). */
  private dateTime64(s: string): void {
    // Events of one batch mostly share their second: its checked value is reused.
    if (s.length === 23 && s.startsWith(this.lastSecond) && s[19] === '.') {
      const d0 = digit(s, 20);
      const d1 = digit(s, 21);
      const d2 = digit(s, 22);
      if ((d0 | d1 | d2) >= 0) {
        this.timeMs(this.lastSecondMs + d0 * 100 + d1 * 10 + d2);
        return;
      }
    }
    let ok = s.length === 23 && s[4] === '-' && s[7] === '-' && s[10] === ' ' && s[13] === ':' && s[16] === ':' && s[19] === '.';
    for (let i = 0; ok && i < TIME_DIGITS.length; i++) ok = digit(s, TIME_DIGITS[i] ?? 0) >= 0;
    const year = pair(s, 0) * 100 + pair(s, 2);
    const month = pair(s, 5);
    const day = pair(s, 8);
    const hour = pair(s, 11);
    const minute = pair(s, 14);
    const second = pair(s, 17);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const monthDays = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0);
    if (!ok || year < 1900 || year > 2299 || month < 1 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) {
      invalid('timestamp', 'must be a UTC time YYYY-MM-DD hh:mm:ss.sss from 1900 to 2299');
    }
    const secondMs = Date.UTC(year, month - 1, day, hour, minute, second);
    this.lastSecond = s.slice(0, 19);
    this.lastSecondMs = secondMs;
    this.timeMs(secondMs + pair(s, 20) * 10 + digit(s, 22));
  }

  private timeMs(ms: number): void {
    const high = Math.floor(ms / TWO_32);
    this.ensure(8);
    this.buf.writeUInt32LE(ms - high * TWO_32, this.pos);
    this.buf.writeInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  private map(m: Record<string, string>): void {
    const keys = Object.keys(m);
    this.varint(keys.length);
    for (const key of keys) {
      const value = m[key];
      if (typeof value !== 'string') invalid('props', 'must be a string map');
      this.string(key);
      this.string(value);
    }
  }
}

/** Encodes events into one buffer; for tests and one-off inserts (the ingester writes row by row). */
export function encodeEvents(events: readonly StoredEvent[]): Buffer {
  const writer = new RowBinaryWriter(events.length * 256);
  for (const e of events) writer.event(e);
  return writer.bytes();
}
