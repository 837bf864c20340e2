/**
 * The kafkajs adapter's consumer (docs/kafka-client.md, "Broker failover"). Accumulation happens
 * in the broker: every fetch waits for `minBytes` (about `maxRows` events) or `maxWaitTimeInMs`
 * (= `FLUSH_INTERVAL_MS`), whichever comes first, so one fetch holds a full micro-batch per
 * partition at high rates and everything that arrived in the interval at low ones. Each
 * partition's fetch is handed over whole; nothing uncommitted is held across `eachBatch` calls,
 * so a rebalance (kafkajs has no awaited "partitions revoked" hook) never strands buffered data,
 * and a stop lets the fetch in hand finish. Offsets the handler did not commit are fetched again
 * (kafkajs seeks back to the last resolved offset).
 *
 * Every restart is this file's, one at a time, and replaces the kafkajs consumer with a fresh
 * one (kafkajs's own restart after a crash is turned off):
 * - a crash (a "non-retriable" error, as a lost group coordinator can cause: `Broker N not found
 *   in the cached metadata`, or retries run out), which kafkajs would restart or not by itself;
 * - the group coordinator gone (a heartbeat's connection refused or reset, or another broker
 *   named coordinator): kafkajs would keep calling the dead broker until its retries run out;
 * - a stall (`stall-watch.ts`): messages wait on a partition of this member and no fetch of it
 *   reached the handler for `STALL_MS`, with nothing crashed or logged (kafkajs issue #659).
 *   Defence in depth: the silent ingester of the failover test was a frozen event loop, fixed in
 *   the patch (`fetchManager.js`, docs/kafka-client.md), which no timer here could have seen.
 * A fresh consumer shares no state with a stuck one: the old one is asked to stop (the fetch in
 * hand finishing, for at most `STOP_WAIT_MS`) and dropped, its batches no longer active and its
 * events ignored. The new one joins as the same member (patches/kafkajs: rejoinAs), so the
 * coordinator taking over completes the rebalance without waiting out a lost member's session;
 * until the dead broker is fenced the join itself fails and is tried again.
 */
import { type Consumer, type ConsumerRunConfig, Partitioners } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { BYTES_PER_EVENT, HEARTBEAT_MS, type KafkaConfig, type KafkaConsumerOptions, SESSION_TIMEOUT_MS } from './kafka.ts';
import { kafkaClient, queueMessage } from './kafkajs-client.ts';
import { createStallWatch } from './stall-watch.ts';
import type { PartitionFetch, QueueConsumer } from './types.ts';

/** No fetch for this long while messages wait: the consumer is replaced (a failover's fencing and rejoin take ≈ 10–15 s). */
export const STALL_MS = 30_000;
/** How often the stall watch reads the lag. */
const WATCH_EVERY_MS = 5_000;
/** The longest wait for a replaced consumer to stop before the fresh one starts anyway. */
const STOP_WAIT_MS = 15_000;
/** A replacement still joining after this long is itself replaced. */
const REPLACE_STUCK_MS = 60_000;

/** kafkajs's consumer with the patch's member id (patches/kafkajs: rejoinAs). */
type Member = Consumer & { memberId(): string | null; rejoinAs(id: string | null): void };

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export async function createConsumer(config: KafkaConfig, log: Logger, options: KafkaConsumerOptions): Promise<QueueConsumer> {
  // Waits between attempts of at most a second: after a dead broker is fenced, the consumer finds
  // the new coordinator or leader within about a second, not after kafkajs's backoff (up to 30 s;
  // 8.7 s seen before a restart after a lost coordinator).
  const kafka = kafkaClient(config.brokers, 'tidemark-ingester', log, { maxRetryTimeMs: 1_000 });
  const admin = kafka.admin();
  await admin.connect();
  const maxBytes = 64 * 1024 * 1024;
  const newConsumer = () =>
    kafka.consumer({
      groupId: config.groupId,
      maxWaitTimeInMs: options.intervalMs,
      minBytes: Math.min(options.maxRows * BYTES_PER_EVENT, maxBytes / 2),
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes,
      // A member lost with its coordinator holds a rebalance until its session expires: 6 s (the
      // broker's least), not 30 (docs/kafka-client.md, issue 24).
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_MS,
      // Restarts are replacements made here (above); kafkajs restarting the same consumer
      // beside one would race it.
      retry: { restartOnFailure: async () => false },
    }) as Member;
  const dlq = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  let consumer = newConsumer();
  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });

  const watch = createStallWatch(STALL_MS);
  let handle: ((fetch: PartitionFetch) => Promise<void>) | null = null;
  let closing = false;
  let assignment = 0;

  /** The run configuration of one kafkajs consumer: its batches stop counting once it was replaced. */
  const runConfig = (member: Member, handler: (fetch: PartitionFetch) => Promise<void>): ConsumerRunConfig => ({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency ?? config.partitions,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const { topic, partition } = batch;
      if (member !== consumer) return dropStale(member);
      if (batch.messages.length === 0) return;
      const active = () => member === consumer && isRunning() && !isStale();
      // kafkajs heartbeats only between batches: a batch whose insert or commit waits (a commit
      // blocks until the offsets' in-sync replicas drop a dead broker, ≈ 9 s) would let the
      // session lapse and cost a rebalance, so heartbeats go on while it is handled.
      const beat = setInterval(() => {
        if (!active()) return;
        heartbeat().catch((error: unknown) => {
          // A rebalance is seen by the batch's own calls; a coordinator gone is acted on here.
          if (coordinatorLost(error)) replace('kafka_coordinator_lost_rejoining', error);
        });
      }, HEARTBEAT_MS);
      watch.started(partition);
      try {
        await handler({
          topic,
          partition,
          assignment,
          messages: batch.messages.map(queueMessage),
          highWatermark: BigInt(batch.highWatermark),
          active,
          heartbeat,
          async commit(next) {
            await member.commitOffsets([{ topic, partition, offset: String(next) }]);
            resolveOffset(String(next - 1n));
          },
          stop: () => member.pause([{ topic, partitions: [partition] }]),
        });
      } finally {
        clearInterval(beat);
        watch.ended(partition);
      }
    },
  });

  /**
   * A replaced consumer that still runs (its stop returned while it was joining, and the join then
   * went through) is disconnected again, from outside its batch: it must not heartbeat or fetch
   * as the member its replacement now is.
   */
  const dropped = new WeakSet<Member>();
  const dropStale = (member: Member) => {
    if (dropped.has(member)) return;
    dropped.add(member);
    setImmediate(() => void member.disconnect().catch((e: unknown) => log.warn({ err: e }, 'kafka_consumer_stop_failed')));
  };

  /** Events of one kafkajs consumer, acted on while it is the current one. */
  const listen = (member: Member) => {
    member.on(member.events.GROUP_JOIN, ({ payload }) => {
      if (member !== consumer) return dropStale(member);
      assignment++;
      watch.assigned(payload.memberAssignment[config.topic] ?? []);
      // A partition stopped under the last assignment is tried again under this one.
      const paused = member.paused();
      if (paused.length > 0) member.resume(paused);
      log.info({ group: payload.groupId, assigned: payload.memberAssignment }, 'partitions_assigned');
    });
    member.on(member.events.CRASH, ({ payload }) => {
      if (member !== consumer) return;
      void sleep(200).then(() => replace('kafka_consumer_crashed_restarting', payload.error));
    });
  };
  listen(consumer);

  let replacing: { since: number; done: Promise<void> } | null = null;
  /** Replaces the current kafkajs consumer (see the top of the file); one replacement at a time unless one is stuck. */
  function replace(why: string, error?: unknown): void {
    if (closing || handle === null) return;
    if (replacing && Date.now() - replacing.since < REPLACE_STUCK_MS) return;
    log.warn({ err: error }, why);
    const old = consumer;
    const run = async () => {
      // The fetch in hand finishes and the group is left if its coordinator answers (no member to
      // rejoin as then); a consumer that does not stop in time is left to itself.
      await Promise.race([old.disconnect().catch((e: unknown) => log.warn({ err: e }, 'kafka_consumer_stop_failed')), sleep(STOP_WAIT_MS)]);
      if (closing || consumer !== old) return;
      const member = newConsumer();
      member.rejoinAs(old.memberId());
      consumer = member;
      watch.restarted();
      listen(member);
      await member.connect();
      await member.subscribe({ topics: [config.topic], fromBeginning: true });
      if (!closing && consumer === member && handle) await member.run(runConfig(member, handle));
    };
    const current = { since: Date.now(), done: run() };
    replacing = current;
    current.done.then(
      () => {
        if (replacing === current) replacing = null;
      },
      (e: unknown) => {
        if (replacing === current) replacing = null;
        log.error({ err: e }, 'kafka_consumer_restart_failed');
        void sleep(1_000).then(() => replace('kafka_consumer_restarting'));
      },
    );
  }

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

  const watchTimer = setInterval(() => {
    if (closing || handle === null) return;
    void lagByPartition().then(
      (lags) => {
        const paused = new Set(consumer.paused().flatMap((p) => p.partitions));
        const stalled = watch.stalled(lags, paused);
        if (stalled.length === 0 || closing) return;
        watch.restarted(); // one replacement per window
        replace(
          'kafka_consumer_stalled_replacing',
          new Error(`no fetch of partitions ${stalled.join(', ')} for ${STALL_MS / 1000} s while messages wait`),
        );
      },
      () => {}, // the lag unread (brokers down): nothing to judge; the ingester reports it
    );
  }, WATCH_EVERY_MS);
  watchTimer.unref();

  return {
    replays: true,
    async run(handler) {
      handle = handler;
      await consumer.run(runConfig(consumer, handler));
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
      clearInterval(watchTimer);
      // A replacement under way finishes first (bounded: one stuck joining is left to itself).
      if (replacing) await Promise.race([replacing.done.catch(() => {}), sleep(STOP_WAIT_MS)]);
      await consumer.disconnect();
      await Promise.all([dlq.disconnect(), admin.disconnect()]);
    },
  };
}
