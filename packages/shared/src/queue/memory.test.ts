import { describe, expect, it } from 'vitest';
import { NIL_UUID, type StoredEvent } from '../event.ts';
import { createMemoryQueue } from './memory.ts';
import { QueueUnavailableError } from './types.ts';

const event = { event_id: NIL_UUID, site: 'a.com' } as StoredEvent;

describe('memory queue', () => {
  it('delivers full batches at maxRows and the rest after the interval', async () => {
    const queue = createMemoryQueue({ maxRows: 3, intervalMs: 50 });
    const seen: number[] = [];
    void queue.consumer.run(async (batch) => {
      seen.push(batch.messages.length);
    });
    await queue.producer.send(Array(7).fill(event));
    for (let waited = 0; queue.size() > 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([3, 3, 1]);
    expect(queue.size()).toBe(0);
    await queue.consumer.close();
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
      seen.push(batch.messages.length);
    });
    await queue.producer.send([event, event, event]);
    await queue.consumer.close();
    expect(seen).toEqual([3]);
  });
});
