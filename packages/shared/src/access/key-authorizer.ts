/**
 * The `KeyAuthorizer` of the keys registry (SPEC §11): `API_TOKEN` (every scope, every site),
 * else a stored key found by its SHA-256 in this instance's copy of the registry, which sees a
 * revocation within seconds. A key-shaped secret that cannot be checked yet (the registry was
 * never read: ClickHouse unreachable at start) is a fault (503 and retry), not a 401.
 */
import { API_TOKEN_KEY_ID, type KeyAuthorizer, type KeyGrant, SCOPES, sameSecret } from '../keys.ts';
import type { AccessRegistry } from './registry.ts';
import { looksLikeKey, sha256Hex } from './secrets.ts';

const TOKEN_GRANT: KeyGrant = { id: API_TOKEN_KEY_ID, scopes: SCOPES, sites: 'all' };

export function createRegistryKeyAuthorizer(registry: AccessRegistry, token: string | null): KeyAuthorizer {
  return {
    async authorize(given) {
      if (token !== null && sameSecret(given, token)) return TOKEN_GRANT;
      const snapshot = registry.current();
      const key = snapshot.keysByHash.get(sha256Hex(given));
      if (key) {
        registry.keyUsed(key.id);
        return { id: key.id, scopes: key.scopes, sites: key.sites.length === 0 ? 'all' : key.sites };
      }
      if (!snapshot.loaded && looksLikeKey(given)) throw new Error('the keys registry has not been read yet');
      return null;
    },
  };
}
