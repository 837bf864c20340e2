/**
 * API keys as the services see them (SPEC §11): a bearer secret that grants scopes, each for
 * all sites or a list. Services ask a `KeyAuthorizer`; today's only key is `API_TOKEN` (every
 * scope, every site), and the keys registry backs the same interface with its stored keys.
 */
import { timingSafeEqual } from 'node:crypto';

export const SCOPES = ['stats:read', 'sites:admin', 'events:write'] as const;
export type Scope = (typeof SCOPES)[number];

export interface KeyGrant {
  /** A stable, non-secret id of the key (rate limits and logs use it, never the key itself). */
  id: string;
  scopes: readonly Scope[];
  /** The sites the key may act on. */
  sites: 'all' | readonly string[];
}

export interface KeyAuthorizer {
  /** The grant of a key, or `null` for an unknown or revoked one. May answer from a cache. */
  authorize(key: string): Promise<KeyGrant | null>;
}

/** Compares two secrets in time that depends only on their lengths. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The key of an `Authorization: Bearer <key>` header (scheme case-insensitive), or `null` when it has another shape. */
export function bearerKey(header: string | undefined): string | null {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const key = header.slice(7).trim();
  return key === '' ? null : key;
}

/** The id under which `API_TOKEN` appears in grants. */
export const API_TOKEN_KEY_ID = 'api-token';
const ALL_SCOPES: KeyGrant = { id: API_TOKEN_KEY_ID, scopes: SCOPES, sites: 'all' };

/** The bootstrap admin key, `API_TOKEN`: every scope on every site. Without a token no key is valid. */
export function createTokenAuthorizer(token: string | null): KeyAuthorizer {
  return {
    async authorize(key) {
      return token !== null && sameSecret(key, token) ? ALL_SCOPES : null;
    },
  };
}

/** Whether `grant` holds `scope` for `site`. */
export function grants(grant: KeyGrant, scope: Scope, site: string): boolean {
  return grant.scopes.includes(scope) && (grant.sites === 'all' || grant.sites.includes(site));
}
