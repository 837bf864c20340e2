import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { storedEvent } from '../event.ts';
import { decodeMessage, messageRows } from '../wire/message.ts';
import { SCHEMA_VERSION } from '../wire/schema.ts';
import { createMemoryQueue } from './memory.ts';
import { type PartitionFetch, QueueUnavailableError } from './types.ts';

const event = storedEvent({ site: 'a.com' });
const eventsOf = (fetch: PartitionFetch) => fetch.messages.reduce((n, m) => n + messageRows(m), 0);
const lastOffset = (fetch: PartitionFetch) => fetch.messages[fetch.messages.length - 1]?.offset ?? -1n;

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

describe('memory queue', () => {
  it('delivers once maxRows events wait, and what waits less after the interval', async () => {
    const queue = createMemoryQueue({ maxRows: 3, intervalMs: 300 });
    const seen: { events: number; at: number }[] = [];
    const started = Date.now();
    void queue.consumer.run(async (fetch) => {
      seen.push({ events: eventsOf(fetch), at: Date.now() - started });
      await fetch.commit(lastOffset(fetch) + 1n);
    });
    await queue.producer.send([event, event, event]);
    await until(() => seen.length === 1);
    expect(seen[0]?.events).toBe(3);
    await queue.producer.send([event]);
    await until(() => queue.size() === 0);
    expect(seen.map((s) => s.events)).toEqual([3, 1]);
    expect(seen[1]?.at).toBeGreaterThanOrEqual(250); // the lone event waited for the interval
    await queue.consumer.close();
  });

  it('keeps a send as the messages Kafka would carry: headers, key, RowBinary rows', async () => {
    const queue = createMemoryQueue({ maxRows: 3, intervalMs: 50 });
    const fetches: PartitionFetch[] = [];
    void queue.consumer.run(async (fetch) => {
      fetches.push(fetch);
      await fetch.commit(lastOffset(fetch) + 1n);
    });
    const sent = Array.from({ length: 7 }, (_, i) => storedEvent({ site: 'a.com', path: `/${i}` }));
    await queue.producer.send(sent);
    expect(queue.size()).toBe(7);
    await until(() => queue.size() === 0);
    const [message] = fetches[0]?.messages ?? [];
    expect(fetches).toHaveLength(1);
    expect(message?.headers).toEqual({ 'tidemark-format': 'RowBinary', 'tidemark-schema': String(SCHEMA_VERSION), 'tidemark-rows': '7' });
    expect(message?.key).toBe('a.com/1');
    expect(message && decodeMessage(message)).toEqual(sent);
    await queue.consumer.close();
  });

  it('refuses an event the table cannot hold before taking any of the send', async () => {
    const queue = createMemoryQueue({ maxRows: 10, intervalMs: 1000 });
    await expect(queue.producer.send([event, { ...event, visitor_id: 'not a number' }])).rejects.toThrow(ValidationError);
    expect(queue.size()).toBe(0);
  });

  it('refuses events beyond its capacity', async () => {
    const queue = createMemoryQueue({ capacity: 2, maxRows: 10, intervalMs: 1000 });
    await queue.producer.send([event, event]);
    await expect(queue.producer.send([event])).rejects.toThrow(QueueUnavailableError);
    expect(await queue.producer.ready()).toBe(false);
  });

  it('delivers again what was not committed, from the commit on', async () => {
    const queue = createMemoryQueue({ maxRows: 2, intervalMs: 10 });
    await queue.producer.send([event]);
    await queue.producer.send([event]);
    const firstOffsets: bigint[] = [];
    void queue.consumer.run(async (fetch) => {
      firstOffsets.push(fetch.messages[0]?.offset ?? -1n);
      await fetch.commit((fetch.messages[0]?.offset ?? 0n) + 1n); // one message at a time
    });
    await until(() => queue.size() === 0);
    expect(firstOffsets).toEqual([0n, 1n]);
    await queue.consumer.close();
  });

  it('stops delivering once a fetch is stopped, keeping what it holds', async () => {
    const queue = createMemoryQueue({ maxRows: 1, intervalMs: 10 });
    await queue.producer.send([event]);
    let calls = 0;
    const running = queue.consumer.run(async (fetch) => {
      calls++;
      fetch.stop();
    });
    await running;
    expect(calls).toBe(1);
    expect(queue.size()).toBe(1);
  });

  it('a rejected handler stops the consumer and keeps the events', async () => {
    const queue = createMemoryQueue({ maxRows: 2, intervalMs: 10 });
    await queue.producer.send([event, event]);
    await expect(
      queue.consumer.run(async () => {
        throw new Error('insert failed');
      }),
    ).rejects.toThrow('insert failed');
    expect(queue.size()).toBe(2);
  });

  it('drains what it holds when closed', async () => {
    const queue = createMemoryQueue({ maxRows: 100, intervalMs: 60_000 });
    const seen: number[] = [];
    void queue.consumer.run(async (fetch) => {
      seen.push(eventsOf(fetch));
      await fetch.commit(lastOffset(fetch) + 1n);
    });
    await queue.producer.send([event, event, event]);
    await queue.consumer.close();
    expect(seen).toEqual([3]);
  });
});
