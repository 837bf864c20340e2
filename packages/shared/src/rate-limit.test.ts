import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

describe('rate limit', () => {
  it('lets an IP send `limit` events per window, then answers the seconds to wait', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('1.1.1.1')).toBe(0);
      limiter.count('1.1.1.1', 1);
    }
    expect(limiter.retryAfter('1.1.1.1')).toBe(60);
    expect(limiter.retryAfter('2.2.2.2')).toBe(0); // per IP
    now += 45_500;
    expect(limiter.retryAfter('1.1.1.1')).toBe(15);
    now += 15_000;
    expect(limiter.retryAfter('1.1.1.1')).toBe(0); // a new window
  });

  it('counts events, not requests: one batch of 100 uses a limit of 100', () => {
    const limiter = createRateLimiter({ limit: 100 });
    expect(limiter.retryAfter('1.1.1.1')).toBe(0);
    limiter.count('1.1.1.1', 100);
    expect(limiter.retryAfter('1.1.1.1')).toBeGreaterThan(0);
    // A batch crossing the limit is taken; the next request waits.
    limiter.count('2.2.2.2', 99);
    expect(limiter.retryAfter('2.2.2.2')).toBe(0);
    limiter.count('2.2.2.2', 50);
    expect(limiter.retryAfter('2.2.2.2')).toBeGreaterThan(0);
  });

  it('is off at 0', () => {
    const limiter = createRateLimiter({ limit: 0 });
    for (let i = 0; i < 1000; i++) {
      limiter.count('1.1.1.1', 100);
      expect(limiter.retryAfter('1.1.1.1')).toBe(0);
    }
  });

  it('does not grow past maxClients: unknown IPs pass uncounted', () => {
    const limiter = createRateLimiter({ limit: 1, maxClients: 2 });
    limiter.count('a', 1);
    limiter.count('b', 1);
    limiter.count('c', 1);
    expect(limiter.retryAfter('c')).toBe(0);
    expect(limiter.retryAfter('a')).toBeGreaterThan(0);
  });
});
