/**
 * The in-process queue of the embedded mode: bounded, so a stalled ingester turns into
 * 503s at the collector instead of unbounded memory. A batch leaves the queue only after
 * its handler resolved (the equivalent of a Kafka commit). A send is kept as the messages
 * Kafka would carry (`wire/message.ts`: RowBinary rows, encoded and checked once), so the
 * ingester reads both queues the same way; capacity and batches are counted in events.
 */
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../event.ts';
import { encodeMessages, messageEvents } from '../wire/message.ts';
import { messagesUpTo } from './runs.ts';
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
  let counts: number[] = []; // events per message of `items`
  let waiting = 0; // events in `items`
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
      if (waiting + events.length > capacity) throw new QueueUnavailableError('queue full');
      const messages = encodeMessages(events); // an event the table cannot hold throws here, before the queue
      if (waiting === 0) firstWaitingSince = Date.now();
      for (const message of messages) {
        items.push(message);
        counts.push(messageEvents(message));
      }
      waiting += events.length;
      if (waiting >= maxRows) notify();
    },
    async ready() {
      return !closed && waiting < capacity;
    },
    async close() {},
  };

  const waitForBatch = async (): Promise<boolean> => {
    while (!closed) {
      if (waiting >= maxRows) return true;
      const dueIn = waiting === 0 ? intervalMs : firstWaitingSince + intervalMs - Date.now();
      if (waiting > 0 && dueIn <= 0) return true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(dueIn, 5));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return waiting > 0; // drain what is left on close
  };

  let running: Promise<void> | null = null;

  const consumer: QueueConsumer = {
    run(handle) {
      running = (async () => {
        while (await waitForBatch()) {
          const take = messagesUpTo(counts, 0, items.length, maxRows);
          let events = 0;
          for (let i = 0; i < take; i++) events += counts[i] as number;
          const messages = items.slice(0, take);
          const batch: QueueBatch = {
            topic,
            partition: 0,
            firstOffset: String(head),
            lastOffset: String(head + messages.length - 1),
            messages,
            heartbeat: async () => {},
          };
          await handle(batch); // a rejection stops the consumer: the ingester retries inside
          items = items.slice(take);
          counts = counts.slice(take);
          waiting -= events;
          head += take;
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
      return waiting;
    },
    async close() {
      closed = true;
      notify();
      await running;
    },
  };

  return { producer, consumer, size: () => waiting };
}
