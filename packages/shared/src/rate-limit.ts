/**
 * Events per client IP in fixed one-minute windows. A request is refused (429) once its IP
 * has sent its limit of events in the window; a request that passes adds its events (a batch
 * of 100 counts 100; a request refused for its content type, size or body counts one). A
 * batch that crosses the limit is still taken, so an IP sends at most one batch past it.
 * Memory is bounded: the counts are dropped at every window, and past `maxClients` distinct
 * IPs in one window new ones are let through uncounted rather than remembered (a spray of
 * addresses cannot grow the map).
 * The dashboard API counts failed sign-ins and wrong link passwords with it the same way
 * (`count(key, 1)` per failure; the key an IP, or IP and link).
 */

export interface RateLimitOptions {
  /** Events per IP per window; 0 turns the limit off. */
  limit: number;
  windowMs?: number;
  maxClients?: number;
  now?: () => number;
}

export interface RateLimiter {
  /** 0 while `ip` is under its limit, else the seconds until it may send again. Counts nothing. */
  retryAfter(ip: string): number;
  /** Adds `events` to what `ip` sent in this window. */
  count(ip: string, events: number): void;
}

export function createRateLimiter({ limit, windowMs = 60_000, maxClients = 200_000, now = Date.now }: RateLimitOptions): RateLimiter {
  if (limit <= 0) return { retryAfter: () => 0, count: () => {} };
  let counts = new Map<string, number>();
  let windowEnd = now() + windowMs;
  const roll = (t: number) => {
    if (t < windowEnd) return;
    counts = new Map();
    windowEnd = t + windowMs;
  };
  return {
    retryAfter(ip) {
      const t = now();
      roll(t);
      const sent = counts.get(ip) ?? 0;
      return sent < limit ? 0 : Math.max(1, Math.ceil((windowEnd - t) / 1000));
    },
    count(ip, events) {
      roll(now());
      const sent = counts.get(ip);
      if (sent !== undefined) counts.set(ip, sent + events);
      else if (counts.size < maxClients) counts.set(ip, events);
    },
  };
}
