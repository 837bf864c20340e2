/**
 * Visitor and session ids without cookies (SPEC §4 "Privacy"). `visitor_id` hashes
 * (salt of the UTC day, site, IP, User-Agent); the salt is random, kept in memory only, and
 * forgotten after 48 hours, so an id cannot be linked across days or reversed. Visits (a
 * visitor's events with no gap over 30 minutes) are cut by the ingester that owns the
 * visitor's partition, not here: a collector sees only the events it received.
 * The Query API relies on an id never spanning two UTC days (the salt is chosen by the event's
 * own UTC day): it sums days' distinct visitors (docs/query.md, "Distinct visitors over many days").
 */
import { createHmac, hash, randomBytes } from 'node:crypto';
import { GenerationCache } from '@tidemark/shared';

export const DAY_MS = 86_400_000;

export interface SaltSource {
  /** The salt of the UTC day that `nowMs` falls in. */
  saltFor(nowMs: number): Buffer;
  /** The salt of UTC day number `day` if this source still (or already) holds it; never makes one. */
  held(day: number): Buffer | undefined;
}

/** Salts of the current and previous UTC day only; older ones are dropped. */
export function createMemorySalts(): SaltSource {
  const salts = new Map<number, Buffer>();
  return {
    held: (day) => salts.get(day),
    saltFor(nowMs) {
      const day = Math.floor(nowMs / DAY_MS);
      let salt = salts.get(day);
      if (!salt) {
        salt = randomBytes(32);
        salts.set(day, salt);
        for (const d of salts.keys()) if (d < day - 1) salts.delete(d);
      }
      return salt;
    },
  };
}

/**
 * The salt of a server-side event's own UTC day (SPEC §11: `timestamp` up to 30 days old):
 * - the day's real salt while the source holds it (today's; yesterday's until it is discarded;
 *   tomorrow's once prepared), so backdated and live events of one visitor and day share an id;
 * - for any other day, a salt derived for that day from today's: HMAC-SHA-256(today's salt,
 *   day number). It is as random as the salt it comes from to anyone without that salt, differs
 *   for every day (ids stay unlinkable across days), is the same on every instance (they share
 *   today's salt), and becomes unrecomputable when today's salt is discarded, 48 hours on.
 *   The cost: events of one old day sent on two different days get two ids.
 */
export function createEventSalts(salts: SaltSource): (timeMs: number, nowMs: number) => Buffer {
  let base: Buffer | null = null;
  let derived = new Map<number, Buffer>();
  return (timeMs, nowMs) => {
    const today = salts.saltFor(nowMs);
    const day = Math.floor(timeMs / DAY_MS);
    if (day === Math.floor(nowMs / DAY_MS)) return today;
    const held = salts.held(day);
    if (held) return held;
    if (today !== base) {
      base = today;
      derived = new Map(); // derived salts go with the salt they came from
    }
    let salt = derived.get(day);
    if (salt === undefined) {
      salt = createHmac('sha256', today).update(`tidemark-backdated-day:${day}`).digest();
      derived.set(day, salt); // at most the 32 days a timestamp may name
    }
    return salt;
  };
}

export function visitorId(salt: Buffer, site: string, ip: string, userAgent: string): string {
  // One-shot hash over one string: the salt (hex) and the three parts, NUL-separated.
  const digest = hash('sha256', `${saltHex(salt)}\0${site}\0${ip}\0${userAgent}`, 'buffer');
  return digest.readBigUInt64BE(0).toString();
}

/** `visitorId` with the ids of the current salt remembered, by site, IP and User-Agent. */
export type VisitorIds = (salt: Buffer, site: string, ip: string, userAgent: string) => string;

/** Longer User-Agents are hashed every time, like the agent cache parses them every time. */
const MAX_REMEMBERED_UA = 512;

/**
 * Remembers the ids it computed for the salt it was last given, so a visitor's second and
 * later events of the day cost a map lookup instead of the hash (figures: the collector's
 * README). Memory only, bounded, and dropped with the salt: when the salt changes (a new
 * day) the remembered ids go too, so nothing outlives what the salt itself may. At most
 * 2 × `max` keys of a hostname, an IP and a User-Agent of up to 512 characters.
 */
export function createVisitorIds(max = 20_000): VisitorIds {
  let salt: Buffer | null = null;
  let ids = new GenerationCache<string, string>(max);
  return (daySalt, site, ip, userAgent) => {
    if (userAgent.length > MAX_REMEMBERED_UA) return visitorId(daySalt, site, ip, userAgent);
    if (daySalt !== salt) {
      salt = daySalt;
      ids = new GenerationCache(max);
    }
    const key = `${site}\0${ip}\0${userAgent}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = visitorId(daySalt, site, ip, userAgent);
      ids.set(key, id);
    }
    return id;
  };
}

const hexOf = new WeakMap<Buffer, string>();

function saltHex(salt: Buffer): string {
  let hex = hexOf.get(salt);
  if (hex === undefined) {
    hex = salt.toString('hex');
    hexOf.set(salt, hex);
  }
  return hex;
}
