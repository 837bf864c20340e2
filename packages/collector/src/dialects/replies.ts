/**
 * How each dialect is answered once its events were taken (or dropped as bots): Plausible's
 * trackers read `202` with the text `ok`; Umami's read `200` with `{ cache, sessionId, visitId }`
 * (`{ beep: "boop" }` for a bot). Errors keep Tidemark's `{ error, field }` in every dialect.
 */
import { createHash } from 'node:crypto';

export interface Reply {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string | null;
}

const ORIGIN = { 'Access-Control-Allow-Origin': '*' };
const TEXT = { ...ORIGIN, 'Content-Type': 'text/plain; charset=utf-8' };
const JSON_TYPE = { ...ORIGIN, 'Content-Type': 'application/json; charset=utf-8' };
const DROPPED_BOT = { 'X-Tidemark-Dropped': 'bot' };

const DROPPED_EXCLUDED = { 'X-Tidemark-Dropped': 'excluded' };

/**
 * Plausible's answer to an event it took: `202 ok`; an event its site's exclusions drop (SPEC §11)
 * or a dropped bot gets the same, with the header saying so, as Tidemark's own answer does.
 */
export function plausibleReply({ bots, excluded }: { bots: number; excluded: number }, stored: number): Reply {
  if (excluded > 0) return { status: 202, headers: { ...TEXT, ...DROPPED_EXCLUDED }, body: 'ok' };
  if (bots === 0) return { status: 202, headers: TEXT, body: 'ok' };
  const headers = stored === 0 ? { ...TEXT, ...DROPPED_BOT } : { ...TEXT, ...DROPPED_BOT, 'X-Tidemark-Dropped-Events': String(bots) };
  return { status: 202, headers, body: 'ok' };
}

/** A UUID-shaped name of a Tidemark id (Umami's answer carries UUIDs). */
function uuidOf(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const HOUR_MS = 3_600_000;

/**
 * Umami's answer: `sessionId` names the visitor's id of the day (already a salted hash of the
 * site, IP and User-Agent), `visitId` that visitor in the current hour (Umami's visit salt turns
 * hourly). Tidemark cuts visits in the ingester, so neither is stored; `cache` is empty: Tidemark
 * needs nothing echoed back.
 */
export function umamiReply(visitorId: string, nowMs: number): Reply {
  const sessionId = uuidOf('session', visitorId);
  const visitId = uuidOf('visit', visitorId, String(Math.floor(nowMs / HOUR_MS)));
  return { status: 200, headers: JSON_TYPE, body: JSON.stringify({ cache: '', sessionId, visitId }) };
}

/** Umami's answer to a bot. */
export const UMAMI_BOT: Reply = { status: 200, headers: { ...JSON_TYPE, ...DROPPED_BOT }, body: '{"beep":"boop"}' };

/** Umami's answer to an event its site's exclusions drop (SPEC §11): nothing to name, nothing for the tracker to keep. */
export const UMAMI_EXCLUDED: Reply = { status: 200, headers: { ...JSON_TYPE, ...DROPPED_EXCLUDED }, body: '{"cache":""}' };

/** The preflight of `/api/send`: Umami's tracker sends JSON and echoes `x-umami-cache`. */
export const UMAMI_PREFLIGHT: Reply = {
  status: 204,
  headers: {
    ...ORIGIN,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, x-umami-cache',
    'Access-Control-Max-Age': '86400',
  },
  body: null,
};
