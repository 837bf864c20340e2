import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.ts';
import type { IncomingEvent } from './event.ts';
import { type ParsedEvent, parseEventBatch, type ValidateOptions } from './validate.ts';

/** One event through the collector's parser: a body of one, or at `prefix` (`"3."`) of an array. */
function validateEvent(input: unknown, prefix = '', options: ValidateOptions = {}): IncomingEvent {
  const index = prefix === '' ? -1 : Number(prefix.slice(0, -1));
  const body = index < 0 ? input : [...Array(index).fill(ok), input];
  return (parseEventBatch(JSON.stringify(body), options)[Math.max(index, 0)] as ParsedEvent).event;
}
const parseEvents = (body: string) => parseEventBatch(body).map((parsed) => parsed.event);

const ok = { site: 'Example.COM', name: 'pageview', url: 'https://example.com/a' };
const uuid = '0b6f6f3e-4a4c-4f61-9d0b-6d6c0f3f1a11';

function fieldOf(input: unknown): string | undefined {
  try {
    validateEvent(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.field ?? 'body';
    throw error;
  }
  return undefined;
}

describe('one event', () => {
  it('accepts a minimal pageview and lower-cases the site', () => {
    expect(validateEvent(ok)).toEqual({ ...ok, site: 'example.com' });
  });

  it.each([
    ['site missing', { ...ok, site: undefined }, 'site'],
    ['site not a host', { ...ok, site: 'exa mple.com' }, 'site'],
    ['site too long', { ...ok, site: `${'a'.repeat(250)}.com` }, 'site'],
    ['name missing', { ...ok, name: undefined }, 'name'],
    ['name with bad characters', { ...ok, name: 'sign<up>' }, 'name'],
    ['name too long', { ...ok, name: 'x'.repeat(65) }, 'name'],
    ['url relative', { ...ok, url: '/a' }, 'url'],
    ['url not http', { ...ok, url: 'javascript:alert(1)' }, 'url'],
    ['url too long', { ...ok, url: `https://example.com/${'a'.repeat(2048)}` }, 'url'],
    ['referrer too long', { ...ok, referrer: 'r'.repeat(2049) }, 'referrer'],
    ['eventId not a UUID', { ...ok, eventId: 'abc' }, 'eventId'],
    ['screenWidth negative', { ...ok, screenWidth: -1 }, 'screenWidth'],
    ['screenWidth fractional', { ...ok, screenWidth: 1.5 }, 'screenWidth'],
    ['engagement without pageviewId', { ...ok, name: 'engagement', durationMs: 5 }, 'pageviewId'],
    ['engagement without durationMs', { ...ok, name: 'engagement', pageviewId: uuid }, 'durationMs'],
    ['durationMs above a day', { ...ok, name: 'engagement', pageviewId: uuid, durationMs: 86_400_001 }, 'durationMs'],
    ['props not an object', { ...ok, props: [1] }, 'props'],
    ['props nested', { ...ok, props: { a: { b: 1 } } }, 'props.a'],
    ['props value too long', { ...ok, props: { a: 'x'.repeat(257) } }, 'props.a'],
    ['props key __proto__', JSON.parse('{"site":"a.com","name":"x","url":"https://a.com","props":{"__proto__":"x"}}'), 'props.__proto__'],
    ['props with 31 keys', { ...ok, props: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) }, 'props'],
    ['not an object', 'pageview', 'body'],
    ['site empty', { ...ok, site: '' }, 'site'],
    ['site a number', { ...ok, site: 42 }, 'site'],
    ['site with a port', { ...ok, site: 'example.com:8080' }, 'site'],
    ['site with a leading dot', { ...ok, site: '.example.com' }, 'site'],
    ['name empty', { ...ok, name: '' }, 'name'],
    ['name an array', { ...ok, name: ['pageview'] }, 'name'],
    ['url missing', { ...ok, url: undefined }, 'url'],
    ['url without a host', { ...ok, url: 'http://' }, 'url'],
    ['url with a space in the host', { ...ok, url: 'https://exa mple.com/' }, 'url'],
    ['url an object', { ...ok, url: { href: 'https://example.com' } }, 'url'],
    ['referrer a number', { ...ok, referrer: 1 }, 'referrer'],
    ['pageviewId not a UUID', { ...ok, name: 'engagement', pageviewId: 'x', durationMs: 1 }, 'pageviewId'],
    ['durationMs negative', { ...ok, name: 'engagement', pageviewId: uuid, durationMs: -1 }, 'durationMs'],
    ['durationMs a string', { ...ok, name: 'engagement', pageviewId: uuid, durationMs: '5' }, 'durationMs'],
    ['screenWidth above 20 000', { ...ok, screenWidth: 20_001 }, 'screenWidth'],
    ['screenWidth NaN-like', { ...ok, screenWidth: null }, 'screenWidth'],
    ['props key empty', { ...ok, props: { '': 'x' } }, 'props.'],
    ['props key too long', { ...ok, props: { ['k'.repeat(65)]: 'x' } }, `props.${'k'.repeat(64)}`],
    ['props key of 65 astral characters', { ...ok, props: { ['𝔞'.repeat(65)]: 'x' } }, `props.${'𝔞'.repeat(64)}`],
    ['props value of 257 astral characters', { ...ok, props: { a: '😀'.repeat(257) } }, 'props.a'],
    ['a referrer of 2049 characters', { ...ok, referrer: `https://a.com/${'é'.repeat(2049 - 14)}` }, 'referrer'],
    ['props value null', { ...ok, props: { a: null } }, 'props.a'],
    ['props null', { ...ok, props: null }, 'props'],
    ['__proto__ at the top', JSON.parse('{"site":"a.com","name":"x","url":"https://a.com","__proto__":{"x":1}}'), '__proto__'],
    ['constructor at the top', { ...ok, constructor: 'x' }, 'constructor'],
  ])('rejects %s', (_, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it.each([
    ['pageview', { ...ok }],
    ['a custom name with every allowed character', { ...ok, name: 'Sign up: pro_plan-2.0' }],
    ['a 64-character custom name', { ...ok, name: 'n'.repeat(64) }],
    ['a 253-character site', { ...ok, site: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}` }],
    ['an http URL of 2048 characters', { ...ok, url: `http://example.com/${'a'.repeat(2048 - 19)}` }],
    ['an empty or null referrer', { ...ok, referrer: null }],
    ['screenWidth 0 and 20 000', { ...ok, screenWidth: 20_000 }],
    [
      '30 props with 256-character values',
      { ...ok, props: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'.repeat(256)])) },
    ],
    ['unknown fields (ignored)', { ...ok, hash: true }],
    // JSON Schema's maxLength (the OpenAPI document) counts code points: an astral character is one.
    ['a props key of 64 astral characters (128 UTF-16 units)', { ...ok, props: { ['𝔞'.repeat(64)]: 'x' } }],
    ['a props value of 256 emoji', { ...ok, props: { a: '😀'.repeat(256) } }],
    ['a URL of 2048 characters, some astral', { ...ok, url: `https://example.com/${'😀'.repeat(2048 - 20)}` }],
  ])('accepts %s', (_, input) => {
    expect(fieldOf(input)).toBeUndefined();
  });

  it('accepts an engagement and custom event props of every allowed type', () => {
    expect(validateEvent({ ...ok, name: 'engagement', pageviewId: uuid.toUpperCase(), durationMs: 0 })).toMatchObject({
      pageviewId: uuid,
      durationMs: 0,
    });
    expect(validateEvent({ ...ok, name: 'sign up:pro', props: { plan: 'pro', seats: 3, trial: true } }).props).toEqual({
      plan: 'pro',
      seats: 3,
      trial: true,
    });
  });
});

describe('a body of events', () => {
  it('takes one object or an array of up to 100', () => {
    expect(parseEvents(JSON.stringify(ok))).toHaveLength(1);
    expect(parseEvents(JSON.stringify(Array(100).fill(ok)))).toHaveLength(100);
  });

  it.each([
    ['invalid JSON', '{"site":'],
    ['an empty array', '[]'],
    ['101 events', JSON.stringify(Array(101).fill(ok))],
    ['null', 'null'],
  ])('rejects %s', (_, body) => {
    expect(() => parseEvents(body)).toThrow(ValidationError);
  });

  it('refuses an array in place of an event, naming its position', () => {
    expect(() => parseEvents(JSON.stringify([[ok]]))).toThrow(
      expect.objectContaining({ field: '0', message: '0.: must be an event object' }),
    );
  });

  it('names the position of a bad event in an array', () => {
    expect(() => parseEvents(JSON.stringify([ok, { ...ok, url: 'x' }]))).toThrow(expect.objectContaining({ field: '1.url' }));
  });
});

describe('server-side fields (SPEC §11)', () => {
  const now = Date.UTC(2026, 2, 31, 12);
  const server = { server: true, nowMs: now };
  const DAY = 86_400_000;
  const at = (ms: number) => new Date(ms).toISOString();
  const serverField = (input: Record<string, unknown>, prefix = '') => {
    try {
      validateEvent({ ...ok, ...input }, prefix, server);
    } catch (error) {
      if (error instanceof ValidationError) return error.field;
      throw error;
    }
    return undefined;
  };

  it.each(['timestamp', 'ip', 'userAgent'])('refuses %s from a browser, naming the field and its place in an array', (field) => {
    const value = field === 'timestamp' ? at(now) : field === 'ip' ? '81.2.69.160' : 'Mozilla/5.0';
    expect(fieldOf({ ...ok, [field]: value })).toBe(field);
    expect(() => parseEvents(JSON.stringify([ok, { ...ok, [field]: value }]))).toThrow(
      expect.objectContaining({ field: `1.${field}`, message: expect.stringContaining('events:write') }),
    );
  });

  it('reads timestamp, ip and userAgent from a server-side sender', () => {
    const event = validateEvent(
      { ...ok, timestamp: '2026-03-30T14:00:00+02:00', ip: '2001:db8::1', userAgent: 'Mozilla/5.0 X' },
      '',
      server,
    );
    expect(event).toMatchObject({ timeMs: Date.UTC(2026, 2, 30, 12), ip: '2001:db8::1', userAgent: 'Mozilla/5.0 X' });
    expect(validateEvent(ok, '', server)).toEqual({ ...ok, site: 'example.com' }); // all optional
  });

  it.each([
    ['exactly 30 days old', now - 30 * DAY, undefined],
    ['30 days and 1 ms old', now - 30 * DAY - 1, 'timestamp'],
    ['exactly 1 minute ahead', now + 60_000, undefined],
    ['1 minute and 1 ms ahead', now + 60_001, 'timestamp'],
  ])('bounds the timestamp: %s', (_, ms, field) => {
    expect(serverField({ timestamp: at(ms) })).toBe(field);
  });

  it.each([
    ['timestamp a number', { timestamp: now }, 'timestamp'],
    ['timestamp without a zone', { timestamp: '2026-03-30T12:00:00' }, 'timestamp'],
    ['timestamp not a date', { timestamp: 'yesterday' }, 'timestamp'],
    ['timestamp too long', { timestamp: `2026-03-30T12:00:00.${'1'.repeat(40)}Z` }, 'timestamp'],
    ['ip a host name', { ip: 'example.com' }, 'ip'],
    ['ip with a port', { ip: '81.2.69.160:443' }, 'ip'],
    ['ip a number', { ip: 1 }, 'ip'],
    ['userAgent empty', { userAgent: '' }, 'userAgent'],
    ['userAgent over 1024 characters', { userAgent: 'u'.repeat(1025) }, 'userAgent'],
    ['userAgent not a string', { userAgent: ['x'] }, 'userAgent'],
  ])('refuses %s', (_, input, field) => {
    expect(serverField(input)).toBe(field);
    expect(serverField(input, '3.')).toBe(`3.${field}`);
  });
});
