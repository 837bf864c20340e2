/**
 * The Kafka implementation of the queue, through kafkajs. kafkajs is unmaintained, so it
 * stays inside this file and the collector's salt topic (`salts/kafka.ts`, which builds its
 * client with `kafkaClient` from here).
 */
import { type Admin, type Consumer, type ITopicConfig, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import type { StoredEvent } from '../event.ts';
import type { Logger } from '../logger.ts';
import { encodeMessages, messageEvents } from '../wire/message.ts';
import { cutRun } from './runs.ts';
import type { OffsetRange, QueueConsumer, QueueProducer } from './types.ts';

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
export function kafkaClient(brokers: string[], clientId: string, log: Logger, timeouts: KafkaTimeouts = {}): Kafka {
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
export async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
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

function fnv1a(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** A visitor's partition: a hash (FNV-1a) of site and visitor id, so a visitor's events stay in order on one partition. */
export function partitionOf(event: StoredEvent, partitions: number): number {
  return (fnv1a(fnv1a(0x811c9dc5, event.site) ^ 0x3a, event.visitor_id) >>> 0) % partitions;
}

/** The events of one send as messages per partition (see `wire/message.ts`), in order within each partition. */
export function partitionMessages(events: readonly StoredEvent[], partitions: number): { partition: number; value: Buffer }[] {
  const byPartition = new Map<number, StoredEvent[]>();
  for (const event of events) {
    const p = partitionOf(event, partitions);
    const list = byPartition.get(p);
    if (list) list.push(event);
    else byPartition.set(p, [event]);
  }
  const messages: { partition: number; value: Buffer }[] = [];
  for (const [partition, list] of byPartition) for (const value of encodeMessages(list)) messages.push({ partition, value });
  return messages;
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
      current = await connect(); // rejects while Kafka is down: the send fails, still poisoned
      poisoned = false;
      old.disconnect().catch((error: unknown) => log.warn({ err: error }, 'producer_disconnect_failed'));
      log.info({}, 'producer_replaced');
    }
    try {
      await current.send({ topic: config.topic, acks: -1, messages });
    } catch (error) {
      poisoned = true;
      throw error;
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
 * Retries `read` with exponential backoff and full jitter until it succeeds, heartbeating
 * between attempts (a lost partition makes the heartbeat reject, which ends the wait).
 */
async function retrying<T>(read: () => Promise<T>, heartbeat: () => Promise<void>, isRunning: () => boolean, log: Logger): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!isRunning()) throw error;
      const ceiling = Math.min(10_000, 100 * 2 ** Math.min(attempt, 20));
      const wait = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      log.warn({ err: error, attempt, retryInMs: wait }, 'range_log_retry');
      await new Promise((resolve) => setTimeout(resolve, wait));
      await heartbeat();
    }
  }
}

/**
 * The consumer side. How a batch is formed, and why it is exactly-once in effect:
 *
 * - Accumulation happens in the broker: every fetch waits for `minBytes` (about
 *   `maxRows` events) or `maxWaitTimeInMs` (= `FLUSH_INTERVAL_MS`), whichever comes first,
 *   so one fetch holds a full micro-batch per partition at high rates and everything that
 *   arrived in the interval at low ones. Nothing uncommitted is held across `eachBatch`
 *   calls: a rebalance (kafkajs has no awaited "partitions revoked" hook) therefore never
 *   strands buffered data, and a stop lets the batch in hand finish.
 * - Each fetched partition batch is cut into runs of at most `maxRows`; each run is
 *   handed to the ingester, which writes it ahead to the `RangeLog` (topic, partition,
 *   first, last) and inserts it (one insert, token from those coordinates); then committed.
 * - On a replay (a crash or a lost partition between insert and commit) the fetch may
 *   return more or fewer messages than the first attempt; the run starting at a recorded
 *   first offset is re-cut to exactly the recorded last offset, so its token matches the
 *   first attempt's and ClickHouse drops the duplicate insert. The write-ahead itself is
 *   the batch's `writeAhead()`, which the ingester retries like its insert.
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

  // Per partition of this assignment: the offset the next run should start at, and the
  // recorded ranges from there on. Cleared on every (re)join.
  const plans = new Map<number, { next: bigint; ranges: OffsetRange[] }>();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    plans.clear();
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
    async run(handle, runOptions = {}) {
      const { ranges } = runOptions;
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? config.partitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { topic, partition, messages } = batch;
          const firstMessage = messages[0];
          if (!firstMessage) return;
          let plan = plans.get(partition);
          if (plan === undefined || plan.next !== BigInt(firstMessage.offset)) {
            const from = BigInt(firstMessage.offset);
            const recordedFrom = ranges ? () => ranges.recorded(topic, partition, from) : async () => [];
            plan = { next: from, ranges: await retrying(recordedFrom, heartbeat, isRunning, log) };
            plans.set(partition, plan);
            if (plan.ranges.length > 0) log.info({ topic, partition, from: String(from), ranges: plan.ranges.length }, 'replaying_ranges');
          }
          const highWatermark = BigInt(batch.highWatermark);
          const offsets = messages.map((m) => BigInt(m.offset));
          const events = messages.map((m) => (m.value ? messageEvents(m.value) : 1));
          let start = 0;
          while (start < messages.length && isRunning() && !isStale()) {
            const run = cutRun(offsets, start, plan.ranges, options.maxRows, highWatermark, events);
            if (run === null) {
              // The fetch stopped inside a recorded run: let kafkajs fetch again from its start.
              log.info({ topic, partition, first: String(offsets[start]) }, 'replay_refetch');
              return;
            }
            const range: OffsetRange = { topic, partition, first: offsets[start] ?? 0n, last: run.last };
            const chunk = messages.slice(start, run.end);
            const lastOffset = chunk[chunk.length - 1]?.offset ?? firstMessage.offset;
            const writeAhead = !run.recorded && ranges ? () => ranges.record(range) : undefined;
            await handle({
              topic,
              partition,
              firstOffset: String(range.first),
              lastOffset: String(range.last),
              messages: chunk.map((m) => m.value ?? Buffer.alloc(0)),
              heartbeat,
              ...(writeAhead ? { writeAhead } : {}),
            });
            // Committed only after the handler (the insert) succeeded.
            const next = range.last + 1n;
            await consumer.commitOffsets([{ topic, partition, offset: String(next) }]);
            resolveOffset(lastOffset);
            plan.next = next;
            plan.ranges = plan.ranges.filter((r) => r.first >= next);
            start = run.end;
            await heartbeat();
          }
        },
      });
    },
    async deadLetter(messages) {
      await dlq.send({
        topic: config.dlqTopic,
        acks: -1,
        messages: messages.map(({ value, error }) => ({ value, headers: { error } })),
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
