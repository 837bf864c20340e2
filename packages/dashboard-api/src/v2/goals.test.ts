import { describe, expect, it } from 'vitest';
import { globPattern, parseGoals } from './goals.ts';

describe('goals', () => {
  it('turns a path glob into an anchored pattern: * within a segment, ** across, the rest literal', () => {
    const matches = (glob: string, path: string) => new RegExp(globPattern(glob)).test(path);
    expect(matches('/blog/*', '/blog/one')).toBe(true);
    expect(matches('/blog/*', '/blog/')).toBe(true);
    expect(matches('/blog/*', '/blog/one/two')).toBe(false);
    expect(matches('/blog/**', '/blog/one/two')).toBe(true);
    expect(matches('/docs**', '/docs')).toBe(true);
    expect(matches('/a.b', '/axb')).toBe(false);
    expect(matches('/a+(b)?', '/a+(b)?')).toBe(true);
    expect(matches('/pricing', '/pricing/')).toBe(false);
  });

  it('checks goals and names the field of a bad one', () => {
    expect(
      parseGoals(
        [{ path: '/blog/*' }, { event: 'signup', props: { plan: 'pro' } }, { name: 'Big', event: 'buy', props: { tier: ['a', 'b'] } }],
        '/goals',
      ),
    ).toEqual([
      { name: 'Visit /blog/*', path: '/blog/*' },
      { name: 'signup', event: 'signup', props: { plan: ['pro'] } },
      { name: 'Big', event: 'buy', props: { tier: ['a', 'b'] } },
    ]);
    const field = (value: unknown) => {
      try {
        parseGoals(value, '/goals');
      } catch (error) {
        return (error as { field: string }).field;
      }
      return null;
    };
    expect(field([{ path: 'blog' }])).toBe('/goals/0/path');
    expect(field([{ event: 'pageview' }])).toBe('/goals/0/event');
    expect(field([{ event: 'a', path: '/b' }])).toBe('/goals/0');
    expect(field([{ event: 'a' }, { event: 'a' }])).toBe('/goals/1/name');
    expect(field([{ event: 'a', props: { k: [1] } }])).toBe('/goals/0/props/k');
    expect(field([{ event: 'a', colour: 'red' }])).toBe('/goals/0/colour');
    expect(field('nope')).toBe('/goals');
  });
});
