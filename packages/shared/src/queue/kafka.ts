/**
 * The Kafka side of the queue, whichever client runs (`KAFKA_CLIENT`, docs/kafka-client.md):
 * the small interfaces each client adapter implements (`kafkajs.ts`, `platformatic.ts`), how
 * events become messages per partition, and what a failed send means. The producer built on
 * them is `kafka-producer.ts`, the topics' replication `replication.ts`. No client library is
 * imported here, nor anywhere outside its adapter.
 */
import type { Config } from '../config.ts';
import type { StoredEvent } from '../event.ts';
import type { Logger } from '../logger.ts';
import { encodeMessages, type WireMessage } from '../wire/message.ts';
import { partitionOf } from '../wire/partition.ts';
import { groupByLane, type QueueConsumer } from './types.ts';

export type KafkaConfig = Config['kafka'] & { brokers: string[] };

/** Client timeouts; tests shorten them to provoke a failed send quickly. */
export interface KafkaTimeouts {
  requestTimeoutMs?: number;
  retries?: number;
  /** The longest wait between two attempts (the waits grow up to it). */
  maxRetryTimeMs?: number;
}

/** A message bound for one partition. */
export type PartitionMessage = WireMessage & { partition: number };

/** One message of a topic read or written through `KafkaTopics`. */
export interface TopicRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  /** Its timestamp, ms since the epoch. */
  timestamp: number;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Replicas of each partition; the broker's `default.replication.factor` when absent. */
  replicationFactor?: number;
  /** Topic-level settings (`retention.ms`, `cleanup.policy`, `min.insync.replicas`, …). */
  config?: Record<string, string>;
}

/** A partition as the cluster's metadata has it now. */
export interface PartitionState {
  partition: number;
  /** The broker leading it, -1 while it has none. */
  leader: number;
  replicas: number[];
  /** Replicas in sync with the leader. */
  isr: number[];
}

/**
 * The small interface of every other Kafka use (topics and their replication, the collectors'
 * salt topic, `tidemark topic tail`, tests): topics made when missing, read whole without
 * committing, written with acks=all.
 */
export interface KafkaTopics {
  /** Creates the topics that are missing; existing ones are left as they are. */
  ensure(specs: TopicSpec[]): Promise<void>;
  /** How many partitions the topic has (metadata only: no leader needed, so right after it was made). */
  partitions(topic: string): Promise<number>;
  /** Live brokers of the cluster. */
  brokers(): Promise<number>;
  /** The topic's partitions, leaders and replicas, fresh from a broker (empty when the topic does not exist). */
  layout(topic: string): Promise<PartitionState[]>;
  /** The topic's settings named, as the broker reports them (its defaults included). */
  settings(topic: string, names: string[]): Promise<Record<string, string>>;
  /** Each partition's first and next offset now. */
  ends(topic: string): Promise<{ partition: number; low: bigint; high: bigint }[]>;
  /** Reads the topic from its beginning or from now on, in a consumer group of its own that commits nothing. */
  read(
    topic: string,
    options: { fromBeginning: boolean },
    onRecord: (record: TopicRecord) => void | Promise<void>,
  ): Promise<{ close(): Promise<void> }>;
  /** Writes the records (idempotent producer, acks=all), each to the partition of its key. */
  write(
    topic: string,
    records: { key?: string | null; value: Buffer; headers?: Record<string, string>; timestamp?: number }[],
  ): Promise<void>;
  close(): Promise<void>;
}

/** One partition's messages in a send. */
export interface PartitionBatch {
  partition: number;
  messages: WireMessage[];
}

/**
 * A connected idempotent producer (acks=all) of one client. Each `send` is one attempt at the
 * messages of one or more partitions — the client retries nothing itself — and a failure is a
 * `SendFailure` saying whether the messages may have been written (`sendFailure`: of several
 * partitions, "not written" only when no request reached a broker). The caller sends one batch
 * at a time per partition, and the partitions of one leader together (`kafka-producer.ts`,
 * `leader-batch.ts`), so a send is one produce request to one broker.
 */
export interface RawProducer {
  send(topic: string, batches: PartitionBatch[]): Promise<void>;
  close(): Promise<void>;
}

/** What a client adapter provides. */
export interface KafkaClientAdapter {
  topics(brokers: string[], clientId: string, log: Logger, timeouts?: KafkaTimeouts): Promise<KafkaTopics>;
  producer(brokers: string[], clientId: string, log: Logger, timeouts?: KafkaTimeouts): Promise<RawProducer>;
  consumer(config: KafkaConfig, log: Logger, options: KafkaConsumerOptions): Promise<QueueConsumer>;
}

export interface KafkaConsumerOptions {
  maxRows: number;
  intervalMs: number;
  /** Partitions processed (inserted) at once; default: all of the topic's. */
  concurrency?: number;
}

/** The ingester's consumer group session: a member that vanished is dropped after this long. */
export const SESSION_TIMEOUT_MS = 6_000;
export const HEARTBEAT_MS = 1_000;

/** A rough size of one produced event (a RowBinary row), to ask the broker for about a batch per fetch. */
export const BYTES_PER_EVENT = 200;

/** The events of one send as messages per partition (`wire/message.ts`), by key (`wire/partition.ts`), in order within each partition. */
export function partitionMessages(events: readonly StoredEvent[], partitions: number): PartitionMessage[] {
  const messages: PartitionMessage[] = [];
  for (const [partition, list] of groupByLane(events, (event) => partitionOf(event, partitions)))
    for (const message of encodeMessages(list)) messages.push({ ...message, partition });
  return messages;
}

/**
 * A failed attempt to send one partition's messages, as far as the client could tell:
 * - `written: 'no'`: the messages certainly were not written — the broker answered with a
 *   refusal (not the leader, not enough in-sync replicas, too large, …);
 * - `written: 'maybe'`: anything else (the connection went, the answer did not come in time):
 *   the broker may have written them, so only the same messages may follow, never others;
 * - `renew`: the broker no longer knows the producer's id or sequence numbers; a new producer must send;
 * - `permanent`: the broker will refuse these messages however often they come.
 */
export class SendFailure extends Error {
  override readonly name = 'SendFailure';
  readonly written: 'no' | 'maybe';
  readonly renew: boolean;
  readonly permanent: boolean;
  constructor(message: string, written: 'no' | 'maybe', renew: boolean, permanent: boolean, options?: ErrorOptions) {
    super(message, options);
    this.written = written;
    this.renew = renew;
    this.permanent = permanent;
  }
}

/**
 * Not a Kafka error code: the adapter's word for an attempt that never reached a broker (the
 * connection was refused, no metadata, no known leader), so nothing can have been written.
 */
export const NOT_SENT = 'NOT_SENT';

/** Kafka error codes of a produce answer that mean the broker did not append the batch, and will take it later. */
const REFUSED = new Set([
  NOT_SENT,
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'CORRUPT_MESSAGE',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
]);
/** Refusals because the broker no longer knows the producer's state: not appended, and a new producer id is needed. */
const RENEW = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);
/** Refusals that no retry changes. */
const PERMANENT = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'INVALID_REQUIRED_ACKS',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

/**
 * A `SendFailure` from the Kafka error codes of every broker answer the attempt got (the
 * adapter finds them in its client's error). Written 'no' only when every answer was a
 * refusal and nothing else happened; a connection error or a timeout leaves it 'maybe'.
 * An attempt at several partitions (`partitions` > 1) is one request per broker whose answer
 * carries a code per partition, but the clients report one code for all: a refusal of one
 * partition says nothing of the others, which may have been appended. So such an attempt is
 * 'no' only when it never reached a broker (`NOT_SENT`), and never permanent (each partition
 * is then sent alone, which tells).
 */
export function sendFailure(error: unknown, answers: readonly (string | null)[], partitions = 1): SendFailure {
  const refusal = (a: string | null) =>
    a !== null && (partitions > 1 ? a === NOT_SENT : REFUSED.has(a) || RENEW.has(a) || PERMANENT.has(a));
  const refused = answers.length > 0 && answers.every(refusal);
  const message = `kafka: ${error instanceof Error ? error.message : String(error)}`;
  return new SendFailure(
    message,
    refused ? 'no' : 'maybe',
    answers.some((a) => a !== null && RENEW.has(a)),
    refused && answers.some((a) => a !== null && PERMANENT.has(a)),
    { cause: error },
  );
}
