/**
 * The bytes of request bodies (and fast-path heads) that have started to arrive but are not
 * complete, across every connection of a collector. A client that sends a head and part of
 * a body, then goes silent, holds that memory until its request times out; the budget caps
 * what all such clients together can hold. A request that would pass it is answered 503 and
 * its connection closed.
 */
export interface ByteBudget {
  /** Reserves `bytes`; false (and nothing reserved) when that would pass the limit. */
  take(bytes: number): boolean;
  /** Gives back bytes reserved earlier. */
  give(bytes: number): void;
  /** Bytes reserved now. */
  readonly used: number;
}

export function createByteBudget(limit: number): ByteBudget {
  let used = 0;
  return {
    take(bytes) {
      if (used + bytes > limit) return false;
      used += bytes;
      return true;
    },
    give(bytes) {
      used -= bytes;
    },
    get used() {
      return used;
    },
  };
}
