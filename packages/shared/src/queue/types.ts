/**
 * The queue between collector and ingester, as two small interfaces. Kafka and the
 * in-process queue implement both; nothing outside `queue/` knows which one runs. The queue
 * only carries messages, delivers what it fetched and commits what it is told to: how a
 * fetch is cut into inserts, and why that is exactly-once, is the ingester's business.
 */
import type { StoredEvent } from '../event.ts';
import type { WireMessage } from '../wire/message.ts';

export interface QueueProducer {
  /**
   * Resolves once every event is durably taken (Kafka: acknowledged by all in-sync replicas).
   * Rejects with `QueueUnavailableError` when the queue did not take them (with Kafka, a send
   * spanning partitions may have been taken in part: the collector sends through `lanes`).
   */
  send(events: StoredEvent[]): Promise<void>;
  /** True while the queue can take events (for `/readyz`). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
  /** The queue's independent ordered lanes, when it has several (Kafka: its partitions, once per producer). */
  lanes?: QueueLanes;
}

/**
 * Lanes of a queue: each keeps its events in order and takes one send at a time; lanes do
 * not wait for each other, so a lane whose destination is gone (a Kafka partition without
 * its leader) holds its own events only.
 */
export interface QueueLanes {
  readonly count: number;
  /** The lane of an event (Kafka: the partition of its key), so a visitor's events keep their order. */
  of(event: StoredEvent): number;
  /**
   * Sends events to one lane after the lane's earlier sends. Resolves once they are durably
   * taken. While they may have been written (a send whose answer did not come), it sends the
   * same events again, however long that takes, and resolves when they are acknowledged;
   * `signal` makes it give up only while nothing may have been written.
   * Rejects with `QueueUnavailableError` only when none of the events was written, and with
   * `QueueOutcomeUnknownError` when the producer closed while they might have been.
   */
  send(lane: number, events: StoredEvent[], signal?: AbortSignal): Promise<void>;
  /** Whether the queue answers now, and which lanes have nowhere to write (partitions without a leader). */
  health(): Promise<QueueHealth>;
}

/** Events by lane, in their order within each lane. */
export function groupByLane(events: readonly StoredEvent[], laneOf: (event: StoredEvent) => number): Map<number, StoredEvent[]> {
  const byLane = new Map<number, StoredEvent[]>();
  for (const event of events) {
    const lane = laneOf(event);
    const list = byLane.get(lane);
    if (list) list.push(event);
    else byLane.set(lane, [event]);
  }
  return byLane;
}

export interface QueueHealth {
  /** The queue answered (Kafka: a broker gave the topic's metadata). */
  reachable: boolean;
  /** Lanes without a destination now (with Kafka: every lane of a partition without a leader). */
  unavailable: number[];
  /** Kafka: the partitions without a leader (lanes are partitions × producers). */
  leaderless?: number[];
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

/** The queue did not take the events: none was written. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}

/** The queue may or may not have taken the events (it stopped before it could tell). */
export class QueueOutcomeUnknownError extends Error {
  override readonly name = 'QueueOutcomeUnknownError';
}
