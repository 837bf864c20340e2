import { describe, expect, it } from 'vitest';
import { eventProblem, propsProblem, validEvent, validProps } from './check.ts';

// The module's checks match the collector's (packages/shared/src/validate.ts), so what it sends is taken.
describe('track checks', () => {
  const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  it.each([
    ['no props', undefined, true],
    ['30 keys', keys(30), true],
    ['31 keys', keys(31), false],
    ['a 64-character key', { ['k'.repeat(64)]: 1 }, true],
    ['a 65-character key', { ['k'.repeat(65)]: 1 }, false],
    ['an empty key', { '': 1 }, false],
    ['a 256-character value', { a: 'v'.repeat(256) }, true],
    ['a 257-character value', { a: 'v'.repeat(257) }, false],
    ['numbers and booleans', { a: 0, b: -1.5, c: false }, true],
    ['NaN', { a: Number.NaN }, false],
    ['Infinity', { a: Number.POSITIVE_INFINITY }, false],
    ['null', { a: null }, false],
    ['an object value', { a: {} }, false],
    ['an array value', { a: [1] }, false],
    ['a key constructor', { constructor: 'x' }, false],
    ['an own __proto__ key', JSON.parse('{"__proto__":"x"}'), false],
    ['an array', [1], false],
    ['a string', 'plan=pro', false],
    ['null props', null, false],
  ])('props: %s → %s', (_, props, ok) => {
    expect(validProps(props)).toBe(ok);
    expect(validEvent('signup', props)).toBe(ok);
    expect(propsProblem(props) === '').toBe(ok);
  });

  it.each([
    ['signup', true],
    ['Sign up: pro_plan-2.0', true],
    ['n'.repeat(64), true],
    ['n'.repeat(65), false],
    ['', false],
    ['sign<up>', false],
    ['pageview', false],
    ['engagement', false],
    [42, false],
  ])('name %j → %s', (name, ok) => {
    expect(validEvent(name, undefined)).toBe(ok);
    expect(eventProblem(name, undefined) === '').toBe(ok);
  });
});
