/** `pnpm --filter @tidemark/collector start`: the Events API in front of Kafka. */
import { serve } from '@hono/node-server';
import { ConfigError, createKafkaQueueProducer, runMain } from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createCollectorApp } from './app.ts';

runMain('collector', async (config, log) => {
  if (config.kafka.brokers === null)
    throw new ConfigError('KAFKA_BROKERS must be set to run the collector on its own (use `pnpm start` for the embedded mode)');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const producer = await createKafkaQueueProducer(config.kafka, log);
  const app = createCollectorApp({ config: config.collector, producer, log, registry });
  const server = serve({ fetch: app.fetch, hostname: config.collector.host, port: config.collector.port });
  log.info({ host: config.collector.host, port: config.collector.port, topic: config.kafka.topic }, 'collector_started');
  return async () => {
    await new Promise((resolve) => server.close(resolve));
    await producer.close();
  };
});
