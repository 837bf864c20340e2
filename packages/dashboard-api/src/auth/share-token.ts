/**
 * What a shared link's page sends with each API call (`X-Tidemark-Share`): the link's slug,
 * and for a link with a password, the proof it was given: `<slug>.<expires ms>.<mac>`, where
 * mac = HMAC-SHA256 over `<slug>.<expires>` keyed by a hash of the link's stored password
 * hash. Any instance can check it (the hash is in every instance's registry, never sent to a
 * browser); a new password or a removed link ends every proof at once. Proofs live 12 hours.
 */
import { createHash, createHmac } from 'node:crypto';
import { type SharedLink, sameSecret } from '@tidemark/shared';

export const SHARE_HEADER = 'x-tidemark-share';
const LIFETIME_MS = 12 * 3_600_000;

function mac(link: SharedLink, expires: number): string {
  const key = createHash('sha256').update(`share-proof:${link.passwordHash}`).digest();
  return createHmac('sha256', key).update(`${link.slug}.${expires}`).digest('base64url');
}

export function shareProof(link: SharedLink, now: number): { proof: string; expiresAt: string } {
  const expires = now + LIFETIME_MS;
  return { proof: `${link.slug}.${expires}.${mac(link, expires)}`, expiresAt: new Date(expires).toISOString() };
}

/** The slug a header names (a proof's first part), or null for a malformed header. */
export function slugOf(header: string): string | null {
  const slug = header.split('.', 1)[0] ?? '';
  return /^[A-Za-z0-9_-]{10,64}$/.test(slug) ? slug : null;
}

/** Whether `header` lets its sender read through `link`. */
export function shareAllowed(link: SharedLink, header: string, now: number): boolean {
  if (link.passwordHash === '') return true;
  const [slug, expires, given] = header.split('.');
  if (slug !== link.slug || !expires || !given || !/^\d{1,15}$/.test(expires) || Number(expires) < now) return false;
  return sameSecret(given, mac(link, Number(expires)));
}
