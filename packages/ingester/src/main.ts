/** `pnpm --filter @tidemark/ingester start`: Kafka → ClickHouse, configured by the environment. */
import { serve } from '@hono/node-server';
import { ConfigError, createClickHouse, createKafkaQueueConsumer, listening, retryStartup, runMain } from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createIngesterApp } from './app.ts';
import { createIngester } from './ingester.ts';
import { createIngesterMetrics } from './metrics.ts';
import { migrate } from './migrate.ts';

runMain('ingester', async (config, log) => {
  if (config.kafka.brokers === null)
    throw new ConfigError('KAFKA_BROKERS must be set to run the ingester on its own (use `pnpm start` for the embedded mode)');
  const client = createClickHouse(config.clickhouse);
  const applied = await migrate(client, config.clickhouse);
  log.info({ applied, database: config.clickhouse.database }, 'migrated');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const consumer = await retryStartup('queue', log, () =>
    createKafkaQueueConsumer(config.kafka, log, {
      maxRows: config.ingester.flushMaxRows,
      intervalMs: config.ingester.flushIntervalMs,
    }),
  );
  const ingester = createIngester({
    client,
    database: config.clickhouse.database,
    consumer,
    log,
    metrics: createIngesterMetrics(registry),
    maxRows: config.ingester.flushMaxRows,
    replicated: config.clickhouse.cluster !== null,
  });
  await ingester.start();
  const server = serve({ fetch: createIngesterApp(registry).fetch, hostname: config.ingester.host, port: config.ingester.port });
  await listening(server);
  log.info({ port: config.ingester.port, topic: config.kafka.topic, group: config.kafka.groupId }, 'ingester_started');
  return async () => {
    server.close();
    await ingester.stop();
    await client.close();
  };
});
