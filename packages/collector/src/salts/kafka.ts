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
 * The only file of the collector that knows kafkajs; the rest sees a `SaltSource`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { kafkaClient, type Logger } from '@tidemark/shared';
import { type Consumer, Partitioners, type Producer } from 'kafkajs';
import { createMemorySalts, DAY_MS, type SaltSource } from '../visitor.ts';

const RETENTION_MS = 2 * DAY_MS;
const PREPARE_BEFORE_MS = 60 * 60_000;
const CHECK_EVERY_MS = 5 * 60_000;

export interface KafkaSaltsOptions {
  brokers: string[];
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
  topic,
  log,
  now = Date.now,
  timeoutMs = 30_000,
}: KafkaSaltsOptions): Promise<KafkaSalts> {
  const kafka = kafkaClient(brokers, 'tidemark-collector-salts', log, { retries: 8 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin
        .createTopics({
          waitForLeaders: false, // the first send below retries until the partition has a leader
          topics: [
            {
              topic,
              numPartitions: 1,
              configEntries: [
                { name: 'cleanup.policy', value: 'delete' },
                { name: 'retention.ms', value: String(RETENTION_MS) },
                { name: 'segment.ms', value: String(60 * 60_000) },
              ],
            },
          ],
        })
        .catch((error: { type?: string }) => {
          if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
        });
    }
  } finally {
    await admin.disconnect();
  }

  const salts = new Map<number, Buffer>();
  const waiters = new Set<() => void>();
  // A consumer group of its own (never committed): every instance reads the whole topic.
  const consumer: Consumer = kafka.consumer({ groupId: `tidemark-salts-${randomUUID()}`, maxWaitTimeInMs: 500 });
  const producer: Producer = kafka.producer({
    idempotent: true,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const day = Number(message.key?.toString());
      if (!Number.isInteger(day) || !message.value || message.value.length < 16) return;
      if (!salts.has(day)) salts.set(day, message.value); // the first proposal of a day wins
      for (const d of salts.keys()) if (d < Math.floor(now() / DAY_MS) - 1) salts.delete(d);
      for (const wake of waiters) wake();
    },
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
    for (let attempt = 1; !salts.has(day); attempt++) {
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: [{ key: String(day), value: randomBytes(32), timestamp: String(day * DAY_MS) }],
        });
        break;
      } catch (error) {
        // A new topic may have no leader yet: retry with backoff until the deadline.
        if (now() > deadline) throw error;
        log.warn({ err: error, topic, attempt }, 'salt_propose_retry');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      }
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
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
