/** `pnpm --filter @tidemark/collector start`: the Events API in front of Kafka, `/metrics` on a port of its own. */
import {
  type AccessRegistry,
  ConfigError,
  createAccessRegistry,
  createClickHouse,
  createKafkaQueueProducer,
  listening,
  retryStartup,
  runMain,
} from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createCollector } from './app.ts';
import { createKafkaSalts } from './salts/kafka.ts';

runMain('collector', async (config, log) => {
  const brokers = config.kafka.brokers;
  if (brokers === null)
    throw new ConfigError('KAFKA_BROKERS must be set to run the collector on its own (use `pnpm start` for the embedded mode)');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The sites registry and keys live in ClickHouse (SPEC §11); without CLICKHOUSE_URL only SITES applies.
  const clickhouse = config.clickhouse.url === null ? null : createClickHouse(config.clickhouse);
  const access: AccessRegistry | null =
    clickhouse === null ? null : createAccessRegistry({ client: clickhouse, database: config.clickhouse.database, log });
  const [queue, salts] = await Promise.all([
    retryStartup('queue', log, () => createKafkaQueueProducer(config.kafka, log)),
    retryStartup('salts', log, () => createKafkaSalts({ brokers, client: config.kafka.client, topic: config.kafka.saltsTopic, log })),
    access?.start(),
  ]);
  const collector = createCollector({ config: config.collector, producer: queue, log, registry, salts, access });
  const server = collector.createServer({ keepAliveTimeout: 65_000 });
  const metrics = collector.createMetricsServer();
  const { host, port, metricsHost, metricsPort } = config.collector;
  await Promise.all([listening(server.listen(port, host)), listening(metrics.listen(metricsPort, metricsHost))]);
  log.info({ host, port, metrics: `${metricsHost}:${metricsPort}`, topic: config.kafka.topic }, 'collector_started');
  log.info(collector.sites.describe());
  return async () => {
    // Stop accepting, let in-flight requests get their answer, send what is waiting, exit.
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    metrics.close();
    await closed;
    await collector.close();
    await salts.close();
    await access?.close();
    await clickhouse?.close();
  };
});
