import { describe, expect, it } from 'vitest';
import { API_TOKEN_KEY_ID, bearerKey, createTokenAuthorizer, grants, sameSecret } from './keys.ts';

describe('keys', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
    ['Basic abc', null],
    ['Bearer ', null],
    ['Bearer', null],
    ['abc', null],
    [undefined, null],
  ])('bearerKey(%j) is %j', (header, key) => {
    expect(bearerKey(header)).toBe(key);
  });

  it('API_TOKEN grants every scope on every site; any other key, or no token, nothing', async () => {
    const auth = createTokenAuthorizer('s3cret');
    const grant = await auth.authorize('s3cret');
    expect(grant).toMatchObject({ id: API_TOKEN_KEY_ID, sites: 'all' });
    expect(grant && grants(grant, 'events:write', 'any.example')).toBe(true);
    expect(grant && grants(grant, 'stats:read', 'any.example')).toBe(true);
    expect(await auth.authorize('s3cret ')).toBeNull();
    expect(await auth.authorize('s3cre')).toBeNull();
    expect(await createTokenAuthorizer(null).authorize('')).toBeNull();
    expect(await createTokenAuthorizer(null).authorize('s3cret')).toBeNull();
  });

  it('grants a scope only on listed sites', () => {
    const grant = { id: 'k1', scopes: ['events:write'] as const, sites: ['a.example'] };
    expect(grants(grant, 'events:write', 'a.example')).toBe(true);
    expect(grants(grant, 'events:write', 'b.example')).toBe(false);
    expect(grants(grant, 'stats:read', 'a.example')).toBe(false);
  });

  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('é', 'e')).toBe(false);
  });
});
