import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { storedEvent } from '../event.ts';
import { decodeMessage, messageEvents } from '../wire/message.ts';
import { createMemoryQueue } from './memory.ts';
import { type QueueBatch, QueueUnavailableError } from './types.ts';

const event = storedEvent({ site: 'a.com' });
const eventsOf = (batch: QueueBatch) => batch.messages.reduce((n, m) => n + messageEvents(m), 0);

describe('memory queue', () => {
  it('delivers full batches at maxRows events and the rest after the interval', async () => {
    const queue = createMemoryQueue({ maxRows: 3, intervalMs: 50 });
    const seen: number[] = [];
    void queue.consumer.run(async (batch) => {
      seen.push(eventsOf(batch));
    });
    for (let i = 0; i < 7; i++) await queue.producer.send([event]);
    for (let waited = 0; queue.size() > 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([3, 3, 1]);
    expect(queue.size()).toBe(0);
    await queue.consumer.close();
  });

  it('keeps a send as the RowBinary message Kafka would carry, never split across batches', async () => {
    const queue = createMemoryQueue({ maxRows: 3, intervalMs: 50 });
    const batches: QueueBatch[] = [];
    void queue.consumer.run(async (batch) => {
      batches.push(batch);
    });
    const sent = Array.from({ length: 7 }, (_, i) => storedEvent({ site: 'a.com', path: `/${i}` }));
    await queue.producer.send(sent);
    expect(queue.size()).toBe(7);
    for (let waited = 0; queue.size() > 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(batches).toHaveLength(1);
    expect(batches[0]?.messages).toHaveLength(1);
    expect(batches[0] && decodeMessage(batches[0].messages[0] as Buffer)).toEqual(sent);
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

  it('keeps a batch until its handler succeeded, then moves on', async () => {
    const queue = createMemoryQueue({ maxRows: 2, intervalMs: 10 });
    await queue.producer.send([event, event]);
    let calls = 0;
    const done = queue.consumer.run(async () => {
      calls++;
      throw new Error('insert failed');
    });
    await expect(done).rejects.toThrow('insert failed');
    expect(calls).toBe(1);
    expect(queue.size()).toBe(2);
  });

  it('drains what it holds when closed', async () => {
    const queue = createMemoryQueue({ maxRows: 100, intervalMs: 60_000 });
    const seen: number[] = [];
    void queue.consumer.run(async (batch) => {
      seen.push(eventsOf(batch));
    });
    await queue.producer.send([event, event, event]);
    await queue.consumer.close();
    expect(seen).toEqual([3]);
  });
});
