/**
 * The in-process queue of the embedded mode: bounded, so a stalled ingester turns into
 * 503s at the collector instead of unbounded memory. A message leaves the queue only when
 * its partition (there is one) is committed past it, after its insert. A send is kept as the
 * messages Kafka would carry (`wire/message.ts`: RowBinary rows, encoded and checked once),
 * so the ingester reads both queues the same way; capacity and batches are counted in events.
 */
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../event.ts';
import { encodeMessages, messageRows } from '../wire/message.ts';
import { type PartitionFetch, type QueueConsumer, type QueueMessage, type QueueProducer, QueueUnavailableError } from './types.ts';

export interface MemoryQueueOptions {
  capacity?: number;
  maxRows: number;
  intervalMs: number;
}

export interface MemoryQueue {
  producer: QueueProducer;
  consumer: QueueConsumer;
  /** Events waiting, including those being inserted. */
  size(): number;
  /** The last messages dead-lettered (at most a thousand), for inspection. */
  deadLetters(): { value: Buffer; error: string }[];
}

export function createMemoryQueue({ capacity = 200_000, maxRows, intervalMs }: MemoryQueueOptions): MemoryQueue {
  let items: { message: QueueMessage; rows: number }[] = [];
  let waiting = 0; // events in `items`
  let next = 0n; // offset of the next message produced
  // Batch tokens (topic:partition:first-last) must never repeat across runs on the same data:
  // the in-memory queue starts at offset 0 every time, so each queue gets its own topic name.
  const topic = `memory-${randomUUID()}`;
  let closed = false;
  let stopped = false;
  let firstWaitingSince = 0;
  let wake: (() => void) | null = null;
  const dead: { value: Buffer; error: string }[] = [];

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
      for (const message of messages) items.push({ message: { ...message, offset: next++ }, rows: messageRows(message) });
      waiting += events.length;
      if (waiting >= maxRows) notify();
    },
    async ready() {
      return !closed && waiting < capacity;
    },
    async close() {},
  };

  const waitForBatch = async (): Promise<boolean> => {
    while (!closed && !stopped) {
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
    return !stopped && waiting > 0; // drain what is left on close
  };

  const commit = async (upTo: bigint) => {
    let drop = 0;
    while (drop < items.length && (items[drop]?.message.offset ?? upTo) < upTo) waiting -= (items[drop++] as { rows: number }).rows;
    items = items.slice(drop);
    firstWaitingSince = Date.now();
  };

  let running: Promise<void> | null = null;

  const consumer: QueueConsumer = {
    replays: false,
    run(handle) {
      running = (async () => {
        while (await waitForBatch()) {
          const fetch: PartitionFetch = {
            topic,
            partition: 0,
            assignment: 1,
            messages: items.map((item) => item.message),
            highWatermark: next,
            active: () => !stopped,
            heartbeat: async () => {},
            commit,
            stop: () => {
              stopped = true;
            },
          };
          await handle(fetch); // a rejection stops the consumer: the ingester retries inside
        }
      })();
      return running;
    },
    async deadLetter(messages) {
      for (const { message, error } of messages) dead.push({ value: message.value, error });
      dead.splice(0, dead.length - 1000);
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

  return { producer, consumer, size: () => waiting, deadLetters: () => [...dead] };
}
