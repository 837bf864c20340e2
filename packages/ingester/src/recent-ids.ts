/**
 * A bounded memory of the event ids stored lately, so an event a client sent twice (a
 * tracker retry, a beacon and its fetch fallback) is inserted once: a `GenerationCache` of
 * ids, so it remembers at least `capacity` ids and at least `maxAgeMs`, whichever ends
 * first, in at most 2 × `capacity` entries.
 * A visitor's events share a partition (the message key is site + visitor), so the one
 * ingester that sees an event also sees its re-sends; what slips through (a re-send after
 * the window, or across a reassignment) is left to `LIMIT 1 BY event_id` on raw queries.
 * An id enters the memory only after its row was stored, so the memory never needs a reset
 * when partitions move: whatever it holds is in ClickHouse, and dropping a repeat is right.
 */
import { GenerationCache, type GenerationCacheOptions } from '@tidemark/shared';

export type RecentIds = GenerationCache<string, true>;

export function createRecentIds({
  capacity = 200_000,
  maxAgeMs = 10 * 60_000,
  now,
}: GenerationCacheOptions & { capacity?: number } = {}): RecentIds {
  return new GenerationCache<string, true>(capacity, { maxAgeMs, ...(now ? { now } : {}) });
}
