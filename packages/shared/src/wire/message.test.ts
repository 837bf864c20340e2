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

/**
 * Rows of schema version 2: each event's row without what version 3 appended (`region` and `city`,
 * two Strings: one length byte each while empty, which the events here are).
 */
function versionTwo(events: StoredEvent[]): Buffer {
  return Buffer.concat(events.map((e) => encodeEvents([{ ...e, region: '', city: '' }]).subarray(0, -2)));
}

/** Rows of schema version 1: version 2's without what it appended (`scroll_depth`, a UInt16). */
function versionOne(events: StoredEvent[]): Buffer {
  return Buffer.concat(events.map((e) => encodeEvents([{ ...e, region: '', city: '' }]).subarray(0, -4)));
}

/** A message of the framing before headers: format byte, varint count, version-1 rows. */
function legacy(events: StoredEvent[]): WireMessage {
  return { value: Buffer.concat([Buffer.from([LEGACY_ROW_BINARY, events.length]), versionOne(events)]), headers: {} };
}

/** A build one version ahead: the same columns and one more (`future`, added by the next version). */
const AHEAD = SCHEMA_VERSION + 1;
const NEXT = wireSchemas([...EVENT_COLUMNS, ['future', 'String', AHEAD]]);

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
    expect(decodeMessage(current, NEXT).map((e) => (e as StoredEvent & { future: string }).future)).toEqual(['', '']);
    expect(decodeMessage(legacy(events), NEXT)).toEqual(decodeMessage(current, NEXT));
    // A message of the next version (rows of this one with the new column appended) reads in the newer build only.
    const future = Buffer.from([2, 0x44, 0x45]); // 'DE'
    const ahead: WireMessage = {
      value: Buffer.concat([encodeEvents([event(1)]), future]),
      headers: { ...current.headers, [HEADERS.schema]: String(AHEAD), [HEADERS.rows]: '1' },
    };
    expect(decodeMessage(ahead, NEXT)).toEqual([{ ...event(1), future: 'DE' }]);
    expect(() => decodeMessage(ahead)).toThrow(SchemaVersionError);
  });

  it('reads version 1 (before scroll_depth) in this build: scroll_depth 0', () => {
    const deep = { ...event(3), name: 'engagement', scroll_depth: 80 };
    const v1: WireMessage = {
      value: versionOne([deep]),
      headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: '1', [HEADERS.rows]: '1' },
    };
    expect(decodeMessage(v1)).toEqual([{ ...deep, scroll_depth: 0 }]);
    const v2: WireMessage = {
      value: versionTwo([deep]),
      headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: '2', [HEADERS.rows]: '1' },
    };
    expect(decodeMessage(v2)).toEqual([deep]);
  });

  it('writes version 3: region and city appended after scroll_depth; versions 1 and 2 read with them empty', () => {
    expect(SCHEMA_VERSION).toBe(3);
    const placed = { ...event(4), name: 'engagement', scroll_depth: 40, country: 'US', region: 'California', city: 'Mountain View' };
    const [v3] = encodeMessages([placed]) as [WireMessage];
    expect(v3.headers[HEADERS.schema]).toBe('3');
    // The row ends with scroll_depth (UInt16 LE), then the two Strings (varint length, UTF-8).
    const tail = Buffer.concat([Buffer.from([40, 0, 10]), Buffer.from('California'), Buffer.from([13]), Buffer.from('Mountain View')]);
    expect(v3.value.subarray(-tail.length).equals(tail)).toBe(true);
    expect(decodeMessage(v3)).toEqual([placed]);
    // JSON lines of version 3 carry the keys; of versions 1 and 2 they may leave them out.
    const { region: _r, city: _c, ...unplaced } = placed;
    const json = (version: string, row: object) => ({
      value: Buffer.from(`${JSON.stringify(row)}\n`),
      headers: { [HEADERS.format]: 'JSONEachRow', [HEADERS.schema]: version },
    });
    expect(decodeMessage(json('3', placed))).toEqual([placed]);
    expect(decodeMessage(json('2', unplaced))).toEqual([{ ...placed, region: '', city: '' }]);
    expect(() => decodeMessage(json('3', unplaced))).toThrow('region: must be a string');
    const v2: WireMessage = {
      value: versionTwo([placed]),
      headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: '2', [HEADERS.rows]: '1' },
    };
    expect(decodeMessage(v2)).toEqual([{ ...placed, region: '', city: '' }]);
  });

  it('keeps a props key named __proto__ as an own key', () => {
    const e = storedEvent({ props: JSON.parse('{"__proto__":"x"}') as Record<string, string> });
    const [message] = encodeMessages([e]);
    const [back] = message ? decodeMessage(message) : [];
    expect(Object.getPrototypeOf(back?.props)).toBe(Object.prototype);
    expect(Object.keys(back?.props ?? {})).toEqual(['__proto__']);
  });
});
