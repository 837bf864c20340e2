import { describe, expect, it } from 'vitest';
import { addressMatcher, parseAddressRange } from './addresses.ts';

describe('addresses and CIDR ranges', () => {
  it('parses addresses and ranges of both families, and nothing else', () => {
    expect(parseAddressRange('203.0.113.7')).toEqual({ address: '203.0.113.7', prefix: 32, family: 'ipv4' });
    expect(parseAddressRange('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseAddressRange('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0/8', 'example.com', '10.0.0.0/', '10.0.0.0/-1', '1.2.3.4/8x', '']) {
      expect(parseAddressRange(bad), bad).toBeNull();
    }
  });

  it('matches members of the ranges, IPv4-mapped IPv6 as IPv4', () => {
    const match = addressMatcher(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32']);
    expect(match('10.200.3.4')).toBe(true);
    expect(match('::ffff:10.1.1.1')).toBe(true);
    expect(match('203.0.113.7')).toBe(true);
    expect(match('203.0.113.8')).toBe(false);
    expect(match('2001:db8:1::5')).toBe(true);
    expect(match('2001:db9::1')).toBe(false);
    expect(match('11.0.0.1')).toBe(false);
    expect(match('not an ip')).toBe(false);
    expect(addressMatcher([])('10.0.0.1')).toBe(false);
  });
});
