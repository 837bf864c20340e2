/**
 * The in-process queue of the embedded mode: bounded, so a stalled ingester turns into
 * 503s at the collector instead of unbounded memory. A batch leaves the queue only after
 * its handler resolved (the equivalent of a Kafka commit).
 */
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../event.ts';
import { type QueueBatch, type QueueConsumer, type QueueProducer, QueueUnavailableError } from './types.ts';

export interface MemoryQueueOptions {
  capacity?: number;
  maxRows: number;
  intervalMs: number;
}

export interface MemoryQueue {
  producer: QueueProducer;
  consumer: QueueConsumer;
  /** Events waiting, including the batch being inserted. */
  size(): number;
}

export function createMemoryQueue({ capacity = 200_000, maxRows, intervalMs }: MemoryQueueOptions): MemoryQueue {
  let items: Buffer[] = [];
  // Batch tokens (topic:partition:first-last) must never repeat across runs on the same data:
  // the in-memory queue starts at offset 0 every time, so each queue gets its own topic name.
  const topic = `memory-${randomUUID()}`;
  let head = 0; // offset of items[0]
  let closed = false;
  let firstWaitingSince = 0;
  let wake: (() => void) | null = null;
  const deadLetters: { value: Buffer; error: string }[] = [];

  const notify = () => {
    wake?.();
    wake = null;
  };

  const producer: QueueProducer = {
    async send(events: StoredEvent[]) {
      if (closed) throw new QueueUnavailableError('queue closed');
      if (items.length + events.length > capacity) throw new QueueUnavailableError('queue full');
      if (items.length === 0) firstWaitingSince = Date.now();
      for (const event of events) items.push(Buffer.from(JSON.stringify(event)));
      if (items.length >= maxRows) notify();
    },
    async ready() {
      return !closed && items.length < capacity;
    },
    async close() {},
  };

  const waitForBatch = async (): Promise<boolean> => {
    while (!closed) {
      if (items.length >= maxRows) return true;
      const dueIn = items.length === 0 ? intervalMs : firstWaitingSince + intervalMs - Date.now();
      if (items.length > 0 && dueIn <= 0) return true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(dueIn, 5));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return items.length > 0; // drain what is left on close
  };

  let running: Promise<void> | null = null;

  const consumer: QueueConsumer = {
    run(handle) {
      running = (async () => {
        while (await waitForBatch()) {
          const messages = items.slice(0, maxRows);
          const batch: QueueBatch = {
            topic,
            partition: 0,
            firstOffset: String(head),
            lastOffset: String(head + messages.length - 1),
            messages,
            heartbeat: async () => {},
          };
          await handle(batch); // a rejection stops the consumer: the ingester retries inside
          items = items.slice(messages.length);
          head += messages.length;
          firstWaitingSince = Date.now();
        }
      })();
      return running;
    },
    async deadLetter(messages) {
      deadLetters.push(...messages);
      deadLetters.splice(0, deadLetters.length - 1000); // keep the last thousand for inspection
    },
    async backlog() {
      return items.length;
    },
    async close() {
      closed = true;
      notify();
      await running;
    },
  };

  return { producer, consumer, size: () => items.length };
}
