import { newSite, type SharedLink } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { shareAllowed, shareProof, slugOf } from './share-token.ts';

const link = (passwordHash: string, slug = 'AbCdEfGhIjKlMnOpQrStUv'): SharedLink => ({
  slug,
  site: newSite('a.example', '2026-01-01T00:00:00.000Z').site,
  name: '',
  passwordHash,
  filters: [],
  frameAncestors: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'token',
  version: 1,
});

describe('shared-link proofs', () => {
  const locked = link('$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g');
  const now = 1_800_000_000_000;

  it('opens a link without a password with its slug alone', () => {
    expect(shareAllowed(link(''), 'AbCdEfGhIjKlMnOpQrStUv', now)).toBe(true);
  });

  it('opens a password link with its own unexpired proof only', () => {
    const { proof, expiresAt } = shareProof(locked, now);
    expect(Date.parse(expiresAt) - now).toBe(12 * 3_600_000);
    expect(shareAllowed(locked, proof, now)).toBe(true);
    expect(shareAllowed(locked, proof, now + 12 * 3_600_000 + 1)).toBe(false); // expired
    expect(shareAllowed(locked, locked.slug, now)).toBe(false); // the slug alone
    const [slug, expires, mac] = proof.split('.');
    expect(shareAllowed(locked, `${slug}.${Number(expires) + 1}.${mac}`, now)).toBe(false); // a later expiry
    expect(shareAllowed({ ...locked, passwordHash: `${locked.passwordHash}x` }, proof, now)).toBe(false); // a new password
    expect(shareAllowed({ ...locked, slug: 'ZZZZZZZZZZZZZZZZZZZZZZ' }, proof, now)).toBe(false); // another link
  });

  it('reads the slug of a header, and refuses malformed ones', () => {
    expect(slugOf('AbCdEfGhIjKlMnOpQrStUv.123.mac')).toBe('AbCdEfGhIjKlMnOpQrStUv');
    expect(slugOf('short')).toBeNull();
    expect(slugOf('bad slug with spaces')).toBeNull();
  });
});
