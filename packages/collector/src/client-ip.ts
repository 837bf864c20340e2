import type { IncomingHttpHeaders } from 'node:http';

const FORWARDED_FOR = /for="?\[?([^\]";,]+)/i;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The client's IP: the socket's peer, or — only when `TRUST_PROXY` is set — the first
 * address of `X-Forwarded-For` (or `Forwarded: for=`), as the proxy in front wrote it.
 */
export function clientIp(headers: IncomingHttpHeaders, remoteAddress: string, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = first(headers['x-forwarded-for']);
    if (xff) {
      const comma = xff.indexOf(',');
      const ip = (comma < 0 ? xff : xff.slice(0, comma)).trim();
      if (ip) return ip;
    }
    const forwarded = FORWARDED_FOR.exec(first(headers.forwarded) ?? '');
    if (forwarded?.[1]) return forwarded[1];
  }
  return remoteAddress;
}
