/**
 * Where each partition's next insert starts, and what the write-ahead log says from there on
 * (docs/storage.md, "Exactly once"). A fetch that does not continue where this process left
 * off — a first fetch, a new assignment (a rebalance, a restart), a fetch again after a failure
 * — may be a replay of runs inserted but not committed: the ranges recorded from its first
 * offset on are read, so `cutRun` cuts the replay exactly as the first attempt did.
 */
import type { PartitionFetch } from '@tidemark/shared';
import type { OffsetRange, RangeLog } from './ranges.ts';

export interface Plan {
  /** The offset the next run starts at. */
  next: bigint;
  /** Recorded ranges from `next` on. */
  ranges: OffsetRange[];
}

export interface Plans {
  /** The plan of the fetch's partition, read again from the log when the fetch is not where this process left off. */
  planFor(fetch: PartitionFetch, read: (recorded: () => Promise<OffsetRange[]>) => Promise<OffsetRange[]>): Promise<Plan>;
  /** After a run up to `last` was inserted and committed. */
  advance(plan: Plan, last: bigint): void;
  /**
   * After a run failed: the partition's next fetch reads the log again, even one from the same
   * offset under the same assignment, since the failed run may have been recorded (and inserted).
   */
  forget(partition: number): void;
}

/** `ranges` is null when the queue never delivers a fetch again (the in-process queue): nothing is recorded. */
export function createPlans(ranges: RangeLog | null, onReplay: (fetch: PartitionFetch, from: bigint, count: number) => void): Plans {
  const plans = new Map<number, Plan & { assignment: number }>();
  return {
    async planFor(fetch, read) {
      const from = fetch.messages[0]?.offset ?? 0n;
      const known = plans.get(fetch.partition);
      if (known && known.assignment === fetch.assignment && known.next === from) return known;
      const recorded = ranges ? await read(() => ranges.recorded(fetch.topic, fetch.partition, from)) : [];
      if (recorded.length > 0) onReplay(fetch, from, recorded.length);
      const plan = { next: from, ranges: recorded, assignment: fetch.assignment };
      plans.set(fetch.partition, plan);
      return plan;
    },
    advance(plan, last) {
      plan.next = last + 1n;
      plan.ranges = plan.ranges.filter((r) => r.first >= plan.next);
    },
    forget(partition) {
      plans.delete(partition);
    },
  };
}
