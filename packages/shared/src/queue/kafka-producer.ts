/**
 * The producer behind the collector: one lane per partition (`QueueLanes`), each sending one
 * batch at a time and the lanes side by side, so a partition whose leader is gone holds only
 * its own events while the others keep writing, and a cluster of several brokers has a send
 * in flight to each.
 *
 * The invariant: after an attempt that may have been written, a lane sends the same
 * messages again — never other ones — until they are acknowledged. The producer is
 * idempotent: the broker takes a repeat of a batch it already wrote (same producer id and
 * sequence numbers) for the duplicate it is and acknowledges it without writing it twice.
 * Sending other messages instead would reuse those sequence numbers (the client rolls them
 * back after a failure) and be acknowledged as that duplicate without being stored
 * (`test/kafka-producer-lost-answer.integration.test.ts`). So a send gives up only while
 * nothing of it may have been written: a `QueueUnavailableError` then means "not written".
 * A broker that no longer knows the producer (`renew`) refused the batch: a new producer
 * sends it; lanes still in a send keep theirs until that send ends.
 *
 * A lane's first attempt at a batch joins the next request to its partition's leader, with
 * the other partitions that leader leads (`leader-batch.ts`: one produce request per broker
 * instead of one per partition); a failure of such a request says nothing certain of each
 * partition (`sendFailure`), so the repeats go alone, each answered for itself.
 *
 * Several producers (`KAFKA_PRODUCERS`, default 1): each an idempotent producer of its own
 * (its own producer id and sequence numbers, covering its own repeats), each visitor pinned to
 * one of them (from the key's hash, as its partition is). A lane is then a partition through
 * one producer: lane = partition + partitions × producer. A visitor's events share one lane,
 * so their order holds; two lanes of one partition interleave as two collectors' would. The
 * clients hold one produce request per broker each, so N producers have up to N requests in
 * flight to each broker.
 */
import type { StoredEvent } from '../event.ts';
import type { Logger } from '../logger.ts';
import { backoffMs, sleep } from '../retry.ts';
import { encodeMessages } from '../wire/message.ts';
import { keyHash } from '../wire/partition.ts';
import {
  type KafkaClientAdapter,
  type KafkaConfig,
  type KafkaTimeouts,
  type PartitionState,
  type RawProducer,
  SendFailure,
  sendFailure,
} from './kafka.ts';
import { createLeaderBatcher } from './leader-batch.ts';
import { ensureReplicatedTopics } from './replication.ts';
import {
  groupByLane,
  type QueueHealth,
  type QueueLanes,
  QueueOutcomeUnknownError,
  type QueueProducer,
  QueueUnavailableError,
} from './types.ts';

/** How long a metadata read for `health()` may take, and how long its answer is reused. */
const HEALTH_TIMEOUT_MS = 2_000;
const HEALTH_FRESH_MS = 500;
/** After `close()` began, how long sends that may have been written still try. */
const CLOSE_GRACE_MS = 5_000;
/** Retry waits between attempts of one send: from about 50 ms up to about a second. */
const RETRY = { baseMs: 50, maxMs: 1_000 };
/** How often the partitions' leaders are read again (leadership moves back to a restarted broker within minutes). */
const LEADERS_REFRESH_MS = 10_000;
/** One warning per lane per this many ms while its sends fail. */
const WARN_EVERY_MS = 5_000;

interface Held {
  raw: RawProducer;
  users: number;
  retired: boolean;
}

/** The current producer and those replaced but still used by a send in progress. */
function producerPool(connect: () => Promise<RawProducer>, log: Logger) {
  let current: Held | null = null;
  const closeIfDone = (held: Held) => {
    if (held.retired && held.users === 0) held.raw.close().catch((error: unknown) => log.warn({ err: error }, 'producer_close_failed'));
  };
  return {
    async start() {
      current = { raw: await connect(), users: 0, retired: false };
    },
    acquire(): Held {
      if (current === null) throw new QueueUnavailableError('kafka: producer not started');
      current.users++;
      return current;
    },
    release(held: Held) {
      held.users--;
      closeIfDone(held);
    },
    /** A new producer in place of `held` (once, however many lanes ask); resolves to it, acquired. */
    async renew(held: Held): Promise<Held> {
      if (held === current) {
        const fresh = { raw: await connect(), users: 0, retired: false };
        held.retired = true;
        current = fresh;
        log.info({}, 'producer_replaced');
      }
      const next = this.acquire();
      this.release(held);
      return next;
    },
    async close() {
      if (current === null) return;
      current.retired = true;
      closeIfDone(current);
    },
  };
}

export async function createKafkaProducer(
  adapter: KafkaClientAdapter,
  config: KafkaConfig,
  log: Logger,
  timeouts: KafkaTimeouts = {},
): Promise<QueueProducer> {
  const { topic } = config;
  const topics = await adapter.topics(config.brokers, 'tidemark-collector-admin', log, timeouts);
  let partitions: number;
  try {
    await ensureReplicatedTopics(topics, [{ topic, partitions: config.partitions }], config, log);
    // The topic's own count (it may predate KAFKA_PARTITIONS); partitions added later stay unused.
    partitions = (await topics.partitions(topic)) || config.partitions;
  } catch (error) {
    await topics.close();
    throw error;
  }
  // `KAFKA_PRODUCERS` idempotent producers, each visitor pinned to one (see "Several producers" above).
  const pools = Array.from({ length: config.producers }, () =>
    producerPool(() => adapter.producer(config.brokers, 'tidemark-collector', log, timeouts), log),
  );
  try {
    await Promise.all(pools.map((pool) => pool.start()));
  } catch (error) {
    await Promise.all(pools.map((pool) => pool.close()));
    await topics.close();
    throw error;
  }
  const laneCount = partitions * pools.length;

  let closing = false;
  let stopped = false; // closed for good: sends still trying end with an unknown outcome
  const stop = new AbortController();
  const lastWarn = new Array<number>(laneCount).fill(0);

  /** One batch to one lane (a partition, through one of the producers), attempted until acknowledged or known not written. */
  async function sendOnce(lane: number, events: StoredEvent[], signal: AbortSignal | undefined): Promise<void> {
    const messages = encodeMessages(events); // an event the table cannot hold throws here, before Kafka
    const partition = lane % partitions;
    const producers = pools[Math.floor(lane / partitions)] as ReturnType<typeof producerPool>;
    let written: 'no' | 'maybe' = 'no';
    let held = producers.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        if (written === 'no' && (signal?.aborted || closing)) {
          throw new QueueUnavailableError(`kafka: not sent to partition ${partition} (${closing ? 'closing' : 'given up'})`);
        }
        if (stopped) throw new QueueOutcomeUnknownError(`kafka: closed while a send to partition ${partition} may have been written`);
        try {
          // The first attempt joins the next request to the partition's leader; a repeat goes alone, so its answer is its own.
          const leader = leaders[partition] ?? -1;
          if (attempt === 0 && leader >= 0) await batcher.send(held.raw, partition, messages);
          else {
            if (leader < 0) refreshLeaders(); // not known yet (or leaderless when last read): ask again
            await held.raw.send(topic, [{ partition, messages }]);
          }
          if (attempt > 0) log.info({ partition, lane, attempts: attempt + 1, written }, 'kafka_send_recovered');
          return;
        } catch (error) {
          const failure = error instanceof SendFailure ? error : sendFailure(error, []);
          if (failure.written === 'maybe') written = 'maybe';
          if (failure.permanent && written === 'no') throw new QueueUnavailableError(failure.message, { cause: failure });
          if (Date.now() - (lastWarn[lane] ?? 0) >= WARN_EVERY_MS) {
            lastWarn[lane] = Date.now();
            log.warn({ err: failure, partition, lane, attempt, written }, 'kafka_send_retry');
          }
          refreshLeaders();
          if (failure.renew) held = await producers.renew(held).catch(() => held); // still down: the next attempt renews
          // While something may be written, nothing but the same batch may follow: only `close` ends the wait early.
          await sleep(backoffMs(attempt, RETRY), written === 'no' ? anySignal(signal, stop.signal) : stop.signal);
        }
      }
    } finally {
      producers.release(held);
    }
  }

  const tails: Promise<unknown>[] = new Array(laneCount).fill(Promise.resolve());
  // Each partition's leader as last read (-1: unknown): the partitions of one leader are sent together.
  const leaders = new Array<number>(partitions).fill(-1);
  const learn = (layout: PartitionState[]) => {
    for (const p of layout) if (p.partition < partitions) leaders[p.partition] = p.leader;
  };
  const batcher = createLeaderBatcher(topic, (partition) => leaders[partition] ?? -1);
  let reading = false;
  /** Reads the leaders again (one read at a time); after a failed attempt, and every `LEADERS_REFRESH_MS`. */
  const refreshLeaders = () => {
    if (reading) return;
    reading = true;
    topics
      .layout(topic)
      .then(learn, () => {})
      .finally(() => {
        reading = false;
      });
  };
  const health = cachedHealth(async () => {
    const layout = await topics.layout(topic);
    learn(layout);
    const leaderless = layout.filter((p) => p.leader < 0 && p.partition < partitions).map((p) => p.partition);
    // Every lane of a leaderless partition (one per producer) has nowhere to write.
    const unavailable = pools.flatMap((_, k) => leaderless.map((p) => p + k * partitions));
    return { reachable: true, unavailable, leaderless };
  });
  refreshLeaders();
  const refresher = setInterval(refreshLeaders, LEADERS_REFRESH_MS);
  refresher.unref();

  const lanes: QueueLanes = {
    count: laneCount,
    // The partition of the visitor's key (Kafka's placement), and one producer per visitor from the same hash's quotient.
    of(event) {
      const hash = keyHash(event);
      return (hash % partitions) + partitions * (Math.floor(hash / partitions) % pools.length);
    },
    send(lane, events, signal) {
      if (!Number.isInteger(lane) || lane < 0 || lane >= laneCount) return Promise.reject(new RangeError(`no partition ${lane}`));
      const sent = (tails[lane] as Promise<unknown>).then(() => sendOnce(lane, events, signal));
      tails[lane] = sent.catch(() => {});
      return sent;
    },
    health: () => health(),
  };

  return {
    lanes,
    async send(events) {
      const sent = await Promise.allSettled([...groupByLane(events, lanes.of)].map(([lane, list]) => lanes.send(lane, list)));
      const failed = sent.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async ready() {
      const h = await health();
      return h.reachable && h.unavailable.length < laneCount;
    },
    async close() {
      closing = true;
      clearInterval(refresher);
      const settled = Promise.all(tails);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
      stopped = true;
      stop.abort();
      // An attempt still waiting for its answer ends with the producer it uses.
      await Promise.race([settled, sleep(2_000)]);
      await Promise.all(pools.map((pool) => pool.close()));
      await topics.close();
    },
  };
}

/** Aborts when either does. */
function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}

/** `read` shared by concurrent callers, bounded in time, its answer reused for a moment; a failure is "unreachable". */
function cachedHealth(read: () => Promise<QueueHealth>): () => Promise<QueueHealth> {
  let last: { at: number; value: QueueHealth } | null = null;
  let pending: Promise<QueueHealth> | null = null;
  return () => {
    if (last && Date.now() - last.at < HEALTH_FRESH_MS) return Promise.resolve(last.value);
    const unreachable: QueueHealth = { reachable: false, unavailable: [] };
    pending ??= Promise.race([
      read().catch(() => unreachable),
      new Promise<QueueHealth>((resolve) => setTimeout(() => resolve(unreachable), HEALTH_TIMEOUT_MS).unref()),
    ]).then((value) => {
      last = { at: Date.now(), value };
      pending = null;
      return value;
    });
    return pending;
  };
}
