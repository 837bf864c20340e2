/**
 * The Kafka implementation of the queue, and the small `KafkaTopics` interface of every
 * other Kafka use, through kafkajs. kafkajs stays inside this file: nothing else imports it.
 */
import { randomUUID } from 'node:crypto';
import {
  type Admin,
  type Consumer,
  type IHeaders,
  type ITopicConfig,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type { Config } from '../config.ts';
import type { StoredEvent } from '../event.ts';
import type { Logger } from '../logger.ts';
import { encodeMessages, type WireMessage } from '../wire/message.ts';
import { partitionOf } from '../wire/partition.ts';
import { type QueueConsumer, type QueueMessage, type QueueProducer, QueueUnavailableError } from './types.ts';

type KafkaConfig = Config['kafka'] & { brokers: string[] };

/** Client timeouts; tests shorten them to provoke a failed send quickly. */
export interface KafkaTimeouts {
  requestTimeoutMs?: number;
  retries?: number;
}

/**
 * kafkajs warnings that describe a choice made here, not a fault: bounded retries on the
 * idempotent producer are deliberate (a send must fail in time to answer 503, and a failed
 * send replaces the producer, see `createKafkaProducer`).
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

/** The one kafkajs client setup (timeouts, retries, logs as events) of every Tidemark Kafka user. */
function kafkaClient(brokers: string[], clientId: string, log: Logger, timeouts: KafkaTimeouts = {}): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: timeouts.requestTimeoutMs ?? 10_000,
    retry: { initialRetryTime: 200, retries: timeouts.retries ?? 5 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        if (level <= logLevel.ERROR) log.error({ kafka: fields }, message);
        else if (EXPECTED_WARNINGS.some((w) => message.startsWith(w))) log.debug({ kafka: fields }, message);
        else log.warn({ kafka: fields }, message);
      },
  });
}

/** Creates the topics that are missing; existing ones are left as they are. */
async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (error) {
    // Another instance may have created it between list and create.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  }
}

const READY_TIMEOUT_MS = 2000;
const EMPTY = Buffer.alloc(0);

/** The events of one send as messages per partition (`wire/message.ts`), by key (`wire/partition.ts`), in order within each partition. */
export function partitionMessages(events: readonly StoredEvent[], partitions: number): (WireMessage & { partition: number })[] {
  const byPartition = new Map<number, StoredEvent[]>();
  for (const event of events) {
    const p = partitionOf(event, partitions);
    const list = byPartition.get(p);
    if (list) list.push(event);
    else byPartition.set(p, [event]);
  }
  const messages: (WireMessage & { partition: number })[] = [];
  for (const [partition, list] of byPartition) for (const message of encodeMessages(list)) messages.push({ ...message, partition });
  return messages;
}

/** kafkajs headers as text (a header given twice: its first value). */
function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    const one = Array.isArray(value) ? value[0] : value;
    if (one !== undefined) text[name] = one.toString();
  }
  return text;
}

/** A message as the ingester sees it. */
function queueMessage(m: KafkaMessage): QueueMessage {
  return { offset: BigInt(m.offset), key: m.key ?? null, value: m.value ?? EMPTY, headers: textHeaders(m.headers) };
}

/**
 * The producer behind the collector. Idempotent (acks=all), with one guard kafkajs lacks:
 * kafkajs rolls a partition's sequence number back when a send fails, yet the broker may
 * have written that send (its answer was lost, or it timed out). The next send would then
 * reuse those sequence numbers for other events, and a batch of the same size is taken by
 * the broker for a retry of the written one: acknowledged, and silently not stored. So sends
 * run one after another, and after any failed send the next one first replaces the
 * producer — a new producer id, whose sequence numbers cannot collide with the old ones.
 */
export async function createKafkaProducer(config: KafkaConfig, log: Logger, timeouts: KafkaTimeouts = {}): Promise<QueueProducer> {
  const kafka = kafkaClient(config.brokers, 'tidemark-collector', log, timeouts);
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number;
  try {
    await ensureTopics(admin, [{ topic: config.topic, numPartitions: config.partitions }]);
    // The topic's own count (it may predate KAFKA_PARTITIONS); partitions added later stay unused.
    const metadata = await admin.fetchTopicMetadata({ topics: [config.topic] });
    partitions = metadata.topics[0]?.partitions.length || config.partitions;
  } finally {
    await admin.disconnect();
  }
  let connected = false;
  let current!: Producer; // assigned by the first connect below
  const connect = async (): Promise<Producer> => {
    // Partitions are chosen here (`partitionOf`); the partitioner is named only to say so to kafkajs.
    const next = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // Only the current producer's state counts: a replaced one disconnects after its successor connected.
    next.on(next.events.DISCONNECT, () => {
      if (next === current) connected = false;
    });
    await next.connect();
    connected = true;
    return next;
  };
  current = await connect();
  let poisoned = false; // the last send failed: its sequence numbers may be taken
  let tail: Promise<unknown> = Promise.resolve();
  const sendNow = async (events: readonly StoredEvent[]) => {
    const messages = partitionMessages(events, partitions); // an event the table cannot hold throws here, before Kafka
    if (poisoned) {
      const old = current;
      current = await connect().catch((error: unknown) => {
        throw new QueueUnavailableError(`kafka: ${(error as Error).message}`, { cause: error });
      }); // rejects while Kafka is down: the send fails, still poisoned
      poisoned = false;
      old.disconnect().catch((error: unknown) => log.warn({ err: error }, 'producer_disconnect_failed'));
      log.info({}, 'producer_replaced');
    }
    try {
      await current.send({ topic: config.topic, acks: -1, messages });
    } catch (error) {
      poisoned = true;
      throw new QueueUnavailableError(`kafka: ${(error as Error).message}`, { cause: error });
    }
  };
  const probe = kafka.admin(); // for ready(): the producer itself never reports a lost broker
  let reachable: Promise<boolean> | null = null;
  return {
    send(events) {
      const sent = tail.then(() => sendNow(events));
      tail = sent.catch(() => {});
      return sent;
    },
    async ready() {
      if (!connected && !poisoned) return false;
      // A metadata round trip to the broker, shared by concurrent callers, bounded in time.
      reachable ??= probe
        .connect()
        .then(() => probe.fetchTopicMetadata({ topics: [config.topic] }))
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
      await Promise.all([current.disconnect(), probe.disconnect()]);
    },
  };
}

export interface KafkaConsumerOptions {
  maxRows: number;
  intervalMs: number;
  /** Partitions processed (inserted) at once; default: all of the topic's (a fetch waits for every batch of the previous one). */
  concurrency?: number;
}

/** A rough size of one produced event (a RowBinary row), to ask the broker for about a batch per fetch. */
const BYTES_PER_EVENT = 200;

/**
 * The consumer side. Accumulation happens in the broker: every fetch waits for `minBytes`
 * (about `maxRows` events) or `maxWaitTimeInMs` (= `FLUSH_INTERVAL_MS`), whichever comes
 * first, so one fetch holds a full micro-batch per partition at high rates and everything that
 * arrived in the interval at low ones. Each partition's fetch is handed over whole; nothing
 * uncommitted is held across `eachBatch` calls, so a rebalance (kafkajs has no awaited
 * "partitions revoked" hook) never strands buffered data, and a stop lets the fetch in hand
 * finish. Offsets the handler did not commit are fetched again (kafkajs seeks back to the last
 * resolved offset).
 */
export async function createKafkaConsumer(config: KafkaConfig, log: Logger, options: KafkaConsumerOptions): Promise<QueueConsumer> {
  const kafka = kafkaClient(config.brokers, 'tidemark-ingester', log);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: config.topic, numPartitions: config.partitions },
    { topic: config.dlqTopic, numPartitions: 1 },
  ]);
  const maxBytes = 64 * 1024 * 1024;
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    maxWaitTimeInMs: options.intervalMs,
    minBytes: Math.min(options.maxRows * BYTES_PER_EVENT, maxBytes / 2),
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
  });
  const dlq: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });

  let assignment = 0;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assignment++;
    // A partition stopped under the last assignment is tried again under this one.
    const paused = consumer.paused();
    if (paused.length > 0) consumer.resume(paused);
    log.info({ group: payload.groupId, assigned: payload.memberAssignment }, 'partitions_assigned');
  });

  const lagByPartition = async () => {
    const [latest, committed] = await Promise.all([
      admin.fetchTopicOffsets(config.topic),
      admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }),
    ]);
    const done = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
    return latest.map((p) => {
      const at = done.get(p.partition) ?? -1n;
      const from = at < 0n ? BigInt(p.low) : at;
      const lag = BigInt(p.high) - from;
      return { partition: p.partition, lag: Number(lag > 0n ? lag : 0n) };
    });
  };

  return {
    replays: true,
    async run(handle) {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? config.partitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { topic, partition } = batch;
          if (batch.messages.length === 0) return;
          await handle({
            topic,
            partition,
            assignment,
            messages: batch.messages.map(queueMessage),
            highWatermark: BigInt(batch.highWatermark),
            active: () => isRunning() && !isStale(),
            heartbeat,
            async commit(next) {
              await consumer.commitOffsets([{ topic, partition, offset: String(next) }]);
              resolveOffset(String(next - 1n));
            },
            stop: () => consumer.pause([{ topic, partitions: [partition] }]),
          });
        },
      });
    },
    async deadLetter(messages) {
      await dlq.send({
        topic: config.dlqTopic,
        acks: -1,
        messages: messages.map(({ message, error }) => ({
          key: message.key ?? null,
          value: message.value,
          headers: { ...message.headers, error },
        })),
      });
    },
    async backlog() {
      return (await lagByPartition()).reduce((sum, p) => sum + p.lag, 0);
    },
    partitionLag: lagByPartition,
    async close() {
      await consumer.disconnect();
      await Promise.all([dlq.disconnect(), admin.disconnect()]);
    },
  };
}

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
  /** Each partition's first and next offset now. */
  ends(topic: string): Promise<{ partition: number; low: bigint; high: bigint }[]>;
  /** Reads the topic from its beginning or from now on, in a consumer group of its own that commits nothing. */
  read(
    topic: string,
    options: { fromBeginning: boolean },
    onRecord: (record: TopicRecord) => void | Promise<void>,
  ): Promise<{ close(): Promise<void> }>;
  /** Writes the records (idempotent producer, acks=all). */
  write(
    topic: string,
    records: { key?: string | null; value: Buffer; headers?: Record<string, string>; timestamp?: number }[],
  ): Promise<void>;
  close(): Promise<void>;
}

export async function openKafkaTopics(
  brokers: string[],
  clientId: string,
  log: Logger,
  timeouts: KafkaTimeouts = {},
): Promise<KafkaTopics> {
  const kafka = kafkaClient(brokers, clientId, log, timeouts);
  const admin = kafka.admin();
  await admin.connect();
  let producer: Producer | null = null;
  const readers = new Set<Consumer>();
  return {
    async ensure(specs) {
      await ensureTopics(
        admin,
        specs.map(({ topic, partitions, config }) => ({
          topic,
          numPartitions: partitions,
          configEntries: Object.entries(config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      );
    },
    async ends(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }));
    },
    async read(topic, { fromBeginning }, onRecord) {
      const consumer = kafka.consumer({ groupId: `${clientId}-${randomUUID()}`, maxWaitTimeInMs: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await onRecord({ partition, ...queueMessage(message), key: message.key ?? null, timestamp: Number(message.timestamp) });
        },
      });
      readers.add(consumer);
      return {
        async close() {
          readers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },
    async write(topic, records) {
      if (producer === null) {
        producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
      }
      await producer.send({
        topic,
        acks: -1,
        messages: records.map(({ key, value, headers, timestamp }) => ({
          key: key ?? null,
          value,
          ...(headers ? { headers } : {}),
          ...(timestamp === undefined ? {} : { timestamp: String(timestamp) }),
        })),
      });
    },
    async close() {
      await Promise.all([...readers].map((r) => r.disconnect()));
      await producer?.disconnect();
      await admin.disconnect();
    },
  };
}
