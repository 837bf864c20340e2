/**
 * The queue between collector and ingester, as two small interfaces. Kafka and the
 * in-process queue implement both; nothing outside `queue/` knows which one runs. The queue
 * only carries messages, delivers what it fetched and commits what it is told to: how a
 * fetch is cut into inserts, and why that is exactly-once, is the ingester's business.
 */
import type { StoredEvent } from '../event.ts';
import type { WireMessage } from '../wire/message.ts';

export interface QueueProducer {
  /** Resolves once every event is durably taken (Kafka: acknowledged by all in-sync replicas). */
  send(events: StoredEvent[]): Promise<void>;
  /** True while the queue can take events (for `/readyz`). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** One message as read, at its offset. */
export interface QueueMessage extends WireMessage {
  offset: bigint;
}

/** What one fetch gave of one partition: messages in offset order, and what may be done with them. */
export interface PartitionFetch {
  topic: string;
  partition: number;
  /**
   * Changes each time the consumer (re)joins its group: whatever was known of the partition
   * before (where this process left off) may be stale, as another consumer may have had it.
   */
  assignment: number;
  messages: QueueMessage[];
  /** The partition's end when fetched (the offset after its last message). */
  highWatermark: bigint;
  /** False once the consumer stops or the partition was taken away: finish nothing new. */
  active(): boolean;
  /** Tells the queue the consumer is alive while a batch takes long; rejects when the partition was taken away. */
  heartbeat(): Promise<void>;
  /** Commits the partition up to `next` (the next offset to read), after what came before it was stored. */
  commit(next: bigint): Promise<void>;
  /**
   * Stops fetching the partition here until it is assigned anew (a rebalance, a restart).
   * What was not committed stays on the queue for whoever reads the partition next.
   */
  stop(): void;
}

export interface QueueConsumer {
  /**
   * Whether messages fetched but not committed are delivered again after a crash (Kafka), so
   * their insert must be cut the same way the next time; the in-process queue dies with them.
   */
  readonly replays: boolean;
  /**
   * Delivers fetches, one partition each, about `maxRows` events or every `intervalMs` while
   * messages wait. When `handle` resolves, whatever it did not commit is fetched again from the
   * last commit; a rejection does the same, after a pause.
   */
  run(handle: (fetch: PartitionFetch) => Promise<void>): Promise<void>;
  /** Sends messages that cannot be stored away with their error, so they never block a partition. */
  deadLetter(messages: { message: WireMessage; error: string }[]): Promise<void>;
  /** Messages produced but not yet committed (for `/api/v1/freshness`), when known. */
  backlog(): Promise<number>;
  /** Messages produced but not yet committed, per partition (consumer lag), when known. */
  partitionLag?(): Promise<{ partition: number; lag: number }[]>;
  /** Stops fetching, lets the fetch in hand finish, and returns. */
  close(): Promise<void>;
}

export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}
