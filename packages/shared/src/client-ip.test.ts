import { describe, expect, it } from 'vitest';
import { clientIp } from './client-ip.ts';

describe('clientIp', () => {
  it.each([
    [{ 'x-forwarded-for': '1.1.1.1, 2.2.2.2' }, '2.2.2.2'],
    [{ 'x-forwarded-for': '3.3.3.3' }, '3.3.3.3'],
    [{ forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43' }, '192.0.2.60'],
    [{ forwarded: 'for="[2001:db8:cafe::17]:4711"' }, '2001:db8:cafe::17'],
    [{ forwarded: 'for=9.9.9.9, for=198.51.100.17:5678' }, '198.51.100.17'],
    [{}, '10.0.0.1'],
  ])('with TRUST_PROXY takes the address the nearest proxy wrote: %j → %s', (headers, ip) => {
    expect(clientIp(headers, '10.0.0.1', true)).toBe(ip);
  });

  it('ignores proxy headers without TRUST_PROXY', () => {
    expect(clientIp({ 'x-forwarded-for': '1.1.1.1', forwarded: 'for=2.2.2.2' }, '10.0.0.1', false)).toBe('10.0.0.1');
  });
});
