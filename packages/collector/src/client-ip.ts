import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The client's IP: the socket's peer, or — only when `TRUST_PROXY` is set — the first
 * address of `X-Forwarded-For` (or `Forwarded: for=`), as the proxy in front wrote it.
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const first = xff?.split(',')[0]?.trim();
    if (first) return first;
    const forwarded = /for="?\[?([^\]";,]+)/i.exec(c.req.header('forwarded') ?? '');
    if (forwarded?.[1]) return forwarded[1];
  }
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return ''; // app.request() in tests has no socket
  }
}
