/**
 * The visits of one queue partition, cut as its batches arrive. A visitor's events all reach
 * one partition (the producer partitions by site and visitor), so the partition's consumer
 * sees every event of its visitors and can cut their visits alone.
 *
 * Invariant: `memory` holds every visit of this partition whose last event is at or after
 * `horizon` (the ClickHouse table holds them all). An event older than `horizon + 30 min`
 * may touch visits memory does not hold: those visitors are looked up in ClickHouse first.
 *
 * A batch is applied to copies: `apply` returns the rows to insert (the old state of each
 * changed visit with sign -1, the new one with sign +1) and a `commit` that makes the new
 * state memory's only after the insert succeeded. The visits are the gap cut of the events by
 * (time, id), whatever their arrival order: an event joins every visit within 30 minutes of
 * it (at most two, which it then merges).
 *
 * Replays: a visit row remembers the batch that last wrote it (topic, partition, last offset).
 * An event of a batch starting at or before that offset lies inside a visit that already
 * holds it (the batch was applied and its insert landed before a crash): it is skipped.
 */
import type { StoredEvent } from '@tidemark/shared';
import { eventTime, merged, VISIT_GAP_MS, type Visit, type VisitSource, visitOf, visitRow, withEvent } from './visit.ts';

export interface BatchRef {
  topic: string;
  partition: number;
  firstOffset: bigint;
  lastOffset: bigint;
}

export interface Applied {
  rows: Record<string, unknown>[];
  /** Events skipped as already applied (a replayed batch whose visits landed). */
  skipped: number;
  commit(): void;
}

/** Reads visits of the given visitors that end at or after `since` (ClickHouse, FINAL). */
export type LookupVisits = (visitors: { site: string; visitorId: string }[], since: number) => Promise<Visit[]>;

const keyOf = (site: string, visitorId: string) => `${site}\0${visitorId}`;

interface Working {
  /** The visit as the batch left it. */
  visit: Visit;
  /** The committed visits it replaces (their rows get cancelled). */
  replaces: Visit[];
  changed: boolean;
}

export class PartitionVisits {
  private readonly memory = new Map<string, Visit[]>();
  /** Offset the next batch must start at to continue this state; anything else means rebuild. */
  next: bigint | null = null;

  readonly partition: number;
  /** Memory holds every visit of the partition whose last event is at or after this (ms). */
  private horizon: number;

  constructor(partition: number, horizon: number, loaded: Visit[]) {
    this.partition = partition;
    this.horizon = horizon;
    for (const v of loaded) this.remember(v);
  }

  private remember(v: Visit): void {
    const key = keyOf(v.site, v.visitorId);
    const list = this.memory.get(key) ?? [];
    const at = list.findIndex((x) => x.firstAt === v.firstAt);
    if (at >= 0) list[at] = v;
    else list.push(v);
    this.memory.set(key, list);
  }

  private forget(v: Visit): void {
    const key = keyOf(v.site, v.visitorId);
    const list = this.memory.get(key);
    if (!list) return;
    const rest = list.filter((x) => x.firstAt !== v.firstAt);
    if (rest.length > 0) this.memory.set(key, rest);
    else this.memory.delete(key);
  }

  /** Drops visits that ended before `before` (they stay in ClickHouse); memory stays authoritative from there on. */
  evict(before: number): void {
    if (before <= this.horizon) return;
    for (const [key, list] of this.memory) {
      const rest = list.filter((v) => v.lastAt >= before);
      if (rest.length === 0) this.memory.delete(key);
      else if (rest.length !== list.length) this.memory.set(key, rest);
    }
    this.horizon = before;
  }

  visitCount(): number {
    let n = 0;
    for (const list of this.memory.values()) n += list.length;
    return n;
  }

  async apply(batch: BatchRef, events: StoredEvent[], lookup: LookupVisits): Promise<Applied> {
    const times = events.map((e) => eventTime(e));
    // Visitors with an event memory may not cover: their older visits come from ClickHouse.
    const unknown = new Map<string, { site: string; visitorId: string; since: number }>();
    events.forEach((e, i) => {
      const since = (times[i] as number) - VISIT_GAP_MS;
      if (since >= this.horizon) return;
      const key = keyOf(e.site, e.visitor_id);
      const seen = unknown.get(key);
      if (!seen || since < seen.since) unknown.set(key, { site: e.site, visitorId: e.visitor_id, since });
    });
    const working = new Map<string, Working[]>();
    const committed = new Map<string, Visit[]>();
    if (unknown.size > 0) {
      const since = Math.min(...[...unknown.values()].map((u) => u.since));
      for (const v of await lookup([...unknown.values()], since)) {
        const key = keyOf(v.site, v.visitorId);
        const list = committed.get(key) ?? [];
        if (!list.some((x) => x.firstAt === v.firstAt)) list.push(v);
        committed.set(key, list);
      }
    }
    const source: VisitSource = { topic: batch.topic, partition: batch.partition, offset: batch.lastOffset };
    let skipped = 0;
    events.forEach((e, i) => {
      const t = times[i] as number;
      const key = keyOf(e.site, e.visitor_id);
      let list = working.get(key);
      if (!list) {
        const base = new Map<number, Visit>();
        for (const v of committed.get(key) ?? []) base.set(v.firstAt, v);
        for (const v of this.memory.get(key) ?? []) base.set(v.firstAt, v); // memory is never older than the table
        list = [...base.values()].map((visit) => ({ visit, replaces: [visit], changed: false }));
        working.set(key, list);
      }
      const holder = list.find((w) => w.visit.firstAt <= t && t <= w.visit.lastAt);
      const from = holder?.visit.source;
      if (
        holder &&
        !holder.changed &&
        from &&
        from.topic === batch.topic &&
        from.partition === batch.partition &&
        from.offset >= batch.firstOffset
      ) {
        skipped++;
        return;
      }
      const near = list.filter((w) => w.visit.firstAt - VISIT_GAP_MS <= t && t <= w.visit.lastAt + VISIT_GAP_MS);
      let next: Working;
      if (near.length === 0) {
        next = { visit: visitOf(e, t), replaces: [], changed: true };
        list.push(next);
      } else {
        const [a, b] = near as [Working, Working | undefined];
        const joined = b ? merged(a.visit, b.visit) : a.visit;
        next = { visit: withEvent(joined, e, t), replaces: b ? [...a.replaces, ...b.replaces] : a.replaces, changed: true };
        list.splice(list.indexOf(a), 1, next);
        if (b) list.splice(list.indexOf(b), 1);
      }
    });
    const rows: Record<string, unknown>[] = [];
    const finals: Visit[] = [];
    const gone: Visit[] = [];
    for (const list of working.values()) {
      for (const w of list) {
        if (!w.changed) continue;
        for (const old of w.replaces) {
          rows.push(visitRow(old, -1));
          gone.push(old);
        }
        const version = Math.max(w.visit.version, ...w.replaces.map((r) => r.version)) + 1;
        const visit = { ...w.visit, version, source };
        rows.push(visitRow(visit, 1));
        finals.push(visit);
      }
    }
    return {
      rows,
      skipped,
      commit: () => {
        for (const v of gone) this.forget(v);
        for (const v of finals) this.remember(v);
        this.next = batch.lastOffset + 1n;
      },
    };
  }
}
