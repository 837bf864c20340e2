/**
 * Tells when a queue consumer stopped consuming without saying so: a partition it was given
 * holds messages not yet committed, yet no fetch of it has reached the handler for `stallMs`,
 * and no fetch is being handled at all (a batch in hand, e.g. an insert retried while
 * ClickHouse is down, is progress of its own and is left alone). kafkajs consumers have been
 * reported to end up there — joined, no fetch, no crash, no error (kafkajs issue #659) — and the
 * remedy, a fresh consumer, is the adapter's (`kafkajs-consumer.ts`).
 */

export interface StallWatch {
  /** A fetch of `partition` reached the handler. */
  started(partition: number): void;
  /** The handler is done with it (successfully or not). */
  ended(partition: number): void;
  /** The partitions given to this member by the last rebalance. */
  assigned(partitions: number[]): void;
  /** A fresh consumer took over: every partition gets `stallMs` again. */
  restarted(): void;
  /** The assigned, unpaused partitions with messages waiting that no fetch reached for `stallMs`. */
  stalled(lags: { partition: number; lag: number }[], paused: ReadonlySet<number>): number[];
}

export function createStallWatch(stallMs: number, now: () => number = Date.now): StallWatch {
  let since = now();
  const seen = new Map<number, number>();
  let handling = 0;
  let assignment: Set<number> | null = null;
  return {
    started(partition) {
      handling++;
      seen.set(partition, now());
    },
    ended(partition) {
      handling = Math.max(0, handling - 1);
      seen.set(partition, now());
    },
    assigned(partitions) {
      const at = now();
      for (const p of partitions) if (!assignment?.has(p)) seen.set(p, at); // newly given: a fresh start
      assignment = new Set(partitions);
    },
    restarted() {
      since = now();
      seen.clear();
    },
    stalled(lags, paused) {
      if (handling > 0) return [];
      const at = now();
      return lags
        .filter(({ partition, lag }) => lag > 0 && !paused.has(partition) && (assignment === null || assignment.has(partition)))
        .filter(({ partition }) => at - Math.max(since, seen.get(partition) ?? since) >= stallMs)
        .map(({ partition }) => partition);
    },
  };
}
