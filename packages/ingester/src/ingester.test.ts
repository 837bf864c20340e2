import { Readable } from 'node:stream';
import {
  type ClickHouseClient,
  createMemoryQueue,
  decodeRows,
  EVENT_COLUMNS,
  encodeEvents,
  encodeMessages,
  HEADERS,
  type PartitionFetch,
  plainLogger,
  type QueueConsumer,
  SCHEMA_VERSION,
  type StoredEvent,
  storedEvent,
  type WireMessage,
  wireSchemas,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createIngester } from './ingester.ts';
import { commitStall, createIngesterMetrics } from './metrics.ts';

const event = (i: number, id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`): StoredEvent => storedEvent({ event_id: id });

/** A ClickHouse server that fails its first `failures` inserts, and keeps the event ids it stored by token (as dedup does). */
function flakyClickHouse(failures: number) {
  const stored = new Map<string, string[]>();
  const queries: string[] = [];
  let calls = 0;
  const client = {
    async exec(params: { query: string; values: Readable; clickhouse_settings: { insert_deduplication_token: string } }) {
      calls++;
      queries.push(params.query);
      const chunks: Buffer[] = [];
      for await (const chunk of params.values) chunks.push(chunk as Buffer);
      if (calls <= failures) throw new Error('connect ECONNREFUSED');
      const token = params.clickhouse_settings.insert_deduplication_token;
      if (!stored.has(token))
        stored.set(
          token,
          decodeRows(Buffer.concat(chunks)).map((e) => e.event_id),
        );
      return { stream: Readable.from([]) };
    },
  };
  return { client: client as unknown as ClickHouseClient, stored, queries, calls: () => calls };
}

describe('ingester (embedded queue)', () => {
  it('retries a failing insert with the same token until it succeeds, then moves on; nothing lost', async () => {
    const queue = createMemoryQueue({ maxRows: 100, intervalMs: 10 });
    const fake = flakyClickHouse(3);
    const registry = new Registry();
    const metrics = createIngesterMetrics(registry);
    const ingester = createIngester({
      client: fake.client,
      database: 'db',
      consumer: queue.consumer,
      log: plainLogger(),
      metrics,
      visits: null,
      maxRows: 100,
    });
    await ingester.start();
    // Three sends, three messages (a send is one message), cut into batches of at most 100 events.
    for (const [from, to] of [
      [0, 100],
      [100, 200],
      [200, 250],
    ] as const)
      await queue.producer.send(Array.from({ length: to - from }, (_, i) => event(from + i)));
    while (queue.size() > 0) await new Promise((r) => setTimeout(r, 20));
    await ingester.stop();
    expect([...fake.stored.keys()].map((token) => token.replace(/^memory-[0-9a-f-]{36}:/, 'memory:'))).toEqual([
      'memory:0:0-0',
      'memory:0:1-1',
      'memory:0:2-2',
    ]);
    expect([...fake.stored.values()].flat()).toHaveLength(250);
    expect(fake.calls()).toBe(3 + 3);
    expect(fake.queries[0]).toMatch(
      /^INSERT INTO db\.events \(event_id, site, .*, props, scroll_depth, region, city\) SELECT .* FROM input\('.*'\) FORMAT RowBinary$/,
    );
    expect(await registry.getSingleMetricAsString('tidemark_ingester_insert_failures_total')).toMatch(/ 3$/);
  });

  it('stores an event id once however often it arrives, across batches', async () => {
    const queue = createMemoryQueue({ maxRows: 10, intervalMs: 10 });
    const fake = flakyClickHouse(0);
    const metrics = createIngesterMetrics(new Registry());
    const ingester = createIngester({
      client: fake.client,
      database: 'db',
      consumer: queue.consumer,
      log: plainLogger(),
      metrics,
      visits: null,
      maxRows: 10,
    });
    await ingester.start();
    const twice = event(0, '11111111-1111-4111-8111-111111111111');
    await queue.producer.send([twice, twice, ...Array.from({ length: 9 }, (_, i) => event(i + 1)), twice]);
    while (queue.size() > 0) await new Promise((r) => setTimeout(r, 20));
    await ingester.stop();
    const ids = [...fake.stored.values()].flat();
    expect(ids).toHaveLength(10);
    expect(ids.filter((id) => id === twice.event_id)).toHaveLength(1);
  });

  it('the in-process queue refuses a send holding an event the table cannot hold, before taking any of it', async () => {
    const queue = createMemoryQueue({ maxRows: 100, intervalMs: 10 });
    await expect(queue.producer.send([event(0), { ...event(1), screen_width: 70_000 }])).rejects.toThrow(
      'screen_width: must be an integer from 0 to 65535',
    );
    expect(queue.size()).toBe(0);
  });
});

/** A queue that delivers the given messages as one fetch of one partition, and keeps what was dead-lettered and committed. */
function oneBatch(messages: WireMessage[]) {
  const dead: { value: Buffer; error: string }[] = [];
  const commits: bigint[] = [];
  let handled!: () => void;
  /** Resolves once the fetch's handler did (its inserts, retries included). */
  const done = new Promise<void>((resolve) => {
    handled = resolve;
  });
  const consumer: QueueConsumer = {
    replays: false,
    async run(handle) {
      const fetch: PartitionFetch = {
        topic: 't',
        partition: 0,
        assignment: 1,
        messages: messages.map((m, i) => ({ ...m, offset: BigInt(i) })),
        highWatermark: BigInt(messages.length),
        active: () => true,
        heartbeat: async () => {},
        commit: async (next) => {
          commits.push(next);
        },
        stop: () => {},
      };
      await handle(fetch);
      handled();
    },
    async deadLetter(values) {
      dead.push(...values.map(({ message, error }) => ({ value: message.value, error })));
    },
    backlog: async () => 0,
    close: async () => {},
  };
  return { consumer, dead, done, commits };
}

describe('ingester (messages as Kafka delivers them)', () => {
  it('dead-letters a JSON message the engine would refuse or store wrongly, and inserts the rest of its batch', async () => {
    const json = (e: StoredEvent): WireMessage => ({ value: Buffer.from(JSON.stringify(e)), headers: {} });
    const queue = oneBatch([
      json(event(0)),
      json({ ...event(1), visitor_id: '18446744073709551616' }),
      json({ ...event(2), timestamp: '2026-02-30 00:00:00.000' }),
      json({ ...event(3), screen_width: 70_000 }),
      json(event(4)),
    ]);
    const fake = flakyClickHouse(0);
    const registry = new Registry();
    const ingester = createIngester({
      visits: null, // this fake answers inserts only; visits have their own tests
      client: fake.client,
      database: 'db',
      consumer: queue.consumer,
      log: plainLogger('silent'),
      metrics: createIngesterMetrics(registry),
    });
    await ingester.start();
    await ingester.stop();
    expect([...fake.stored.values()].flat()).toEqual([event(0).event_id, event(4).event_id]);
    expect(queue.dead.map((d) => d.error)).toEqual([
      'visitor_id: must be a UInt64 in decimal',
      'timestamp: must be a UTC time YYYY-MM-DD hh:mm:ss.sss from 1900 to 2299',
      'screen_width: must be an integer from 0 to 65535',
    ]);
    expect(await registry.getSingleMetricAsString('tidemark_ingester_dead_lettered_total')).toMatch(/ 3$/);
  });

  it('copies the rows of RowBinary messages, takes JSON messages too, drops repeated ids, and dead-letters a broken message whole', async () => {
    const [packed] = encodeMessages([event(1), event(2), event(1), event(3)]);
    const [other] = encodeMessages([event(4), event(5)]);
    if (!packed || !other) throw new Error('no message');
    const truncated = { ...other, value: other.value.subarray(0, other.value.length - 3) };
    const json = { value: Buffer.from(JSON.stringify(event(6))), headers: {} };
    const [again] = encodeMessages([event(6), event(7)]);
    if (!again) throw new Error('no message');
    const queue = oneBatch([packed, truncated, json, again]);
    const fake = flakyClickHouse(0);
    const registry = new Registry();
    const ingester = createIngester({
      visits: null, // this fake answers inserts only; visits have their own tests
      client: fake.client,
      database: 'db',
      consumer: queue.consumer,
      log: plainLogger(),
      metrics: createIngesterMetrics(registry),
    });
    await ingester.start();
    await ingester.stop();
    expect([...fake.stored.values()]).toEqual([[event(1), event(2), event(3), event(6), event(7)].map((e) => e.event_id)]);
    expect(queue.dead.map((d) => [d.value, d.error])).toEqual([[truncated.value, expect.stringMatching(/^message: truncated/)]]);
    expect(queue.commits).toEqual([4n]);
    expect(await registry.getSingleMetricAsString('tidemark_ingester_duplicates_dropped_total')).toMatch(/ 2$/);
  });
});

/**
 * A server whose first insert fails after the raw table took it (a view's insert failed), and
 * whose start time reads `startTimes` in turn (a change means it restarted). `landed` answers
 * whether the batch's first and last ids are in the raw table.
 */
function halfFailingClickHouse(startTimes: number[], landed: boolean) {
  let execs = 0;
  let startReads = 0;
  const landedChecks: unknown[] = [];
  const client = {
    async query(params: { query: string; query_params?: unknown }) {
      if (params.query.includes('uptime()')) {
        const started = startTimes[Math.min(startReads++, startTimes.length - 1)];
        return { json: async () => [{ started }] };
      }
      landedChecks.push(params.query_params);
      return { json: async () => [{ n: landed ? 2 : 0 }] };
    },
    async exec(params: { values: Readable }) {
      execs++;
      for await (const _ of params.values); // the body is sent either way
      if (execs === 1) throw new Error('while pushing to view db.pages_minute_mv: memory limit exceeded');
      return { stream: Readable.from([]) };
    },
  };
  return { client: client as unknown as ClickHouseClient, execs: () => execs, landedChecks };
}

describe('ingester: a retried insert', () => {
  const run = async (fake: ReturnType<typeof halfFailingClickHouse>, replicated = false) => {
    const [message] = encodeMessages([event(1), event(2)]);
    if (!message) throw new Error('no message');
    const queue = oneBatch([message]);
    const ingester = createIngester({
      visits: null, // this fake answers inserts only; visits have their own tests
      client: fake.client,
      database: 'db',
      consumer: queue.consumer,
      log: plainLogger(),
      metrics: createIngesterMetrics(new Registry()),
      lagEveryMs: 60_000,
      replicated,
    });
    await ingester.start();
    await queue.done;
    await ingester.stop();
  };

  it('runs again with its token on the same server: the views that failed get their rows', async () => {
    const fake = halfFailingClickHouse([1_795_000_000], true);
    await run(fake);
    expect(fake.execs()).toBe(2);
    expect(fake.landedChecks).toEqual([]); // the raw rows being there says nothing about the views
  });

  it('after a restart, first asks the raw table, and does not insert what landed (the dedup log may be gone)', async () => {
    const fake = halfFailingClickHouse([1_795_000_000, 1_795_000_042], true);
    await run(fake);
    expect(fake.execs()).toBe(1);
    expect(fake.landedChecks).toHaveLength(1);
  });

  it('after a restart, inserts again what did not land', async () => {
    const fake = halfFailingClickHouse([1_795_000_000, 1_795_000_042], false);
    await run(fake);
    expect(fake.execs()).toBe(2);
    expect(fake.landedChecks).toHaveLength(1);
  });

  it('on Replicated tables, runs again with its token even after a restart (the dedup log is in Keeper)', async () => {
    const fake = halfFailingClickHouse([1_795_000_000, 1_795_000_042], true);
    await run(fake, true);
    expect(fake.execs()).toBe(2);
    expect(fake.landedChecks).toEqual([]);
  });
});

describe('ingester: a run whose commit failed', () => {
  it('is cut as recorded when the same offsets come again under the same assignment', async () => {
    const ranges: { first_offset: string; last_offset: string }[] = [];
    const tokens: string[] = [];
    const client = {
      async query(params: { query: string; query_params: { from: string } }) {
        if (params.query.includes('uptime()')) return { json: async () => [{ started: 1_795_000_000 }] };
        return { json: async () => ranges.filter((r) => BigInt(r.last_offset) >= BigInt(params.query_params.from)) };
      },
      async insert(params: { values: { first_offset: string; last_offset: string }[] }) {
        ranges.push(...params.values); // the write-ahead
      },
      async exec(params: { values: Readable; clickhouse_settings: { insert_deduplication_token: string } }) {
        for await (const _ of params.values);
        tokens.push(params.clickhouse_settings.insert_deduplication_token);
        return { stream: Readable.from([]) };
      },
    } as unknown as ClickHouseClient;
    const messages = Array.from({ length: 12 }, (_, i) => encodeMessages([event(i)])[0] as WireMessage);
    let commits = 0;
    const fetchOf = (count: number): PartitionFetch => ({
      topic: 't',
      partition: 0,
      assignment: 1,
      messages: messages.slice(0, count).map((m, i) => ({ ...m, offset: BigInt(i) })),
      highWatermark: BigInt(count),
      active: () => true,
      heartbeat: async () => {},
      commit: async () => {
        if (commits++ === 0) throw new Error('The coordinator is not available'); // after the insert landed
      },
      stop: () => {},
    });
    const consumer: QueueConsumer = {
      replays: true,
      async run(handle) {
        await expect(handle(fetchOf(6))).rejects.toThrow(/coordinator/);
        await handle(fetchOf(12)); // kafkajs fetches again from the last resolved offset: 0, and more has arrived
      },
      deadLetter: async () => {},
      backlog: async () => 0,
      close: async () => {},
    };
    const ingester = createIngester({
      visits: null, // this fake answers inserts only; visits have their own tests
      client,
      database: 'db',
      consumer,
      log: plainLogger('silent'),
      metrics: createIngesterMetrics(new Registry()),
      lagEveryMs: 60_000,
    });
    await ingester.start();
    await ingester.stop();
    // The same first run again (its events known: nothing to insert), then the rest: a visit replay
    // skips only what that run applied. Cut anew, the fetch made one run 0-11 under a new token.
    expect(tokens).toEqual(['t:0:0-5', 't:0:6-11']);
  });
});

describe('ingester: schema versions', () => {
  /** The next build: one more column, `future`, in the schema version after this build's. */
  const next = wireSchemas([...EVENT_COLUMNS, ['future', 'String', SCHEMA_VERSION + 1]]);
  const v2 = (e: StoredEvent, future: string): WireMessage => ({
    value: Buffer.concat([encodeEvents([e]), Buffer.from([future.length]), Buffer.from(future)]),
    headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: String(SCHEMA_VERSION + 1), [HEADERS.rows]: '1' },
  });
  const v1 = (e: StoredEvent) => encodeMessages([e])[0] as WireMessage;

  it('stops the partition at a version newer than it knows: what comes before is stored, nothing dead-lettered', async () => {
    const queue = oneBatch([v1(event(1)), v1(event(2)), v2(event(3), 'DE'), v1(event(4))]);
    const fake = flakyClickHouse(0);
    const registry = new Registry();
    let stopped = 0;
    const consumer: QueueConsumer = {
      ...queue.consumer,
      run: (handle) => queue.consumer.run((fetch) => handle({ ...fetch, stop: () => stopped++ })),
    };
    const ingester = createIngester({
      client: fake.client,
      database: 'db',
      consumer,
      log: plainLogger('silent'),
      metrics: createIngesterMetrics(registry),
      visits: null, // this fake answers inserts only; visits have their own tests
    });
    await ingester.start();
    await queue.done;
    await ingester.stop();
    expect([...fake.stored.values()].flat()).toEqual([event(1).event_id, event(2).event_id]);
    expect(queue.commits).toEqual([2n]); // up to the newer message, not past it
    expect(queue.dead).toEqual([]);
    expect(stopped).toBe(1);
    expect(await registry.getSingleMetricAsString('tidemark_ingester_partitions_stopped_total')).toMatch(/ 1$/);
  });

  it("a newer build reads every version, older rows padded with the new column's zero value", async () => {
    // The framing before headers holds version-1 rows: without version 2's scroll_depth (a UInt16, padded back as 0)
    // and version 3's region and city (two Strings, one byte each while empty, padded back as '').
    const legacy: WireMessage = { value: Buffer.concat([Buffer.from([1, 1]), encodeEvents([event(5)]).subarray(0, -4)]), headers: {} };
    const queue = oneBatch([v1(event(1)), v2(event(3), 'DE'), legacy]);
    const bodies: Buffer[] = [];
    const client = {
      async exec(params: { query: string; values: Readable }) {
        expect(params.query).toMatch(
          /, region, city, future\) SELECT .* FROM input\('.*, region String, city String, future String'\) FORMAT RowBinary$/,
        );
        for await (const chunk of params.values) bodies.push(chunk as Buffer);
        return { stream: Readable.from([]) };
      },
    } as unknown as ClickHouseClient;
    const ingester = createIngester({
      client,
      database: 'db',
      consumer: queue.consumer,
      log: plainLogger(),
      metrics: createIngesterMetrics(new Registry()),
      schemas: next,
      visits: null, // this fake answers inserts only; visits have their own tests
    });
    await ingester.start();
    await queue.done;
    await ingester.stop();
    const body = Buffer.concat(bodies);
    const rows = [
      encodeEvents([event(1)]),
      Buffer.from([0]),
      encodeEvents([event(3)]),
      Buffer.from([2, 0x44, 0x45]),
      encodeEvents([event(5)]),
      Buffer.from([0]),
    ];
    expect(body.equals(Buffer.concat(rows))).toBe(true);
    expect(queue.commits).toEqual([3n]);
  });
});

describe('commit stall', () => {
  it('counts from the last commit only while messages wait', () => {
    let now = 1_000;
    const stall = commitStall(() => now);
    expect(stall.seconds()).toBe(0);
    now += 5_000;
    stall.lag(0);
    expect(stall.seconds()).toBe(0); // nothing waits: no stall however old the last commit
    stall.lag(10);
    now += 3_000;
    expect(stall.seconds()).toBe(3); // waiting for 3 s (the last commit is older)
    stall.committed();
    now += 1_000;
    expect(stall.seconds()).toBe(1);
    stall.lag(0);
    expect(stall.seconds()).toBe(0);
  });
});
