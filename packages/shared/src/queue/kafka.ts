/**
 * The Kafka implementation of the queue, through kafkajs. kafkajs is unmaintained, so it
 * stays inside this file: nothing else imports it.
 */
import { type Admin, type Consumer, type ITopicConfig, Kafka, logLevel, type Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import type { StoredEvent } from '../event.ts';
import type { Logger } from '../logger.ts';
import type { QueueConsumer, QueueProducer } from './types.ts';

type KafkaConfig = Config['kafka'] & { brokers: string[] };

function client(config: KafkaConfig, clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: config.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 5 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        if (level <= logLevel.ERROR) log.error({ kafka: fields }, message);
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

export function messageKey(event: StoredEvent): string {
  return `${event.site}:${event.visitor_id}`;
}

export async function createKafkaProducer(config: KafkaConfig, log: Logger): Promise<QueueProducer> {
  const kafka = client(config, 'tidemark-collector', log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: config.topic, numPartitions: config.partitions }]);
  } finally {
    await admin.disconnect();
  }
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  let connected = false;
  producer.on(producer.events.CONNECT, () => {
    connected = true;
  });
  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });
  await producer.connect();
  return {
    async send(events) {
      await producer.send({
        topic: config.topic,
        acks: -1,
        messages: events.map((event) => ({ key: messageKey(event), value: JSON.stringify(event) })),
      });
    },
    async ready() {
      return connected;
    },
    async close() {
      await producer.disconnect();
    },
  };
}

export interface KafkaConsumerOptions {
  maxRows: number;
  intervalMs: number;
}

export async function createKafkaConsumer(config: KafkaConfig, log: Logger, options: KafkaConsumerOptions): Promise<QueueConsumer> {
  const kafka = client(config, 'tidemark-ingester', log);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: config.topic, numPartitions: config.partitions },
    { topic: config.dlqTopic, numPartitions: 1 },
  ]);
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    maxWaitTimeInMs: options.intervalMs,
    minBytes: 1,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
  });
  const dlq: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });

  return {
    async run(handle) {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          const all = batch.messages;
          for (let start = 0; start < all.length && isRunning() && !isStale(); start += options.maxRows) {
            const chunk = all.slice(start, start + options.maxRows);
            const first = chunk[0];
            const last = chunk[chunk.length - 1];
            if (!first || !last) break;
            await handle({
              topic: batch.topic,
              partition: batch.partition,
              firstOffset: first.offset,
              lastOffset: last.offset,
              messages: chunk.map((m) => m.value ?? Buffer.alloc(0)),
              heartbeat,
            });
            // Committed only after the handler (the insert) succeeded.
            const next = (BigInt(last.offset) + 1n).toString();
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
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
      const [latest, committed] = await Promise.all([
        admin.fetchTopicOffsets(config.topic),
        admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }),
      ]);
      const done = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
      let total = 0n;
      for (const p of latest) {
        const end = BigInt(p.high);
        const at = done.get(p.partition) ?? -1n;
        total += at < 0n ? end - BigInt(p.low) : end - at;
      }
      return Number(total);
    },
    async close() {
      await consumer.disconnect();
      await Promise.all([dlq.disconnect(), admin.disconnect()]);
    },
  };
}
