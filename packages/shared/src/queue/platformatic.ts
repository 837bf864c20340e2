/**
 * The @platformatic/kafka adapter (`KAFKA_CLIENT=platformatic`; docs/kafka-client.md): the
 * queue's producer and consumer and the `KafkaTopics` of every other Kafka use, as the
 * kafkajs adapter offers them. @platformatic/kafka stays inside this file.
 *
 * Its consumer is one stream of messages across the assigned partitions, so the fetches the
 * ingester works on are made here: messages are kept per partition until committed; a
 * partition's messages are handed over (one partition at a time per handler, partitions in
 * parallel) once they hold `maxRows` events or the oldest waited `intervalMs`; what a handler
 * did not commit is handed over again with whatever arrived since. A rejoin of the group makes
 * a new assignment: messages of partitions no longer assigned are dropped uncommitted (their
 * new owner reads them), and the stream, which then fetches again from the committed offsets,
 * may repeat messages already kept — a message at or below a kept offset replaces the kept
 * tail from there on.
 */
import { randomUUID } from 'node:crypto';
import { Admin, ConfigResourceTypes, Consumer, type Message, type MessagesStream, ProduceAcks, Producer } from '@platformatic/kafka';
import type { Logger } from '../logger.ts';
import { messageRows } from '../wire/message.ts';
import { murmur2 } from '../wire/partition.ts';
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
import type { PartitionFetch, QueueConsumer, QueueMessage } from './types.ts';

/**
 * Kafka's default partitioner (the Java client's): murmur2 made positive. The library's own
 * default (`murmur2 >>> 0`) puts about half of all keys elsewhere; the producer then takes it
 * modulo the partition count.
 */
const javaPartitioner = (_message: unknown, key: Buffer | undefined) => (key ? murmur2(key) & 0x7fffffff : 0);

/** Messages kept in memory across partitions before the stream is paused. */
const KEEP_MESSAGES = 20_000;
const UNKNOWN_END = 2n ** 63n - 1n;

function base(brokers: string[], clientId: string, timeouts: KafkaTimeouts = {}) {
  return {
    clientId,
    bootstrapBrokers: brokers,
    timeout: timeouts.requestTimeoutMs ?? 10_000,
    retries: timeouts.retries ?? 5,
    retryDelay: 200,
  };
}

function textHeaders(headers: Map<Buffer, Buffer>): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toString();
    if (!(key in text)) text[key] = value.toString();
  }
  return text;
}

function bufferHeaders(headers: Readonly<Record<string, string>> | undefined): Map<Buffer, Buffer> {
  return new Map(Object.entries(headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
}

function keyBuffer(key: string | Buffer | null | undefined): Buffer | undefined {
  return key === null || key === undefined ? undefined : Buffer.isBuffer(key) ? key : Buffer.from(key);
}

/**
 * The Kafka error codes in a @platformatic/kafka error (it nests them: `errors`, `cause`): a
 * protocol error's code, `NOT_SENT` for a connection that was never made, and null for any
 * other network fault or timeout (the request may have reached the broker).
 */
function answersOf(error: unknown, out: (string | null)[] = [], seen = new Set<unknown>()): (string | null)[] {
  if (error === null || typeof error !== 'object' || seen.has(error)) return out;
  seen.add(error);
  const e = error as { apiId?: unknown; code?: unknown; errors?: unknown[]; cause?: unknown; message?: unknown };
  const nested = [...(Array.isArray(e.errors) ? e.errors : []), ...(e.cause === undefined ? [] : [e.cause])];
  if (typeof e.apiId === 'string') out.push(e.apiId);
  else if (e.code === 'ECONNREFUSED') out.push(NOT_SENT);
  else if (nested.length === 0) out.push(null);
  for (const inner of nested) answersOf(inner, out, seen); // wrappers say nothing themselves: their leaves do
  return out;
}

/** An idempotent producer; the caller picks the partition, and the library retries nothing (each `send` is one attempt). */
async function connectProducer(brokers: string[], clientId: string, _log: Logger, timeouts: KafkaTimeouts = {}): Promise<RawProducer> {
  const producer = new Producer({
    ...base(brokers, clientId, timeouts),
    retries: 0,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
  await producer.metadata({ topics: [] }); // connects, or rejects while the brokers are down
  return {
    async send(topic, batches) {
      try {
        await producer.send({
          messages: batches.flatMap(({ partition, messages }) =>
            messages.map((m) => ({ topic, partition, key: keyBuffer(m.key), value: m.value, headers: bufferHeaders(m.headers) })),
          ),
        });
      } catch (error) {
        const answers = answersOf(error);
        throw sendFailure(error, answers.length === 0 ? [null] : answers, batches.length);
      }
    },
    close: () => producer.close(),
  };
}

async function openTopics(brokers: string[], clientId: string, log: Logger, timeouts: KafkaTimeouts = {}): Promise<KafkaTopics> {
  const admin = new Admin(base(brokers, `${clientId}-admin`, timeouts));
  const offsets = new Consumer({ ...base(brokers, `${clientId}-offsets`, timeouts), groupId: `${clientId}-offsets-${randomUUID()}` });
  let producer: Producer | null = null;
  const readers = new Set<{ close(): Promise<void> }>();
  return {
    async ensure(specs) {
      const existing = new Set(await admin.listTopics());
      for (const { topic, partitions, replicationFactor, config } of specs) {
        if (existing.has(topic)) continue;
        try {
          await admin.createTopics({
            topics: [topic],
            partitions,
            replicas: replicationFactor ?? -1,
            configs: Object.entries(config ?? {}).map(([name, value]) => ({ name, value })),
          });
        } catch (error) {
          // Another instance may have created it between list and create (its metadata may not show it yet).
          if (!answersOf(error).includes('TOPIC_ALREADY_EXISTS') && !(await admin.listTopics()).includes(topic)) throw error;
        }
        // Until every partition has a leader, sends to it fail: wait for the metadata to say so.
        for (let i = 0; i < 50; i++) {
          const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
          const t = metadata.topics.get(topic);
          if (t && t.partitionsCount === partitions && t.partitions.every((p) => p.leader >= 0)) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async partitions(topic) {
      const metadata = await admin.metadata({ topics: [topic] });
      return metadata.topics.get(topic)?.partitionsCount ?? 0;
    },
    async brokers() {
      return (await admin.metadata({ topics: [], forceUpdate: true })).brokers.size;
    },
    async layout(topic) {
      if (!(await admin.listTopics()).includes(topic)) return [];
      const t = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
      return (t?.partitions ?? []).map((p, partition) => ({ partition, leader: p.leader, replicas: p.replicas, isr: p.isr }));
    },
    async settings(topic, names) {
      const [described] = await admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: names }],
      });
      return Object.fromEntries((described?.configs ?? []).map((c) => [c.name, c.value ?? '']));
    },
    async ends(topic) {
      const [low, high] = await Promise.all([
        offsets.listOffsets({ topics: [topic], timestamp: -2n }),
        offsets.listOffsets({ topics: [topic], timestamp: -1n }),
      ]);
      return (high.get(topic) ?? []).map((h, partition) => ({ partition, low: low.get(topic)?.[partition] ?? 0n, high: h }));
    },
    async read(topic, { fromBeginning }, onRecord) {
      const consumer = new Consumer({ ...base(brokers, clientId, {}), groupId: `${clientId}-${randomUUID()}`, maxWaitTime: 500 });
      // A topic just made may not be in every broker's metadata yet (a cluster): asked again for a few seconds.
      let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
      for (let attempt = 0; stream === undefined; attempt++) {
        try {
          stream = await consumer.consume({ topics: [topic], mode: fromBeginning ? 'earliest' : 'latest', autocommit: false });
        } catch (error) {
          if (attempt >= 25 || !/unknown topic/i.test(String((error as Error).message))) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      const done = (async () => {
        for await (const m of stream as AsyncIterable<Message>) {
          await onRecord({
            partition: m.partition,
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? Buffer.alloc(0),
            headers: textHeaders(m.headers),
            timestamp: Number(m.timestamp),
          });
        }
      })().catch((error: unknown) => log.warn({ err: error, topic }, 'topic_read_failed'));
      const reader = {
        async close() {
          readers.delete(reader);
          await stream.close();
          await done;
          await consumer.close();
        },
      };
      readers.add(reader);
      return reader;
    },
    async write(topic, records) {
      producer ??= new Producer({
        ...base(brokers, clientId, timeouts),
        idempotent: true,
        acks: ProduceAcks.ALL,
        autocreateTopics: false,
        partitioner: javaPartitioner,
      });
      await producer.send({
        messages: records.map(({ key, value, headers, timestamp }) => ({
          topic,
          key: keyBuffer(key),
          value,
          headers: bufferHeaders(headers),
          ...(timestamp === undefined ? {} : { timestamp: BigInt(timestamp) }),
        })),
      });
    },
    async close() {
      await Promise.all([...readers].map((r) => r.close()));
      await producer?.close();
      await Promise.all([offsets.close(), admin.close()]);
    },
  };
}

interface Kept {
  messages: QueueMessage[];
  leaderEpoch: number;
  rows: number;
  /** When the oldest kept message arrived. */
  since: number;
  /** A handler holds the partition's messages now. */
  busy: boolean;
  /** Stopped by its handler, until the next assignment. */
  stopped: boolean;
  /** Messages handed over and not committed: hand over again only once more arrive or the interval passed. */
  handedOver: number;
}

async function createConsumer(config: KafkaConfig, log: Logger, options: KafkaConsumerOptions): Promise<QueueConsumer> {
  const topics = await openTopics(config.brokers, 'tidemark-ingester', log);
  const maxBytes = 64 * 1024 * 1024;
  const consumer = new Consumer({
    ...base(config.brokers, 'tidemark-ingester'),
    groupId: config.groupId,
    // A member lost with its coordinator (its process restarted the consumer) holds a rebalance
    // until its session expires: 6 s (the broker's least), not 30 (docs/kafka-client.md, issue 24).
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_MS,
    maxWaitTime: options.intervalMs,
    minBytes: Math.min(options.maxRows * BYTES_PER_EVENT, maxBytes / 2),
    maxBytes,
    maxBytesPerPartition: 16 * 1024 * 1024,
    autocommit: false,
  });
  const dlq = new Producer({
    ...base(config.brokers, 'tidemark-ingester-dlq'),
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
  const kept = new Map<number, Kept>();
  let assignment = 0;
  let closing = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  consumer.on('consumer:group:join', ({ assignments }) => {
    assignment++;
    const mine = new Set(assignments?.find((a) => a.topic === config.topic)?.partitions ?? []);
    for (const [partition, k] of kept) {
      k.stopped = false;
      if (!mine.has(partition) && !k.busy) kept.delete(partition);
    }
    log.info({ group: config.groupId, assigned: [...mine] }, 'partitions_assigned');
    notify();
  });

  let keptMessages = 0;
  const onMessage = (m: Message) => {
    let k = kept.get(m.partition);
    if (!k) {
      k = { messages: [], leaderEpoch: m.leaderEpoch, rows: 0, since: Date.now(), busy: false, stopped: false, handedOver: 0 };
      kept.set(m.partition, k);
    }
    if (k.stopped) return;
    const message: QueueMessage = {
      offset: m.offset,
      key: m.key ?? null,
      value: m.value ?? Buffer.alloc(0),
      headers: textHeaders(m.headers),
    };
    const last = k.messages[k.messages.length - 1];
    if (last && m.offset <= last.offset) {
      // Fetched again from the committed offset (a rejoin): the kept tail from here is replaced.
      const from = k.messages.findIndex((x) => x.offset >= m.offset);
      const dropped = k.messages.splice(from);
      keptMessages -= dropped.length;
      k.rows -= dropped.reduce((n, x) => n + messageRows(x), 0);
      k.handedOver = Math.min(k.handedOver, k.messages.length);
    }
    if (k.messages.length === 0) k.since = Date.now();
    k.messages.push(message);
    k.leaderEpoch = m.leaderEpoch;
    k.rows += messageRows(message);
    keptMessages++;
    if (keptMessages >= KEEP_MESSAGES) stream.pause();
    if (k.rows >= options.maxRows) notify();
  };
  /**
   * The stream ends with an 'error' when its fetches fail past the library's retries (a
   * partition leader killed: "fetch failed 3 times"); unhandled, that error ends the process.
   * A new stream takes over from the committed offsets; what it repeats replaces the kept tail.
   */
  const consume = async (): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> => {
    const next = await consumer.consume({ topics: [config.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    next.on('data', onMessage);
    next.on('error', (error: unknown) => {
      if (closing) return;
      log.warn({ err: error }, 'kafka_stream_failed_restarting');
      const again = async () => {
        if (closing) return;
        try {
          await next.close().catch(() => {});
          stream = await consume();
        } catch (restartError) {
          log.warn({ err: restartError }, 'kafka_stream_restart_failed');
          setTimeout(() => void again(), 1_000).unref();
        }
      };
      setTimeout(() => void again(), 500).unref();
    });
    return next;
  };
  let stream = await consume();

  const commitUpTo = (partition: number, k: Kept) => async (next: bigint) => {
    await consumer.commit({ offsets: [{ topic: config.topic, partition, offset: next, leaderEpoch: k.leaderEpoch }] });
    let drop = 0;
    while (drop < k.messages.length && (k.messages[drop] as QueueMessage).offset < next)
      k.rows -= messageRows(k.messages[drop++] as QueueMessage);
    k.messages.splice(0, drop);
    k.handedOver = Math.max(0, k.handedOver - drop);
    keptMessages -= drop;
    k.since = Date.now();
    if (keptMessages < KEEP_MESSAGES / 2 && stream.isPaused()) stream.resume();
  };

  const due = (k: Kept, now: number) =>
    !k.busy && !k.stopped && k.messages.length > k.handedOver && (k.rows >= options.maxRows || now - k.since >= options.intervalMs);

  let runDone: Promise<void> = Promise.resolve();

  async function runLoop(handle: (fetch: PartitionFetch) => Promise<void>): Promise<void> {
    const running = new Set<Promise<void>>();
    const concurrency = options.concurrency ?? config.partitions;
    const deliver = (partition: number, k: Kept) => {
      const mine = assignment;
      k.busy = true;
      const messages = [...k.messages];
      const fetch: PartitionFetch = {
        topic: config.topic,
        partition,
        assignment: mine,
        messages,
        // Unknown to a stream; a run recorded past what is kept is then waited for, never cut short.
        highWatermark: UNKNOWN_END,
        active: () => !closing && assignment === mine,
        heartbeat: async () => {
          if (assignment !== mine) throw new Error(`partition ${partition} was reassigned`);
        },
        commit: commitUpTo(partition, k),
        stop: () => {
          k.stopped = true;
          keptMessages -= k.messages.length;
          k.messages = [];
          k.rows = 0;
        },
      };
      const task = handle(fetch)
        .catch((error: unknown) => log.warn({ err: error, partition }, 'fetch_handler_failed'))
        .finally(() => {
          k.busy = false;
          k.handedOver = k.messages.length; // what is left was handed over and not committed
          k.since = Date.now();
          if (assignment !== mine && !(consumer.assignments ?? []).some((a) => a.partitions.includes(partition))) kept.delete(partition);
          running.delete(task);
          notify();
        });
      running.add(task);
    };
    while (!closing) {
      const now = Date.now();
      for (const [partition, k] of kept) {
        if (running.size >= concurrency) break;
        if (due(k, now)) deliver(partition, k);
        // Left over after a handler: handed over again once the interval passed.
        else if (!k.busy && k.handedOver > 0 && now - k.since >= options.intervalMs) k.handedOver = 0;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(10, Math.min(options.intervalMs, 100)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await Promise.all(running);
  }

  const queue: QueueConsumer = {
    replays: true,
    run(handle) {
      runDone = runLoop(handle);
      return runDone;
    },
    async deadLetter(messages) {
      await dlq.send({
        messages: messages.map(({ message, error }) => ({
          topic: config.dlqTopic,
          key: keyBuffer(message.key),
          value: message.value,
          headers: bufferHeaders({ ...message.headers, error }),
        })),
      });
    },
    async backlog() {
      return (await lagByPartition()).reduce((sum, p) => sum + p.lag, 0);
    },
    partitionLag: lagByPartition,
    async close() {
      closing = true;
      notify();
      await runDone; // the fetches in hand finish (insert and commit) first
      await stream.close();
      await consumer.close();
      await Promise.all([dlq.close(), topics.close()]);
    },
  };
  return queue;

  async function lagByPartition() {
    const ends = await topics.ends(config.topic);
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic: config.topic, partitions: ends.map((e) => e.partition) }] });
    const done = committed.get(config.topic) ?? [];
    return ends.map(({ partition, low, high }) => {
      const at = done[partition] ?? -1n;
      const lag = high - (at < 0n ? low : at);
      return { partition, lag: Number(lag > 0n ? lag : 0n) };
    });
  }
}

export const platformaticAdapter: KafkaClientAdapter = { topics: openTopics, producer: connectProducer, consumer: createConsumer };
