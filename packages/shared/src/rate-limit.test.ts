import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

describe('rate limit', () => {
  it('lets `limit` requests per IP through per window, then answers the seconds to wait', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    expect(limiter.peek('1.1.1.1')).toBe(0);
    expect([1, 2, 3].map(() => limiter.retryAfter('1.1.1.1'))).toEqual([0, 0, 0]);
    expect(limiter.peek('1.1.1.1')).toBe(60); // peeking counts nothing
    expect(limiter.peek('1.1.1.1')).toBe(60);
    expect(limiter.retryAfter('1.1.1.1')).toBe(60);
    expect(limiter.retryAfter('2.2.2.2')).toBe(0); // per IP
    now += 45_500;
    expect(limiter.retryAfter('1.1.1.1')).toBe(15);
    now += 15_000;
    expect(limiter.retryAfter('1.1.1.1')).toBe(0); // a new window
  });

  it('is off at 0', () => {
    const limiter = createRateLimiter({ limit: 0 });
    for (let i = 0; i < 1000; i++) expect(limiter.retryAfter('1.1.1.1')).toBe(0);
  });

  it('does not grow past maxClients: unknown IPs pass uncounted', () => {
    const limiter = createRateLimiter({ limit: 1, maxClients: 2 });
    limiter.retryAfter('a');
    limiter.retryAfter('b');
    expect(limiter.retryAfter('c')).toBe(0);
    expect(limiter.retryAfter('c')).toBe(0);
    expect(limiter.retryAfter('a')).toBeGreaterThan(0);
  });
});
