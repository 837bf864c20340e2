/**
 * IP addresses and CIDR ranges, matched with Node's `net.BlockList`: a site's excluded
 * addresses (SPEC §11) and the reverse proxies trusted to name the signed-in user
 * (`AUTH_PROXY_CIDRS`). IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, as a dual-stack socket
 * reports IPv4 peers) match their IPv4 form.
 */
import { BlockList, isIP } from 'node:net';

export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`, `::1`; null for anything else. */
export function parseAddressRange(text: string): AddressRange | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
    prefix = Number(bits);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function unmapIPv4(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** A matcher of the given ranges (each must parse; callers validate first). */
export function addressMatcher(ranges: readonly string[]): (ip: string) => boolean {
  if (ranges.length === 0) return () => false;
  const list = new BlockList();
  for (const text of ranges) {
    const range = parseAddressRange(text);
    if (range === null) throw new Error(`not an IP address or CIDR range: ${text}`);
    list.addSubnet(range.address, range.prefix, range.family);
  }
  return (ip) => {
    const address = unmapIPv4(ip);
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}
