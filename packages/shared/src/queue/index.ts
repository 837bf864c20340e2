import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createKafkaConsumer, createKafkaProducer, type KafkaTimeouts } from './kafka.ts';
import type { QueueConsumer, QueueProducer } from './types.ts';

export { type KafkaTopics, openKafkaTopics, partitionMessages, type TopicRecord, type TopicSpec } from './kafka.ts';
export { createMemoryQueue, type MemoryQueue } from './memory.ts';
export * from './types.ts';
export type { KafkaTimeouts };

/** The distributed mode's producer; the embedded mode builds a `MemoryQueue` instead. */
export function createKafkaQueueProducer(config: Config['kafka'], log: Logger, timeouts?: KafkaTimeouts): Promise<QueueProducer> {
  const { brokers } = config;
  if (brokers === null) throw new Error('KAFKA_BROKERS is not set');
  return createKafkaProducer({ ...config, brokers }, log, timeouts);
}

export function createKafkaQueueConsumer(
  config: Config['kafka'],
  log: Logger,
  options: { maxRows: number; intervalMs: number },
): Promise<QueueConsumer> {
  const { brokers } = config;
  if (brokers === null) throw new Error('KAFKA_BROKERS is not set');
  return createKafkaConsumer({ ...config, brokers }, log, options);
}
