/**
 * The random secrets of SPEC §11 and how they are kept: API keys (`tmk_` + 256 random bits)
 * are stored as their SHA-256 — a key is as random as a hash output, so a slow password hash
 * would add nothing but CPU on every request — and compared through that hash. Shared-link
 * slugs and session ids are 128 and 256 random bits.
 */
import { createHash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'tmk_';
/** `tmk_` and 43 base64url characters. */
const KEY_SHAPE = /^tmk_[A-Za-z0-9_-]{43}$/;
/** How much of a key lists show: `tmk_` and 8 characters (48 of its 256 bits). */
const SHOWN = KEY_PREFIX.length + 8;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface NewKey {
  id: string;
  /** The key itself: shown once, never stored. */
  key: string;
  prefix: string;
  hash: string;
}

export function newApiKey(): NewKey {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { id: `key_${randomBytes(6).toString('hex')}`, key, prefix: key.slice(0, SHOWN), hash: sha256Hex(key) };
}

/** Whether `text` has the shape of a key (the hash lookup decides whether it is one). */
export function looksLikeKey(text: string): boolean {
  return KEY_SHAPE.test(text);
}

export function newSlug(): string {
  return randomBytes(16).toString('base64url');
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** A random token for the browser (a CSRF double-submit cookie). */
export function randomToken(): string {
  return randomBytes(18).toString('base64url');
}
