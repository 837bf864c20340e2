/**
 * The daily visitor-id salt shared by every collector instance through a Kafka topic that
 * only collectors read (`KAFKA_SALTS_TOPIC`, one partition, never next to the events).
 *
 * - The key is the UTC day number; the value 32 random bytes; the first message of a day in
 *   the partition wins, so instances that propose at the same moment still agree.
 * - Each message's timestamp is the start of its day and the topic deletes (never compacts,
 *   which would keep the last proposal instead of the first) after 48 hours: the salt of day D
 *   is gone from Kafka when day D+2 begins, and from memory the same moment.
 * - Tomorrow's salt is proposed in the last hour of today, so the switch at midnight needs
 *   no round trip.
 *
 * Kafka through `KafkaTopics` (the queue adapter's small interface); the rest sees a `SaltSource`.
 */
import { randomBytes } from 'node:crypto';
import { type Logger, openKafkaTopics, retry } from '@tidemark/shared';
import { createMemorySalts, DAY_MS, type SaltSource } from '../visitor.ts';

const RETENTION_MS = 2 * DAY_MS;
const PREPARE_BEFORE_MS = 60 * 60_000;
const CHECK_EVERY_MS = 5 * 60_000;

export interface KafkaSaltsOptions {
  brokers: string[];
  /** `KAFKA_CLIENT`. */
  client?: 'kafkajs' | 'platformatic';
  topic: string;
  log: Logger;
  now?: () => number;
  /** How long start-up waits for the day's salt. */
  timeoutMs?: number;
}

export interface KafkaSalts extends SaltSource {
  close(): Promise<void>;
}

export async function createKafkaSalts({
  brokers,
  client = 'kafkajs',
  topic,
  log,
  now = Date.now,
  timeoutMs = 30_000,
}: KafkaSaltsOptions): Promise<KafkaSalts> {
  const topics = await openKafkaTopics({ brokers, client }, 'tidemark-collector-salts', log, { retries: 8 });
  await topics.ensure([
    {
      topic,
      partitions: 1,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(RETENTION_MS), 'segment.ms': String(60 * 60_000) },
    },
  ]);

  const salts = new Map<number, Buffer>();
  const waiters = new Set<() => void>();
  // Read whole by every instance, never committed.
  const reader = await topics.read(topic, { fromBeginning: true }, ({ key, value }) => {
    const day = Number(key?.toString());
    if (!Number.isInteger(day) || value.length < 16) return;
    if (!salts.has(day)) salts.set(day, value); // the first proposal of a day wins
    for (const d of salts.keys()) if (d < Math.floor(now() / DAY_MS) - 1) salts.delete(d);
    for (const wake of waiters) wake();
  });

  const until = async (day: number, ms: number): Promise<Buffer> => {
    const deadline = now() + ms;
    for (;;) {
      const salt = salts.get(day);
      if (salt) return salt;
      if (now() > deadline) throw new Error(`salt of day ${day} did not arrive on ${topic} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 250);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  };

  /** Proposes a salt for `day` unless one was read, and waits until the winner is known. */
  const ensure = async (day: number): Promise<Buffer> => {
    const deadline = now() + timeoutMs;
    if (!salts.has(day)) {
      // A new topic may have no leader yet: retried with backoff until the deadline.
      await retry(() => topics.write(topic, [{ key: String(day), value: randomBytes(32), timestamp: day * DAY_MS }]), {
        maxMs: 2000,
        deadlineMs: timeoutMs,
        onRetry: (error, attempt) => log.warn({ err: error, topic, attempt }, 'salt_propose_retry'),
      });
    }
    return until(day, Math.max(1000, deadline - now()));
  };

  await ensure(Math.floor(now() / DAY_MS));
  const prepare = async () => {
    const t = now();
    const day = Math.floor(t / DAY_MS);
    if ((day + 1) * DAY_MS - t <= PREPARE_BEFORE_MS) await ensure(day + 1);
    else if (!salts.has(day)) await ensure(day);
  };
  const timer = setInterval(() => {
    prepare().catch((error: unknown) => log.error({ err: error, topic }, 'salt_prepare_failed'));
  }, CHECK_EVERY_MS);
  timer.unref();

  // A day whose salt has not arrived (the topic unreachable across midnight) gets a local
  // salt: ids stay private, only this instance's may differ from the others' for the day.
  const fallback = createMemorySalts();
  let warnedDay = -1;
  log.info({ topic, days: [...salts.keys()] }, 'salts_ready');
  return {
    held: (day) => salts.get(day),
    saltFor(nowMs) {
      const day = Math.floor(nowMs / DAY_MS);
      const salt = salts.get(day);
      if (salt) return salt;
      if (warnedDay !== day) {
        warnedDay = day;
        log.warn({ topic, day }, 'salt_missing_using_local');
        prepare().catch((error: unknown) => log.error({ err: error, topic }, 'salt_prepare_failed'));
      }
      return fallback.saltFor(nowMs);
    },
    async close() {
      clearInterval(timer);
      await reader.close();
      await topics.close();
    },
  };
}
