/**
 * Requests per client IP in fixed one-minute windows. Memory is bounded: the counts are
 * dropped at every window, and past `maxClients` distinct IPs in one window new ones are
 * let through uncounted rather than remembered (a spray of addresses cannot grow the map).
 */

export interface RateLimitOptions {
  /** Requests per IP per window; 0 turns the limit off. */
  limit: number;
  windowMs?: number;
  maxClients?: number;
  now?: () => number;
}

export interface RateLimiter {
  /** 0 when the request may pass, else the seconds until the client may retry. Counts the request. */
  retryAfter(ip: string): number;
  /** `retryAfter` without counting anything. */
  peek(ip: string): number;
}

export function createRateLimiter({ limit, windowMs = 60_000, maxClients = 200_000, now = Date.now }: RateLimitOptions): RateLimiter {
  if (limit <= 0) return { retryAfter: () => 0, peek: () => 0 };
  let counts = new Map<string, number>();
  let windowEnd = now() + windowMs;
  const roll = (t: number) => {
    if (t >= windowEnd) {
      counts = new Map();
      windowEnd = t + windowMs;
    }
  };
  return {
    peek(ip) {
      const t = now();
      roll(t);
      return (counts.get(ip) ?? 0) >= limit ? Math.max(1, Math.ceil((windowEnd - t) / 1000)) : 0;
    },
    retryAfter(ip) {
      const t = now();
      roll(t);
      const seen = counts.get(ip);
      if (seen === undefined) {
        if (counts.size < maxClients) counts.set(ip, 1);
        return 0;
      }
      if (seen >= limit) return Math.max(1, Math.ceil((windowEnd - t) / 1000));
      counts.set(ip, seen + 1);
      return 0;
    },
  };
}
