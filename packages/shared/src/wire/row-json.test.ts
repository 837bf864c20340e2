import { describe, expect, it } from 'vitest';
import { type StoredEvent, storedEvent } from '../event.ts';
import { encodeEvents } from './row-binary.ts';
import { decodeRow, scanRow } from './row-binary-read.ts';
import { JsonLinesWriter, uint64Text } from './row-json.ts';

const base: StoredEvent = storedEvent({
  event_id: '00112233-4455-6677-8899-aabbccddeeff',
  timestamp: '2026-01-02 03:04:05.678',
  session_id: '18446744073709551615',
  screen_width: 65_535,
  duration_ms: 4_294_967_295,
});

const EVENTS: StoredEvent[] = [
  base,
  {
    ...base,
    event_id: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
    url: `https://unit.example/${'x'.repeat(20_000)}?q="quoted"&b=back\\slash`,
    path: '/ünï/çødé/日本語/😀',
    referrer: 'tab\tnew\nline\rcr\u0000nul\u001fus\u007fdel',
    utm_term: '</script>\u2028\u2029',
    visitor_id: '123456789012345',
    timestamp: '1900-01-01 00:00:00.000',
    props: JSON.parse('{"plan":"pro","":"","ключ":"値😀","a\\"b":"c\\\\d","__proto__":"x"}') as Record<string, string>,
    screen_width: 0,
    duration_ms: 0,
  },
  { ...base, timestamp: '2299-12-31 23:59:59.999', visitor_id: '98765432109876543', props: {} },
  { ...base, timestamp: '1969-12-31 23:59:59.001' },
  { ...base, timestamp: '1969-12-31 23:59:59.010' },
  { ...base, timestamp: '2026-01-02 03:04:05.009' },
];

/** The lines the slow way: build each event, then `JSON.stringify` it. */
function viaObjects(body: Buffer): string {
  let text = '';
  for (let pos = 0; pos < body.length; ) {
    const { event, end } = decodeRow(body, pos);
    text += `${JSON.stringify(event)}\n`;
    pos = end;
  }
  return text;
}

describe('JsonLinesWriter', () => {
  it('writes each row as the JSON line of its event, escapes and all', () => {
    const body = encodeEvents(EVENTS);
    const writer = new JsonLinesWriter(64); // grows from a tiny start
    for (let pos = 0; pos < body.length; pos = scanRow(body, pos).end) writer.row(body, pos);
    const text = writer.bytes().toString('utf8');
    expect(text).toBe(viaObjects(body));
    const parsed = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as StoredEvent);
    expect(parsed.map((e) => e.timestamp)).toEqual(EVENTS.map((e) => e.timestamp));
    expect(parsed[1]?.referrer).toBe(EVENTS[1]?.referrer);
    expect(Object.getOwnPropertyNames(parsed[1]?.props)).toContain('__proto__');
  });

  it('keeps bytes that are not UTF-8 as they are', () => {
    const body = encodeEvents([{ ...base, path: 'a\u00ffb' }]);
    const at = body.indexOf(Buffer.from('a\u00ffb'));
    body[at + 1] = 0xff; // a lone byte that no UTF-8 text holds
    body[at + 2] = 0xfe;
    const writer = new JsonLinesWriter();
    writer.row(body, 0);
    expect(writer.bytes().includes(Buffer.from([0x22, 0x61, 0xff, 0xfe, 0x62, 0x22]))).toBe(true); // "a\xff\xfeb"
  });

  it('appends JSON messages as they are, one per line', () => {
    const writer = new JsonLinesWriter();
    writer.line(Buffer.from('{"a":1}'));
    writer.line(Buffer.from('{"b":2}'));
    expect(writer.bytes().toString()).toBe('{"a":1}\n{"b":2}\n');
  });

  it('writes every UInt64 exactly, without BigInt', () => {
    const values = [0n, 1n, 9_999n, 10_000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 16n + 5n, 10n ** 19n, 2n ** 64n - 1n];
    let seed = 7;
    const random32 = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return BigInt(seed);
    };
    for (let i = 0; i < 2000; i++) values.push((random32() << 32n) | random32());
    const buf = Buffer.alloc(8);
    for (const value of values) {
      buf.writeBigUInt64LE(value);
      expect(uint64Text(buf, 0)).toBe(value.toString());
    }
  });
});
