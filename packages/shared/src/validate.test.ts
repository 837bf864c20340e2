import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.ts';
import { parseEvents, validateEvent } from './validate.ts';

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

describe('validateEvent', () => {
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
  ])('rejects %s', (_, input, field) => {
    expect(fieldOf(input)).toBe(field);
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

describe('parseEvents', () => {
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

  it('names the position of a bad event in an array', () => {
    expect(() => parseEvents(JSON.stringify([ok, { ...ok, url: 'x' }]))).toThrow(expect.objectContaining({ field: '1.url' }));
  });
});
