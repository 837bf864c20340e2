/**
 * Server-side requests (SPEC §11): an Events API request carrying `Authorization: Bearer <key>`.
 * The key must be known (else 401) and hold `events:write` (else 403); such requests are
 * rate-limited per key rather than per IP (its events, counted by the pipeline), since one
 * server sends for many visitors. Failed attempts count one against the sender's IP limit,
 * so guessing keys is rate-limited too. Which
 * keys exist is the `KeyAuthorizer`'s business (`API_TOKEN` today, the keys registry later).
 */
import type { KeyAuthorizer, KeyGrant, RateLimiter } from '@tidemark/shared';
import { bearerKey } from '@tidemark/shared';

export type KeyCheck =
  | { ok: true; grant: KeyGrant }
  | { ok: false; status: 401 | 403 | 429 | 503; error: string; retryAfter?: number; fault?: unknown };

export interface ServerKeyOptions {
  authorizer: KeyAuthorizer;
  /** Events per key (`KeyGrant.id`); the pipeline counts them. */
  keyLimiter: RateLimiter;
  /** The IP limiter of browser requests: failed key checks count against it. */
  ipLimiter: RateLimiter;
}

/** Seconds a sender waits when the key store cannot answer (a fault, retried, never a 4xx). */
const STORE_RETRY_SECONDS = 5;

export function createServerKeyCheck({ authorizer, keyLimiter, ipLimiter }: ServerKeyOptions) {
  const refuse = (ip: string, error: string): KeyCheck => {
    const retryAfter = ipLimiter.retryAfter(ip);
    ipLimiter.count(ip, 1);
    return retryAfter > 0
      ? { ok: false, status: 429, error: 'too many requests, retry later', retryAfter }
      : { ok: false, status: 401, error };
  };
  return async function check(authorization: string, ip: string): Promise<KeyCheck> {
    const key = bearerKey(authorization);
    if (key === null) return refuse(ip, 'Authorization: must be Bearer <API key>');
    let grant: KeyGrant | null;
    try {
      grant = await authorizer.authorize(key);
    } catch (fault) {
      return { ok: false, status: 503, error: 'the API key could not be checked, retry later', retryAfter: STORE_RETRY_SECONDS, fault };
    }
    if (grant === null) return refuse(ip, 'Authorization: unknown or revoked API key');
    if (!grant.scopes.includes('events:write'))
      return { ok: false, status: 403, error: 'Authorization: the API key does not hold events:write' };
    const retryAfter = keyLimiter.retryAfter(grant.id);
    if (retryAfter > 0) return { ok: false, status: 429, error: 'too many requests for this API key, retry later', retryAfter };
    return { ok: true, grant };
  };
}

export type ServerKeyCheck = ReturnType<typeof createServerKeyCheck>;
