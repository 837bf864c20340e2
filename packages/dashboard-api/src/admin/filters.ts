/**
 * A shared link's locked filters (SPEC §11) are Query API filters (SPEC §10): checked when the
 * link is made, by the Query API's own parser, so a bad one is a 400 then, not a failure of
 * every later query. Each query a link runs holds them in one `and` (`withLocked`).
 */
import { parseFilters } from '../v2/parse.ts';

/** Most locked filters of one link. */
export const MAX_LOCKED_FILTERS = 20;

/** Throws a `ValidationError` naming the JSON pointer (under `base`) of the first problem. */
export function checkFilters(filters: unknown, base: string): unknown[] {
  parseFilters(filters, base, MAX_LOCKED_FILTERS, 1);
  return filters as unknown[];
}
