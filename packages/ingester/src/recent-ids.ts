/**
 * A bounded memory of the event ids stored lately, so an event a client sent twice (a
 * tracker retry, a beacon and its fetch fallback) is inserted once. Two generations of
 * sets: ids move to the old one when the current one is full or `maxAgeMs` old, and the
 * old one is dropped at the next turn — so it remembers at least `capacity` ids and at
 * least `maxAgeMs`, whichever ends first, in at most 2 × `capacity` entries.
 * A visitor's events share a partition (the message key is site + visitor), so the one
 * ingester that sees an event also sees its re-sends; what slips through (a re-send after
 * the window, or across a reassignment) is left to `LIMIT 1 BY event_id` on raw queries.
 * An id enters the memory only after its row was stored, so the memory never needs a reset
 * when partitions move: whatever it holds is in ClickHouse, and dropping a repeat is right.
 */
export interface RecentIdsOptions {
  capacity?: number;
  maxAgeMs?: number;
  now?: () => number;
}

export interface RecentIds {
  has(id: string): boolean;
  add(id: string): void;
  size(): number;
}

export function createRecentIds({ capacity = 200_000, maxAgeMs = 10 * 60_000, now = Date.now }: RecentIdsOptions = {}): RecentIds {
  let current = new Set<string>();
  let previous = new Set<string>();
  let turnedAt = now();
  const turn = () => {
    previous = current;
    current = new Set();
    turnedAt = now();
  };
  return {
    has(id) {
      return current.has(id) || previous.has(id);
    },
    add(id) {
      if (current.size >= capacity || now() - turnedAt >= maxAgeMs) turn();
      current.add(id);
    },
    size() {
      return current.size + previous.size;
    },
  };
}
