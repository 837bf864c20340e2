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
  /**
   * Tells the queue the consumer is alive while a batch takes long (retries). Rejects when
   * the partition was taken away (a rebalance): the batch must then be abandoned, uncommitted.
   */
  heartbeat(): Promise<void>;
  /**
   * Makes the batch's boundaries durable (see `RangeLog`); the consumer of the batch calls
   * it, retrying until it succeeds, before its insert. Absent when nothing is to be written.
   */
  writeAhead?(): Promise<void>;
}

/** A batch's offsets, inclusive, as recorded before its insert. */
export interface OffsetRange {
  topic: string;
  partition: number;
  first: bigint;
  last: bigint;
}

/**
 * Durable write-ahead of batch boundaries, so a batch replayed after a crash is cut to the
 * same offsets — and so carries the same deduplication token — as the first attempt.
 */
export interface RangeLog {
  /** Recorded ranges of the partition ending at or after `from`, by first offset. */
  recorded(topic: string, partition: number, from: bigint): Promise<OffsetRange[]>;
  record(range: OffsetRange): Promise<void>;
}

export interface RunOptions {
  /** Where batch boundaries are written ahead (a queue that can replay needs one for exactly-once). */
  ranges?: RangeLog;
}

export interface QueueConsumer {
  /**
   * Delivers batches of at most `maxRows` messages, at least every `intervalMs` while
   * messages wait. The batch's offsets are committed only after `handle` resolves; a
   * rejection leaves them uncommitted and the batch is delivered again.
   */
  run(handle: (batch: QueueBatch) => Promise<void>, options?: RunOptions): Promise<void>;
  /** Sends undecodable messages away with their error, so they never block a partition. */
  deadLetter(messages: { value: Buffer; error: string }[]): Promise<void>;
  /** Messages produced but not yet committed (for `/api/v1/freshness`), when known. */
  backlog(): Promise<number>;
  /** Messages produced but not yet committed, per partition (consumer lag), when known. */
  partitionLag?(): Promise<{ partition: number; lag: number }[]>;
  /** Stops fetching, lets the batch in hand finish, and returns. */
  close(): Promise<void>;
}

export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}
