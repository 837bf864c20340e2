import { describe, expect, it } from 'vitest';
import { SchemaVersionError, ValidationError } from '../errors.ts';
import { type StoredEvent, storedEvent } from '../event.ts';
import { decodeMessage, encodeMessages, frameOf, HEADERS, LEGACY_ROW_BINARY, messageRows, type WireMessage } from './message.ts';
import { encodeEvents } from './row-binary.ts';
import { EVENT_COLUMNS, SCHEMA_VERSION, wireSchemas } from './schema.ts';

const event = (i: number) =>
  storedEvent({
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    visitor_id: String(1000 + i),
    url: `https://unit.example/${'x'.repeat(i % 50)}`,
    props: { plan: `p${i}`, 'ü-key': 'ünïcode' },
  });

/** Rows of schema version 1: each event's row without what version 2 appended (`scroll_depth`, a UInt16). */
function versionOne(events: StoredEvent[]): Buffer {
  return Buffer.concat(events.map((e) => encodeEvents([e]).subarray(0, -2)));
}

/** A message of the framing before headers: format byte, varint count, version-1 rows. */
function legacy(events: StoredEvent[]): WireMessage {
  return { value: Buffer.concat([Buffer.from([LEGACY_ROW_BINARY, events.length]), versionOne(events)]), headers: {} };
}

/** A build one version ahead: the same columns and one more (`region`, added by the next version). */
const AHEAD = SCHEMA_VERSION + 1;
const NEXT = wireSchemas([...EVENT_COLUMNS, ['region', 'String', AHEAD]]);

describe('queue messages', () => {
  it('frame RowBinary rows with headers and a key, and read back in order', () => {
    const events = Array.from({ length: 300 }, (_, i) => event(i));
    const messages = encodeMessages(events);
    expect(messages).toHaveLength(1);
    const [message] = messages as [WireMessage];
    expect(message.headers).toEqual({ [HEADERS.format]: 'RowBinary', [HEADERS.schema]: String(SCHEMA_VERSION), [HEADERS.rows]: '300' });
    expect(message.key).toBe('unit.example/1000');
    expect(message.value.equals(encodeEvents(events))).toBe(true); // the value is rows and nothing else
    expect(messageRows(message)).toBe(300);
    expect(decodeMessage(message)).toEqual(events);
  });

  it('closes a message once it reaches the byte limit, never splitting an event', () => {
    const events = Array.from({ length: 50 }, (_, i) => event(i));
    const messages = encodeMessages(events, 2000);
    expect(messages.length).toBeGreaterThan(3);
    expect(messages.every((m) => m.value.length < 2000 + 400)).toBe(true);
    expect(messages.map((m) => messageRows(m)).reduce((a, b) => a + b)).toBe(50);
    expect(messages.flatMap((m) => decodeMessage(m))).toEqual(events);
    expect(messages.map((m) => m.key)).toEqual(messages.map((m) => `unit.example/${m.key?.toString().split('/')[1]}`));
  });

  it('reads the framing written before headers: format byte, count, version-1 rows', () => {
    const events = [event(1), event(2)];
    expect(frameOf(legacy(events))).toMatchObject({ format: 'RowBinary', rows: 2, start: 2 });
    expect(decodeMessage(legacy(events))).toEqual(events);
  });

  it('reads JSON: one event without headers, or JSON lines with them', () => {
    const one = { value: Buffer.from(JSON.stringify(event(1))), headers: {} };
    expect(messageRows(one)).toBe(1);
    expect(decodeMessage(one)).toEqual([event(1)]);
    const lines = {
      value: Buffer.from(`${JSON.stringify(event(1))}\n${JSON.stringify(event(2))}\n`),
      headers: { [HEADERS.format]: 'JSONEachRow', [HEADERS.schema]: '1' },
    };
    expect(decodeMessage(lines)).toEqual([event(1), event(2)]);
  });

  it('refuses truncated rows, trailing bytes, bad headers and garbage as bad data', () => {
    const [message] = encodeMessages([event(1), event(2)]) as [WireMessage];
    const { value, headers } = message;
    for (const bad of [
      { value: value.subarray(0, value.length - 1), headers },
      { value: Buffer.concat([value, Buffer.from([0])]), headers },
      { value, headers: { ...headers, [HEADERS.rows]: '3' } },
      { value, headers: { ...headers, [HEADERS.rows]: '0' } },
      { value, headers: { ...headers, [HEADERS.rows]: '02' } },
      { value, headers: { ...headers, [HEADERS.schema]: 'one' } },
      { value, headers: { ...headers, [HEADERS.schema]: '0' } },
      { value, headers: { ...headers, [HEADERS.format]: 'Avro' } },
      { value: Buffer.from([LEGACY_ROW_BINARY, 0]), headers: {} },
      { value: Buffer.from([LEGACY_ROW_BINARY, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), headers: {} },
      { value: Buffer.from('not json'), headers: {} },
    ]) {
      expect(() => decodeMessage(bad), JSON.stringify(bad.headers)).toThrow(ValidationError);
    }
  });

  it('says a version newer than the build knows is not bad data', () => {
    const [message] = encodeMessages([event(1)]) as [WireMessage];
    const newer = { ...message, headers: { ...message.headers, [HEADERS.schema]: String(AHEAD) } };
    expect(() => frameOf(newer)).toThrow(SchemaVersionError);
    expect(() => frameOf(newer)).toThrow(`message of schema version ${AHEAD}; this build knows versions 1 to ${SCHEMA_VERSION}`);
  });

  it('reads older versions in a newer build: the added column holds its zero value', () => {
    const events = [event(1), event(2)];
    const [current] = encodeMessages(events) as [WireMessage];
    expect(decodeMessage(current, NEXT).map((e) => (e as StoredEvent & { region: string }).region)).toEqual(['', '']);
    expect(decodeMessage(legacy(events), NEXT)).toEqual(decodeMessage(current, NEXT));
    // A message of the next version (rows of this one with the region appended) reads in the newer build only.
    const region = Buffer.from([2, 0x44, 0x45]); // 'DE'
    const ahead: WireMessage = {
      value: Buffer.concat([encodeEvents([event(1)]), region]),
      headers: { ...current.headers, [HEADERS.schema]: String(AHEAD), [HEADERS.rows]: '1' },
    };
    expect(decodeMessage(ahead, NEXT)).toEqual([{ ...event(1), region: 'DE' }]);
    expect(() => decodeMessage(ahead)).toThrow(SchemaVersionError);
  });

  it('reads version 1 (before scroll_depth) in this build: scroll_depth 0', () => {
    const deep = { ...event(3), name: 'engagement', scroll_depth: 80 };
    const v1: WireMessage = {
      value: versionOne([deep]),
      headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: '1', [HEADERS.rows]: '1' },
    };
    expect(decodeMessage(v1)).toEqual([{ ...deep, scroll_depth: 0 }]);
    const [v2] = encodeMessages([deep]) as [WireMessage];
    expect(decodeMessage(v2)).toEqual([deep]);
  });

  it('keeps a props key named __proto__ as an own key', () => {
    const e = storedEvent({ props: JSON.parse('{"__proto__":"x"}') as Record<string, string> });
    const [message] = encodeMessages([e]);
    const [back] = message ? decodeMessage(message) : [];
    expect(Object.getPrototypeOf(back?.props)).toBe(Object.prototype);
    expect(Object.keys(back?.props ?? {})).toEqual(['__proto__']);
  });
});
