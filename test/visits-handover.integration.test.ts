/**
 * A partition handed over to another ingester (a rebalance, a kill -9) continues the visits its
 * previous owner wrote, on the real engines: the new owner's state comes from `visits` — the
 * visits of the last two hours when it rebuilds, older ones looked up when a backdated event
 * (SPEC §11 `timestamp`) may touch them. Visitor ids are UInt64 hashes, nearly all above 2^53,
 * so every read must keep them exact. One owner writes a batch and commits it, writes a second
 * and loses the partition before the commit; the next owner replays the second (already applied:
 * skipped), then takes events 29 minutes from the first owner's visits, an old one and a recent
 * one, and dies before its commit; the partition returns to the first owner at the offset it left
 * off at, which replays that batch and continues. `visits` equals the reference cut, one visit per
 * visitor, on the server and on the embedded engine.
 */
import { randomUUID } from 'node:crypto';
import { createVisitTracker, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  type Config,
  createClickHouse,
  EXACT_64BIT_JSON,
  loadConfig,
  plainLogger,
  type StoredEvent,
  storedEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { processDataDir, uniqueName } from './harness.ts';
import { cutVisits, rowSignature, SIGNATURE_COLUMNS, visitSignature } from './reference/visits.ts';

const MINUTE = 60_000;
const site = 'handover.example';
// Hash-like ids past 2^53 (a double cannot hold them: JSON numbers would round them).
const OLD_VISITOR = '16644918395299250123';
const RECENT_VISITOR = '9007199254740993';
const REPLAYED_VISITOR = '18446744073709551557';

function pageview(visitorId: string, at: number, path: string): StoredEvent {
  return storedEvent({
    site,
    visitor_id: visitorId,
    event_id: randomUUID(),
    pageview_id: randomUUID(),
    name: 'pageview',
    path,
    url: `https://${site}${path}`,
    host: site,
    timestamp: toClickHouseTime(at),
  });
}

async function handOver(config: Config, client: ClickHouseClient): Promise<void> {
  const database = config.clickhouse.database;
  await migrate(client, config.clickhouse);
  const now = Date.now();
  const yesterday = now - 20 * 60 * MINUTE; // far past the 2-hour rebuild horizon
  const recent = now - 40 * MINUTE; // inside it
  const committed = [pageview(OLD_VISITOR, yesterday + 29 * MINUTE, '/later'), pageview(RECENT_VISITOR, recent, '/a')];
  const uncommitted = [pageview(REPLAYED_VISITOR, yesterday, '/x'), pageview(REPLAYED_VISITOR, recent + MINUTE, '/y')];
  const afterHandOver = [
    pageview(OLD_VISITOR, yesterday, '/first'), // backdated: 29 minutes before the old visit
    pageview(RECENT_VISITOR, recent + 29 * MINUTE, '/b'),
  ];
  const returned = [pageview(OLD_VISITOR, yesterday + 50 * MINUTE, '/last')];
  const topic = uniqueName('handover');
  const batch = (first: number, events: StoredEvent[]) => ({
    ref: { topic, partition: 3, firstOffset: BigInt(first), lastOffset: BigInt(first + events.length - 1) },
    token: `${topic}:3:${first}-${first + events.length - 1}`,
    events,
  });
  const b0 = batch(0, committed);
  const b1 = batch(2, uncommitted);
  const b2 = batch(4, afterHandOver);
  const b3 = batch(6, returned);

  const first = createVisitTracker({ client, database, log: plainLogger() });
  expect(await first.apply({ ...b0.ref, assignment: 1 }, b0.events, b0.token)).toEqual({ rows: 2, skipped: 0 });
  expect(await first.apply({ ...b1.ref, assignment: 1 }, b1.events, b1.token)).toEqual({ rows: 2, skipped: 0 }); // its commit never happens

  const next = createVisitTracker({ client, database, log: plainLogger() }); // the partition's new owner
  const replay = await next.apply({ ...b1.ref, assignment: 1 }, b1.events, b1.token);
  const joined = await next.apply({ ...b2.ref, assignment: 1 }, b2.events, b2.token); // it dies before this commit

  // The partition comes back to its first owner, at the very offset it left off at (4): what that
  // owner holds in memory is stale all the same.
  const replayBack = await first.apply({ ...b2.ref, assignment: 2 }, b2.events, b2.token);
  const joinedBack = await first.apply({ ...b3.ref, assignment: 2 }, b3.events, b3.token);

  const read = async <T>(query: string) =>
    (await client.query({ query, query_params: { site }, format: 'JSONEachRow', clickhouse_settings: EXACT_64BIT_JSON })).json<T>();
  const found = await read<Record<string, string | number>>(
    `SELECT ${SIGNATURE_COLUMNS} FROM ${database}.visits FINAL WHERE site = {site:String}`,
  );
  const actual = found.map(rowSignature).sort();
  const all = [...committed, ...uncommitted, ...afterHandOver, ...returned];
  const expected = cutVisits(all).map(visitSignature).sort();
  expect(expected.map((v) => v.split('|')[1])).toEqual([OLD_VISITOR, RECENT_VISITOR, REPLAYED_VISITOR, REPLAYED_VISITOR].sort());
  // Replays are skipped; each later event joins its visitor's visit: the old row cancelled (-1),
  // the joined one written (+1).
  expect({ replay, joined, replayBack, joinedBack, visits: actual }).toEqual({
    replay: { rows: 0, skipped: 2 },
    joined: { rows: 4, skipped: 0 },
    replayBack: { rows: 0, skipped: 2 },
    joinedBack: { rows: 2, skipped: 0 },
    visits: expected,
  });
  // The rollups take the cancels back too: one visit per visit of the reference.
  const [day] = await read<{ visits: string }>(
    `SELECT toString(sum(visits)) AS visits FROM ${database}.visits_1d WHERE site = {site:String} AND dimension = ''`,
  );
  expect(Number(day?.visits)).toBe(expected.length);
}

describe.each(['server', 'embedded'] as const)('visits across a partition hand-over (%s engine)', (engine) => {
  const config = loadConfig({
    CLICKHOUSE_DATABASE: uniqueName('handover'),
    ...(engine === 'server' ? { CLICKHOUSE_URL: inject('clickhouseUrl') } : { DATA_DIR: processDataDir() }),
  });
  const client = createClickHouse(config.clickhouse);

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await client.close();
  });

  it('the new owner continues the visits it did not write, old and recent; a former owner it comes back to too', async () => {
    await handOver(config, client);
  });
});
