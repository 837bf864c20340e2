import { describe, expect, it } from 'vitest';
import { globsMatcher, globToRegExp } from './glob.ts';

describe('path globs', () => {
  it.each([
    ['/blog/*', '/blog/a', true],
    ['/blog/*', '/blog/a/b', false],
    ['/blog/*', '/blog/', true],
    ['/blog/**', '/blog/a/b', true],
    ['/blog/**', '/blogs', false],
    ['/docs', '/docs', true],
    ['/docs', '/docs/', false],
    ['/a.b', '/axb', false],
    ['/price(s)?', '/price(s)?', true],
    ['/price(s)?', '/prices', false],
    ['*/admin', '/x/admin', false],
    ['**/admin', '/x/y/admin', true],
    ['/checkout/*/done', '/checkout/42/done', true],
  ])('%s against %s: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });

  it('joins several globs into one matcher, and none into null', () => {
    const match = globsMatcher(['/admin/**', '/preview']);
    expect([match?.('/admin/x/y'), match?.('/preview'), match?.('/previews'), match?.('/')]).toEqual([true, true, false, false]);
    expect(globsMatcher([])).toBeNull();
  });
});
