import { describe, expect, it } from 'vitest';
import { checkStoredEvent } from './decode.ts';
import { type StoredEvent, storedEvent } from './event.ts';
import { decodeMessage } from './wire/message.ts';
import { EVENT_COLUMNS, SCHEMA_VERSION, wireSchemas } from './wire/schema.ts';

/** A JSON message without headers, read as the ingester reads it. */
const decodeStoredEvent = (text: string | Buffer) => decodeMessage({ value: Buffer.from(text), headers: {} })[0];

const good: StoredEvent = storedEvent({
  event_id: '00112233-4455-6677-8899-aabbccddeeff',
  site: 's.example',
  timestamp: '2026-01-02 03:04:05.678',
  session_id: '2',
  url: 'https://s.example/',
  host: 's.example',
  props: { plan: 'pro' },
});

describe('a JSON message', () => {
  it('returns a valid event as it is', () => {
    expect(decodeStoredEvent(Buffer.from(JSON.stringify(good)))).toEqual(good);
    expect(decodeStoredEvent(JSON.stringify(good))).toEqual(good);
  });

  it('fills a column added by a later version with its zero value, and requires those of its own version', () => {
    const next = wireSchemas([...EVENT_COLUMNS, ['future', 'String', SCHEMA_VERSION + 1]]);
    expect(checkStoredEvent({ ...good }, SCHEMA_VERSION, next)).toEqual({ ...good, future: '' });
    expect(() => checkStoredEvent({ ...good }, SCHEMA_VERSION + 1, next)).toThrow('future: must be a string');
    const { scroll_depth: _, region: _r, city: _c, ...versionOne } = good;
    expect(checkStoredEvent(versionOne, 1)).toEqual({ ...good, scroll_depth: 0, region: '', city: '' });
    const { region: _r2, city: _c2, ...versionTwo } = good;
    expect(checkStoredEvent({ ...versionTwo }, 2)).toEqual({ ...good, region: '', city: '' });
    expect(() => checkStoredEvent({ ...versionTwo }, 3)).toThrow('region: must be a string');
  });

  it.each([
    ['not JSON', '{"not": "an event"', 'message: not valid JSON'],
    ['an array', '[]', 'message: must be an event object'],
    ['null', 'null', 'message: must be an event object'],
  ])('refuses %s', (_, text, message) => {
    expect(() => decodeStoredEvent(text)).toThrow(message);
  });

  it.each([
    [{ site: 1 }, 'site: must be a string'],
    [{ os_version: undefined }, 'os_version: must be a string'],
    [{ screen_width: -1 }, 'screen_width: must be a number'],
    [{ duration_ms: 1.5 }, 'duration_ms: must be a number'],
    [{ duration_ms: '1' }, 'duration_ms: must be a number'],
    [{ props: [] }, 'props: must be a string map'],
    [{ props: null }, 'props: must be a string map'],
    [{ props: { a: 1 } }, 'props: must be a string map'],
    [{ event_id: 'not-a-uuid' }, 'event_id: must be a UUID'],
    [{ pageview_id: '00112233-4455-6677-8899-AABBCCDDEEFF' }, 'pageview_id: must be a UUID'],
    [{ timestamp: '2026-01-02T03:04:05.678Z' }, 'timestamp: must be YYYY-MM-DD hh:mm:ss.sss'],
    [{ site: 1, props: null }, 'site: must be a string'], // the first bad column, in table order
    [{ event_id: 'x', site: 1 }, 'event_id: must be a UUID'],
  ])('refuses %j with %s', (change, message) => {
    const value = { ...good, ...change };
    expect(() => checkStoredEvent(value)).toThrow(message);
    try {
      checkStoredEvent(value);
    } catch (error) {
      expect((error as { field?: string }).field).toBe(message.split(':')[0]);
    }
  });
});
