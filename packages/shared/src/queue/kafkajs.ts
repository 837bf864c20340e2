/**
 * The kafkajs adapter (`KAFKA_CLIENT=kafkajs`, the default; docs/kafka-client.md): the queue's
 * producer (here), its consumer (`kafkajs-consumer.ts`) and the `KafkaTopics` of every other
 * Kafka use (here). kafkajs stays inside these files and `kafkajs-client.ts`: nothing else imports it.
 */
import { randomUUID } from 'node:crypto';
import { type Admin, type ConfigResourceTypes, type Consumer, type ITopicConfig, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { type KafkaClientAdapter, type KafkaTimeouts, type KafkaTopics, NOT_SENT, type RawProducer, sendFailure } from './kafka.ts';
import { kafkaClient, queueMessage } from './kafkajs-client.ts';
import { createConsumer } from './kafkajs-consumer.ts';

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

/** `ConfigResourceTypes.TOPIC`: kafkajs's CommonJS exports hide the enum from an ES import. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

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
