import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { type StoredEvent, storedEvent } from '../event.ts';

const MIGRATIONS_DIR = new URL('../../../../clickhouse', import.meta.url).pathname;

import { encodeEvents, RowBinaryWriter } from './row-binary.ts';
import { decodeRows as decodeEvents } from './row-binary-read.ts';
import { EVENT_COLUMNS, WIRE_STRUCTURE } from './schema.ts';

const base: StoredEvent = storedEvent({
  event_id: '00112233-4455-6677-8899-aabbccddeeff',
  timestamp: '2026-01-02 03:04:05.678',
  session_id: '18446744073709551615',
  screen_width: 65_535,
  duration_ms: 4_294_967_295,
});

describe('RowBinary encoding of events', () => {
  it('has the columns of clickhouse/001_events.sql as schema version 1, in order, LowCardinality(String) as String on the wire', () => {
    const sql = readFileSync(`${MIGRATIONS_DIR}/001_events.sql`, 'utf8');
    const body = sql.slice(sql.indexOf('(\n'), sql.indexOf('\n)\n'));
    const columns = [...body.matchAll(/^ {4}(\w+)\s+(.+?)(?:\s+CODEC\(.*\))?,?$/gm)].map(([, name, type]) => [
      name,
      type?.replace('LowCardinality(String)', 'String'),
    ]);
    expect(columns).toEqual(EVENT_COLUMNS.filter(([, , since]) => since === 1).map(([name, type]) => [name, type]));
    expect(WIRE_STRUCTURE).toContain("timestamp DateTime64(3, \\'UTC\\')");
  });

  it('writes the documented bytes: UUID halves reversed, Int64 ms, varint lengths, UInt64 LE', () => {
    const buf = encodeEvents([base]);
    expect(buf.subarray(0, 16).toString('hex')).toBe('7766554433221100ffeeddccbbaa9988');
    expect(buf.subarray(16, 29).toString()).toBe('\x0cunit.example');
    const ms = buf.readBigInt64LE(16 + 13 + 9);
    expect(new Date(Number(ms)).toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(buf.readBigUInt64LE(16 + 13 + 9 + 8)).toBe(1n);
    expect(buf.readBigUInt64LE(16 + 13 + 9 + 16)).toBe(18_446_744_073_709_551_615n);
  });

  it('round-trips unicode, long strings, empty and full maps, limits', () => {
    const rows: StoredEvent[] = [
      base,
      {
        ...base,
        event_id: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
        url: `https://unit.example/${'x'.repeat(20_000)}`,
        path: '/ünï/çødé/日本語/😀',
        referrer: 'a'.repeat(127),
        utm_term: 'b'.repeat(128),
        utm_content: 'é'.repeat(100),
        visitor_id: '123456789012345',
        timestamp: '1900-01-01 00:00:00.000',
        props: { plan: 'pro', '': '', ключ: '値😀', long: 'v'.repeat(300) },
        screen_width: 0,
        duration_ms: 0,
      },
      { ...base, timestamp: '2299-12-31 23:59:59.999', visitor_id: '98765432109876543', props: { a: 'b' } },
    ];
    expect(decodeEvents(encodeEvents(rows))).toEqual(rows);
    expect(decodeEvents(encodeEvents([{ ...base, visitor_id: '0000000000000000001' }]))[0]?.visitor_id).toBe('1');
  });

  it('grows its buffer from a tiny start', () => {
    const writer = new RowBinaryWriter(1);
    for (let i = 0; i < 1000; i++) writer.event(base);
    expect(decodeEvents(writer.bytes())).toHaveLength(1000);
  });

  it.each([
    ['event_id', { event_id: '00112233-4455-6677-8899-aabbccddeefg' }, 'event_id: must be a UUID'],
    ['pageview_id', { pageview_id: '0011223344556677-8899-aabbccddeeff0' }, 'pageview_id: must be a UUID'],
    ['visitor_id over 2^64 - 1', { visitor_id: '18446744073709551616' }, 'visitor_id: must be a UInt64 in decimal'],
    ['visitor_id not decimal', { visitor_id: '12a' }, 'visitor_id: must be a UInt64 in decimal'],
    ['visitor_id of 21 digits', { visitor_id: '000000000000000000001' }, 'visitor_id: must be a UInt64 in decimal'],
    ['visitor_id far over 2^64 - 1', { visitor_id: '99999999999999999999' }, 'visitor_id: must be a UInt64 in decimal'],
    ['event_id with a non-ASCII digit', { event_id: '00112233-4455-6677-8899-aabbccddee\u0661f' }, 'event_id: must be a UUID'],
    ['event_id with a lookalike of a hex digit', { event_id: '00112233-4455-6677-8899-aabbccddee\u00e1f' }, 'event_id: must be a UUID'],
    ['session_id empty', { session_id: '' }, 'session_id: must be a UInt64 in decimal'],
    ['session_id signed', { session_id: '-1' }, 'session_id: must be a UInt64 in decimal'],
    ['timestamp not a date', { timestamp: '2026-02-29 00:00:00.000' }, /^timestamp: must be a UTC time/],
    ['timestamp out of range', { timestamp: '1899-12-31 23:59:59.999' }, /^timestamp: must be a UTC time/],
    ['timestamp hour', { timestamp: '2026-01-01 24:00:00.000' }, /^timestamp: must be a UTC time/],
    ['timestamp ms of the second just written', { timestamp: '2026-01-02 03:04:05.6x8' }, /^timestamp: must be a UTC time/],
    ['screen_width', { screen_width: 65_536 }, 'screen_width: must be an integer from 0 to 65535'],
    ['duration_ms', { duration_ms: 2 ** 32 }, 'duration_ms: must be an integer from 0 to 4294967295'],
    ['props', { props: { a: 1 } as unknown as Record<string, string> }, 'props: must be a string map'],
  ])('refuses a bad %s with a ValidationError, leaving the buffer as it was', (_, change, message) => {
    const writer = new RowBinaryWriter();
    writer.event(base);
    const before = writer.length;
    expect(() => writer.event({ ...base, ...change })).toThrow(ValidationError);
    expect(() => writer.event({ ...base, ...change })).toThrow(message);
    expect(writer.length).toBe(before);
    writer.event(base);
    expect(decodeEvents(writer.bytes())).toEqual([base, base]);
  });

  it('accepts a leap day', () => {
    expect(decodeEvents(encodeEvents([{ ...base, timestamp: '2024-02-29 12:00:00.000' }]))[0]?.timestamp).toBe('2024-02-29 12:00:00.000');
  });

  it('encodes every UInt64 exactly, without BigInt', () => {
    const values = [
      '0',
      '1',
      '4294967295',
      '4294967296',
      '9007199254740993',
      '123456789012345678',
      '18446744073709551615',
      '18446744073709551614',
    ];
    for (let i = 0; i < 2000; i++)
      values.push((BigInt(Math.floor(Math.random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(Math.random() * 2 ** 32))).toString());
    const rows = values.map((v) => ({ ...base, visitor_id: v }));
    expect(decodeEvents(encodeEvents(rows)).map((r) => r.visitor_id)).toEqual(values);
  });

  it('reuses the second of the previous time only when it is the same second', () => {
    const times = [
      '2026-01-02 03:04:05.678',
      '2026-01-02 03:04:05.001',
      '2026-01-02 03:04:06.000',
      '2026-01-02 03:04:05.999',
      '2027-01-02 03:04:05.999',
    ];
    expect(decodeEvents(encodeEvents(times.map((timestamp) => ({ ...base, timestamp })))).map((r) => r.timestamp)).toEqual(times);
  });
});
