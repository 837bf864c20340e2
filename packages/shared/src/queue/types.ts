/**
 * The queue between collector and ingester, as two small interfaces. Kafka and the
 * in-process queue implement both; nothing outside `queue/` knows which one runs.
 */
import type { StoredEvent } from '../event.ts';

export interface QueueProducer {
  /** Resolves once every event is durably taken (Kafka: acknowledged by all in-sync replicas). */
  send(events: StoredEvent[]): Promise<void>;
  /** True while the queue can take events (for `/readyz`). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** A run of messages from one partition, in offset order. */
export interface QueueBatch {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** Raw message values; decoding is the consumer's job so bad ones can go to the DLQ. */
  messages: Buffer[];
  /** Tells the queue the consumer is alive while a batch takes long (retries). */
  heartbeat(): Promise<void>;
}

export interface QueueConsumer {
  /**
   * Delivers batches of at most `maxRows` messages, at least every `intervalMs` while
   * messages wait. The batch's offsets are committed only after `handle` resolves; a
   * rejection leaves them uncommitted and the batch is delivered again.
   */
  run(handle: (batch: QueueBatch) => Promise<void>): Promise<void>;
  /** Sends undecodable messages away with their error, so they never block a partition. */
  deadLetter(messages: { value: Buffer; error: string }[]): Promise<void>;
  /** Messages produced but not yet committed (for `/api/v1/freshness`), when known. */
  backlog(): Promise<number>;
  /** Stops fetching, lets the batch in hand finish, and returns. */
  close(): Promise<void>;
}

export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}
