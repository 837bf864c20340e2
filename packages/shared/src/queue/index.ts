import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createKafkaProducer, type KafkaClientAdapter, type KafkaTimeouts, type KafkaTopics } from './kafka.ts';
import { kafkajsAdapter } from './kafkajs.ts';
import { platformaticAdapter } from './platformatic.ts';
import type { QueueConsumer, QueueProducer } from './types.ts';

export { type KafkaTopics, partitionMessages, type TopicRecord, type TopicSpec } from './kafka.ts';
export { createMemoryQueue, type MemoryQueue } from './memory.ts';
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

export function createKafkaQueueConsumer(
  config: Config['kafka'],
  log: Logger,
  options: { maxRows: number; intervalMs: number },
): Promise<QueueConsumer> {
  return adapterOf(config.client).consumer({ ...config, brokers: brokersOf(config) }, log, options);
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
