import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { KafkaClientAdapter, KafkaTimeouts, KafkaTopics } from './kafka.ts';
import { createKafkaProducer } from './kafka-producer.ts';
import { kafkajsAdapter } from './kafkajs.ts';
import { platformaticAdapter } from './platformatic.ts';
import { ensureReplicatedTopics } from './replication.ts';
import type { QueueConsumer, QueueProducer } from './types.ts';

export { type KafkaTopics, type PartitionState, partitionMessages, type TopicRecord, type TopicSpec } from './kafka.ts';
export { createMemoryQueue, type MemoryQueue } from './memory.ts';
export { ensureReplicatedTopics, type ReplicationMismatch, replicationOf } from './replication.ts';
export * from './types.ts';
export type { KafkaTimeouts };

/** The client adapter `KAFKA_CLIENT` names. */
function adapterOf(client: Config['kafka']['client']): KafkaClientAdapter {
  return client === 'platformatic' ? platformaticAdapter : kafkajsAdapter;
}

function brokersOf(config: Pick<Config['kafka'], 'brokers'>): string[] {
  if (config.brokers === null) throw new Error('KAFKA_BROKERS is not set');
  return config.brokers;
}

/** The distributed mode's producer; the embedded mode builds a `MemoryQueue` instead. */
export function createKafkaQueueProducer(config: Config['kafka'], log: Logger, timeouts?: KafkaTimeouts): Promise<QueueProducer> {
  return createKafkaProducer(adapterOf(config.client), { ...config, brokers: brokersOf(config) }, log, timeouts);
}

/** The ingester's consumer; its topic and dead-letter topic are made (replicated) first when missing. */
export async function createKafkaQueueConsumer(
  config: Config['kafka'],
  log: Logger,
  options: { maxRows: number; intervalMs: number },
): Promise<QueueConsumer> {
  const adapter = adapterOf(config.client);
  const brokers = brokersOf(config);
  const topics = await adapter.topics(brokers, 'tidemark-ingester-admin', log);
  try {
    await ensureReplicatedTopics(
      topics,
      [
        { topic: config.topic, partitions: config.partitions },
        { topic: config.dlqTopic, partitions: 1 },
      ],
      config,
      log,
    );
  } finally {
    await topics.close();
  }
  return adapter.consumer({ ...config, brokers }, log, options);
}

/** Topics for every other Kafka use (salts, `topic tail`, tests), through the configured client. */
export function openKafkaTopics(
  config: Pick<Config['kafka'], 'brokers' | 'client'>,
  clientId: string,
  log: Logger,
  timeouts?: KafkaTimeouts,
): Promise<KafkaTopics> {
  return adapterOf(config.client).topics(brokersOf(config), clientId, log, timeouts);
}
