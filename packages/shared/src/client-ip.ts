import type { IncomingHttpHeaders } from 'node:http';

/** The `for=` of one `Forwarded` element, without quotes, brackets or port. */
const FORWARDED_FOR = /for="?(?:\[([0-9a-f:.]+)\]|([0-9.]+|[0-9a-f:]+))/i;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The client's IP: the socket's peer, or — only when `TRUST_PROXY` is set — the LAST
 * address of `X-Forwarded-For` (or `Forwarded: for=`): the one the proxy in front of us
 * wrote. Earlier entries come from the client and could be anything, so a visitor cannot
 * pick their own address (rate limit, country, visitor id) by sending the header.
 */
export function clientIp(headers: IncomingHttpHeaders, remoteAddress: string, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = first(headers['x-forwarded-for']);
    if (xff) {
      const comma = xff.lastIndexOf(',');
      const ip = (comma < 0 ? xff : xff.slice(comma + 1)).trim();
      if (ip) return ip;
    }
    const elements = (first(headers.forwarded) ?? '').split(',');
    const forwarded = FORWARDED_FOR.exec(elements[elements.length - 1] ?? '');
    const ip = forwarded?.[1] ?? forwarded?.[2];
    if (ip) return ip;
  }
  return remoteAddress;
}
