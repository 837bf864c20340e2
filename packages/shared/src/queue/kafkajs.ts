/**
 * The kafkajs adapter (`KAFKA_CLIENT=kafkajs`, the default; docs/kafka-client.md): the queue's
 * producer and consumer and the `KafkaTopics` of every other Kafka use. kafkajs stays inside
 * this file: nothing else imports it.
 */
import { randomUUID } from 'node:crypto';
import {
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  type IHeaders,
  type ITopicConfig,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../logger.ts';
import {
  BYTES_PER_EVENT,
  HEARTBEAT_MS,
  type KafkaClientAdapter,
  type KafkaConfig,
  type KafkaConsumerOptions,
  type KafkaTimeouts,
  type KafkaTopics,
  NOT_SENT,
  type RawProducer,
  SESSION_TIMEOUT_MS,
  sendFailure,
} from './kafka.ts';
import type { QueueConsumer, QueueMessage } from './types.ts';

/**
 * kafkajs warnings that describe a choice made here, not a fault: bounded retries on the
 * idempotent producer are deliberate (a send must fail in time to answer 503, and a failed
 * send replaces the producer, see `createKafkaProducer`).
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

/** The one kafkajs client setup (timeouts, retries, logs as events) of every Tidemark Kafka user; `onError` sees each error line. */
function kafkaClient(
  brokers: string[],
  clientId: string,
  log: Logger,
  timeouts: KafkaTimeouts = {},
  onError: (text: string) => void = () => {},
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: timeouts.requestTimeoutMs ?? 10_000,
    retry: {
      initialRetryTime: 200,
      retries: timeouts.retries ?? 5,
      ...(timeouts.maxRetryTimeMs === undefined ? {} : { maxRetryTime: timeouts.maxRetryTimeMs }),
    },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        if (level <= logLevel.ERROR) {
          onError(`${message} ${String(fields.error ?? '')}`);
          log.error({ kafka: fields }, message);
        } else if (EXPECTED_WARNINGS.some((w) => message.startsWith(w))) log.debug({ kafka: fields }, message);
        else log.warn({ kafka: fields }, message);
      },
  });
}

/** Creates the topics that are missing (waiting for their leaders); existing ones are left as they are. */
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

/** A heartbeat's error saying the group coordinator is gone: its connection failed, or another broker now coordinates. */
function coordinatorLost(error: unknown): boolean {
  let e = error as { name?: string; type?: string; originalError?: unknown } | undefined;
  while (e?.originalError) e = e.originalError as typeof e;
  return (
    e?.name === 'KafkaJSConnectionError' ||
    e?.name === 'KafkaJSConnectionClosedError' ||
    e?.name === 'KafkaJSBrokerNotFound' ||
    e?.type === 'NOT_COORDINATOR_FOR_GROUP' ||
    e?.type === 'GROUP_COORDINATOR_NOT_AVAILABLE'
  );
}

const EMPTY = Buffer.alloc(0);
/** `ConfigResourceTypes.TOPIC`: kafkajs's CommonJS exports hide the enum from an ES import. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

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
 * The consumer side. Accumulation happens in the broker: every fetch waits for `minBytes`
 * (about `maxRows` events) or `maxWaitTimeInMs` (= `FLUSH_INTERVAL_MS`), whichever comes
 * first, so one fetch holds a full micro-batch per partition at high rates and everything that
 * arrived in the interval at low ones. Each partition's fetch is handed over whole; nothing
 * uncommitted is held across `eachBatch` calls, so a rebalance (kafkajs has no awaited
 * "partitions revoked" hook) never strands buffered data, and a stop lets the fetch in hand
 * finish. Offsets the handler did not commit are fetched again (kafkajs seeks back to the last
 * resolved offset).
 */
async function createConsumer(config: KafkaConfig, log: Logger, options: KafkaConsumerOptions): Promise<QueueConsumer> {
  // Waits between attempts of at most a second: after a dead broker is fenced, the consumer finds
  // the new coordinator or leader within about a second, not after kafkajs's backoff (up to 30 s;
  // 8.7 s seen before a restart after a lost coordinator).
  const kafka = kafkaClient(config.brokers, 'tidemark-ingester', log, { maxRetryTimeMs: 1_000 });
  const admin = kafka.admin();
  await admin.connect();
  const maxBytes = 64 * 1024 * 1024;
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    maxWaitTimeInMs: options.intervalMs,
    minBytes: Math.min(options.maxRows * BYTES_PER_EVENT, maxBytes / 2),
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes,
    // A member lost with its coordinator (its process restarted the consumer) holds a rebalance
    // until its session expires: 6 s (the broker's least), not 30 (docs/kafka-client.md, issue 24).
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_MS,
  });
  const dlq: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });

  // The consumer restarted by the adapter, in two cases, one restart at a time:
  // - a crash kafkajs does not restart from itself (a "non-retriable" error, as a lost group
  //   coordinator can cause: `Broker N not found in the cached metadata`), which would leave the
  //   ingester alive and idle (kafkajs restarts the retriable ones);
  // - the group coordinator gone (a heartbeat's connection refused or reset, or another broker
  //   named coordinator): kafkajs would keep calling the dead broker until its retries run out
  //   and it crashes (20 s and more seen).
  // It rejoins as the same member (patches/kafkajs: rejoinAs), so the coordinator taking over
  // completes the rebalance without waiting out a lost member's session; until the dead broker
  // is fenced the join itself fails and is retried.
  let runConfig: Parameters<Consumer['run']>[0] | null = null;
  let closing = false;
  let restarting = false;
  const restart = async () => {
    if (restarting || closing || runConfig === null) return;
    restarting = true;
    try {
      await consumer.stop(); // also cancels a restart kafkajs scheduled itself
      await consumer.connect();
      await consumer.subscribe({ topics: [config.topic], fromBeginning: true });
      if (!closing) await consumer.run(runConfig); // not after close() began
      restarting = false;
    } catch (error) {
      restarting = false;
      log.error({ err: error }, 'kafka_consumer_restart_failed');
      setTimeout(() => void restart(), 1_000).unref();
    }
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || closing || runConfig === null) return;
    log.error({ err: payload.error }, 'kafka_consumer_crashed_restarting');
    setTimeout(() => void restart(), 200).unref();
  });
  const coordinatorGone = (error: unknown) => {
    if (restarting || closing) return;
    log.warn({ err: error }, 'kafka_coordinator_lost_rejoining');
    void restart();
  };

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
      runConfig = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? config.partitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { topic, partition } = batch;
          if (batch.messages.length === 0) return;
          // kafkajs heartbeats only between batches: a batch whose insert or commit waits (a
          // commit blocks until the offsets' in-sync replicas drop a dead broker, ≈ 9 s) would
          // let the session lapse and cost a rebalance, so heartbeats go on while it is handled.
          const beat = setInterval(() => {
            if (!isRunning() || isStale()) return;
            heartbeat().catch((error: unknown) => {
              // A rebalance is seen by the batch's own calls; a coordinator gone is acted on here.
              if (coordinatorLost(error)) coordinatorGone(error);
            });
          }, HEARTBEAT_MS);
          try {
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
          } finally {
            clearInterval(beat);
          }
        },
      };
      await consumer.run(runConfig);
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
      closing = true;
      await consumer.disconnect();
      await Promise.all([dlq.disconnect(), admin.disconnect()]);
    },
  };
}

async function openTopics(brokers: string[], clientId: string, log: Logger, timeouts: KafkaTimeouts = {}): Promise<KafkaTopics> {
  const kafka = kafkaClient(brokers, clientId, log, timeouts);
  const admin = kafka.admin();
  await admin.connect();
  let producer: Producer | null = null;
  const readers = new Set<Consumer>();
  return {
    async ensure(specs) {
      await ensureTopics(
        admin,
        specs.map(({ topic, partitions, replicationFactor, config }) => ({
          topic,
          numPartitions: partitions,
          ...(replicationFactor === undefined ? {} : { replicationFactor }),
          configEntries: Object.entries(config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      );
    },
    async partitions(topic) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return metadata.topics[0]?.partitions.length ?? 0;
    },
    async brokers() {
      return (await admin.describeCluster()).brokers.length;
    },
    async layout(topic) {
      if (!(await admin.listTopics()).includes(topic)) return [];
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return (metadata.topics[0]?.partitions ?? [])
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
        .sort((a, b) => a.partition - b.partition);
    },
    async settings(topic, names) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: names }],
      });
      const entries = described.resources[0]?.configEntries ?? [];
      return Object.fromEntries(entries.map((e) => [e.configName, e.configValue]));
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

/**
 * Error lines of a send whose request may have reached a broker: a timeout, or a connection
 * lost while a request was out (not a connection refused: nothing was sent then).
 */
const AMBIGUOUS = /timed out|closed connection|ECONNRESET|EPIPE|socket hang up|Connection closed/i;

/** The Kafka error code (or `NOT_SENT`) of the error a kafkajs send ended with; null when the broker may have written it. */
function answerOf(error: unknown): string | null {
  let e = error as { name?: string; type?: string; message?: string; originalError?: unknown } | undefined;
  while (e?.originalError) e = e.originalError as typeof e;
  if (e?.name === 'KafkaJSProtocolError' && typeof e.type === 'string') return e.type;
  if (e?.name === 'KafkaJSConnectionError' && /ECONNREFUSED|Connection timeout/.test(e.message ?? '')) return NOT_SENT;
  if (e?.name === 'KafkaJSMetadataNotLoaded' || e?.name === 'KafkaJSBrokerNotFound' || e?.name === 'KafkaJSTopicMetadataNotLoaded')
    return NOT_SENT;
  return null;
}

/**
 * An idempotent producer; partitions are chosen by the caller (the partitioner is named only
 * to say so to kafkajs). kafkajs insists on at least one retry of its own for an idempotent
 * producer; a failure is judged "not written" only when no error line of this producer during
 * the send said a request may have reached a broker (lanes share the producer: conservative).
 * kafkajs holds one produce request per broker at a time (its idempotent producer's broker
 * lock), so the caller sends the partitions of one leader together (`leader-batch.ts`).
 */
async function connectProducer(brokers: string[], clientId: string, log: Logger, timeouts: KafkaTimeouts = {}): Promise<RawProducer> {
  let ambiguous = 0;
  const kafka = kafkaClient(brokers, clientId, log, timeouts, (text) => {
    if (AMBIGUOUS.test(text)) ambiguous++;
  });
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 1, initialRetryTime: 100 },
  });
  await producer.connect();
  return {
    async send(topic, batches) {
      const before = ambiguous;
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: batches.flatMap(({ partition, messages }) =>
            messages.map((m) => ({ partition, key: m.key ?? null, value: m.value, headers: m.headers })),
          ),
        });
      } catch (error) {
        throw sendFailure(error, [ambiguous === before ? answerOf(error) : null], batches.length);
      }
    },
    close: () => producer.disconnect(),
  };
}

export const kafkajsAdapter: KafkaClientAdapter = { topics: openTopics, producer: connectProducer, consumer: createConsumer };
