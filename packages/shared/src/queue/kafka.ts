/**
 * The Kafka side of the queue, whichever client runs (`KAFKA_CLIENT`, docs/kafka-client.md):
 * the small interfaces each client adapter implements (`kafkajs.ts`, `platformatic.ts`), and
 * what does not depend on the client — how events become messages per partition, and the
 * collector's producer with its guard against a send whose answer was lost. No client library
 * is imported here, nor anywhere outside its adapter.
 */
import type { Config } from '../config.ts';
import type { StoredEvent } from '../event.ts';
import type { Logger } from '../logger.ts';
import { encodeMessages, type WireMessage } from '../wire/message.ts';
import { partitionOf } from '../wire/partition.ts';
import { type QueueConsumer, type QueueProducer, QueueUnavailableError } from './types.ts';

export type KafkaConfig = Config['kafka'] & { brokers: string[] };

/** Client timeouts; tests shorten them to provoke a failed send quickly. */
export interface KafkaTimeouts {
  requestTimeoutMs?: number;
  retries?: number;
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
  /** Topic-level settings (`retention.ms`, `cleanup.policy`, …). */
  config?: Record<string, string>;
}

/**
 * The small interface of every other Kafka use (the collectors' salt topic, `tidemark topic
 * tail`, tests): topics made when missing, read whole without committing, written with acks=all.
 */
export interface KafkaTopics {
  /** Creates the topics that are missing; existing ones are left as they are. */
  ensure(specs: TopicSpec[]): Promise<void>;
  /** How many partitions the topic has (metadata only: no leader needed, so right after it was made). */
  partitions(topic: string): Promise<number>;
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

/** A connected idempotent producer (acks=all) of one client, sending to the partitions given. */
export interface RawProducer {
  send(topic: string, messages: PartitionMessage[]): Promise<void>;
  /** False once the client saw its connection go. */
  connected(): boolean;
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

/** A rough size of one produced event (a RowBinary row), to ask the broker for about a batch per fetch. */
export const BYTES_PER_EVENT = 200;
const READY_TIMEOUT_MS = 2000;

/** The events of one send as messages per partition (`wire/message.ts`), by key (`wire/partition.ts`), in order within each partition. */
export function partitionMessages(events: readonly StoredEvent[], partitions: number): PartitionMessage[] {
  const byPartition = new Map<number, StoredEvent[]>();
  for (const event of events) {
    const p = partitionOf(event, partitions);
    const list = byPartition.get(p);
    if (list) list.push(event);
    else byPartition.set(p, [event]);
  }
  const messages: PartitionMessage[] = [];
  for (const [partition, list] of byPartition) for (const message of encodeMessages(list)) messages.push({ ...message, partition });
  return messages;
}

function unavailable(error: unknown): QueueUnavailableError {
  return new QueueUnavailableError(`kafka: ${(error as Error).message}`, { cause: error });
}

/**
 * The producer behind the collector. Idempotent (acks=all), with one guard a client may lack
 * (kafkajs does, `test/kafka-producer-lost-answer.integration.test.ts`): a client that rolls a
 * partition's sequence number back when a send fails, although the broker may have written
 * that send (its answer was lost, or it timed out), reuses those sequence numbers for the next
 * events, and a batch of the same size is taken by the broker for a retry of the written one:
 * acknowledged, and silently not stored. So sends run one after another, and after any failed
 * send the next one first replaces the producer — a new producer id, whose sequence numbers
 * cannot collide with the old ones. Failures are `QueueUnavailableError`s (the collector's 503).
 */
export async function createKafkaProducer(
  adapter: KafkaClientAdapter,
  config: KafkaConfig,
  log: Logger,
  timeouts: KafkaTimeouts = {},
): Promise<QueueProducer> {
  const topics = await adapter.topics(config.brokers, 'tidemark-collector-admin', log, timeouts);
  let partitions: number;
  try {
    await topics.ensure([{ topic: config.topic, partitions: config.partitions }]);
    // The topic's own count (it may predate KAFKA_PARTITIONS); partitions added later stay unused.
    partitions = (await topics.partitions(config.topic)) || config.partitions;
  } catch (error) {
    await topics.close();
    throw error;
  }
  const connect = () => adapter.producer(config.brokers, 'tidemark-collector', log, timeouts);
  let current = await connect();
  let poisoned = false; // the last send failed: its sequence numbers may be taken
  let tail: Promise<unknown> = Promise.resolve();
  const sendNow = async (events: readonly StoredEvent[]) => {
    const messages = partitionMessages(events, partitions); // an event the table cannot hold throws here, before Kafka
    if (poisoned) {
      const old = current;
      current = await connect().catch((error: unknown) => {
        throw unavailable(error); // Kafka still down: the send fails, still poisoned
      });
      poisoned = false;
      old.close().catch((error: unknown) => log.warn({ err: error }, 'producer_disconnect_failed'));
      log.info({}, 'producer_replaced');
    }
    try {
      await current.send(config.topic, messages);
    } catch (error) {
      poisoned = true;
      throw unavailable(error);
    }
  };
  let reachable: Promise<boolean> | null = null;
  return {
    send(events) {
      const sent = tail.then(() => sendNow(events));
      tail = sent.catch(() => {});
      return sent;
    },
    async ready() {
      if (!current.connected() && !poisoned) return false;
      // A metadata round trip to the broker (the producer itself may not notice a lost broker),
      // shared by concurrent callers, bounded in time.
      reachable ??= topics
        .partitions(config.topic)
        .then(
          () => true,
          () => false,
        )
        .finally(() => {
          reachable = null;
        });
      return Promise.race([reachable, new Promise<boolean>((resolve) => setTimeout(resolve, READY_TIMEOUT_MS, false).unref())]);
    },
    async close() {
      await tail;
      await Promise.all([current.close(), topics.close()]);
    },
  };
}
