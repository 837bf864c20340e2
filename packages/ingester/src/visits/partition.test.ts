import type { StoredEvent } from '@tidemark/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutVisits, rowSignature, visitSignature } from '../../../../test/reference/visits.ts';
import { arrivalOrder, workload } from '../../../../test/reference/workload.ts';
import { type LookupVisits, PartitionVisits } from './partition.ts';
import { VISIT_GAP_MS, type Visit, type VisitRowRead, visitFromRow } from './visit.ts';

/** A `visits` table as VersionedCollapsingMergeTree FINAL sees it: a cancel must meet its row. */
class Table {
  readonly rows = new Map<string, Record<string, unknown>>();
  apply(rows: Record<string, unknown>[]): void {
    for (const r of rows) {
      const key = `${r.site}\0${r.visitor_id}\0${r.first_at}`;
      if (r.sign === -1) {
        expect(JSON.stringify(this.rows.get(key))).toBe(JSON.stringify({ ...r, sign: 1 }));
        this.rows.delete(key);
      } else {
        expect(this.rows.has(key)).toBe(false);
        this.rows.set(key, r);
      }
    }
  }
  lookup: LookupVisits = async (visitors, since) => {
    const wanted = new Set(visitors.map((v) => `${v.site}\0${v.visitorId}`));
    return [...this.rows.values()]
      .filter((r) => wanted.has(`${r.site}\0${r.visitor_id}`) && Date.parse(`${String(r.last_at).replace(' ', 'T')}Z`) >= since)
      .map((r) => visitFromRow(JSON.parse(JSON.stringify(r)) as VisitRowRead & Visit['entry']));
  };
  open(since: number): Visit[] {
    return [...this.rows.values()]
      .filter((r) => Date.parse(`${String(r.last_at).replace(' ', 'T')}Z`) >= since)
      .map((r) => visitFromRow(JSON.parse(JSON.stringify(r)) as VisitRowRead & Visit['entry']));
  }
  summary() {
    return [...this.rows.values()].map(rowSignature).sort();
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

function expected(events: StoredEvent[]) {
  return cutVisits(events).map(visitSignature).sort();
}

const START = Date.UTC(2026, 2, 1);
const topic = 't';

describe('PartitionVisits', () => {
  it('cuts the same visits as the reference whatever the arrival order, batch cuts, restarts and replays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        async (seed, batchSize, backdated) => {
          const events = arrivalOrder(workload({ seed, start: START, spanMs: 8 * 3_600_000, visitors: 20 }), seed, backdated);
          const table = new Table();
          let state = new PartitionVisits(0, START + 10 * 3_600_000, []); // horizon past everything: every visitor is looked up
          let offset = 0n;
          for (let i = 0; i < events.length; i += batchSize) {
            const chunk = events.slice(i, i + batchSize);
            const batch = { topic, partition: 0, firstOffset: offset, lastOffset: offset + BigInt(chunk.length - 1) };
            const applied = await state.apply(batch, chunk, table.lookup);
            table.apply(applied.rows);
            if (seed % 3 === 0 && i % (batchSize * 3) === 0) {
              // A crash after the insert landed, before the commit: a new owner rebuilds and replays the batch.
              state = new PartitionVisits(0, START, table.open(START));
              const replay = await state.apply(batch, chunk, table.lookup);
              expect(replay.rows).toEqual([]);
              expect(replay.skipped).toBe(chunk.length);
              replay.commit();
            } else {
              applied.commit();
              if (seed % 5 === 0) state.evict(START + i * 60_000);
            }
            offset += BigInt(chunk.length);
          }
          expect(table.summary()).toEqual(expected(events));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('merges two visits when a late event closes the gap between them', async () => {
    const table = new Table();
    const state = new PartitionVisits(0, 0, []);
    const at = (min: number, id: string, name = 'pageview', path = '/') =>
      ({ ...base, event_id: id, name, path, timestamp: iso(START + min * 60_000) }) as StoredEvent;
    const base = { ...(await import('@tidemark/shared')).storedEvent({ site: 's.example', visitor_id: '7' }) };
    let off = 0n;
    const send = async (...list: StoredEvent[]) => {
      const applied = await state.apply({ topic, partition: 0, firstOffset: off, lastOffset: off }, list, table.lookup);
      table.apply(applied.rows);
      applied.commit();
      off++;
    };
    await send(at(0, 'a', 'pageview', '/in'));
    await send(at(50, 'c', 'pageview', '/out'));
    expect(table.rows.size).toBe(2);
    await send(at(25, 'b', 'signup'));
    expect(table.summary()).toEqual([`s.example|7|${iso(START)}|${iso(START + 50 * 60_000)}|2|1|0|/in|/out|Direct / None|Direct`]);
    expect(VISIT_GAP_MS).toBe(1_800_000);
  });
});
