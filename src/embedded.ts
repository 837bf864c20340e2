/**
 * Everything in one process: collector → in-process queue → ingester → the ClickHouse
 * engine in-process → dashboard API. With `KAFKA_BROKERS` / `CLICKHOUSE_URL` set it uses
 * those instead, still in one process.
 */
import type { Server } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { type Collector, createCollector } from '@tidemark/collector';
import { apiHost, createDashboardApp, dashboardSettings } from '@tidemark/dashboard-api';
import { createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  type Config,
  createAccessRegistry,
  createClickHouse,
  createKafkaQueueConsumer,
  createKafkaQueueProducer,
  createMemoryQueue,
  type KeyAuthorizer,
  type Logger,
  listening,
  type QueueConsumer,
  type QueueProducer,
} from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface EmbeddedStack {
  collectorUrl: string;
  apiUrl: string;
  /** Prometheus text of every service in this process (not on the public collector port). */
  metricsUrl: string;
  /** The collector behind `collectorUrl` (its Hono app, listener and producer). */
  collector: Collector;
  client: ClickHouseClient;
  config: Config;
  /** Which sites the collector accepts, in one line (it changes as sites are registered). */
  readonly sites: string;
  stop(): Promise<void>;
}

function close(server: ServerType): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface EmbeddedOptions {
  /** Which keys may send server-side events; `API_TOKEN` alone by default. */
  keys?: KeyAuthorizer;
}

export async function startEmbedded(config: Config, log: Logger, options: EmbeddedOptions = {}): Promise<EmbeddedStack> {
  const client = createClickHouse(config.clickhouse);
  const applied = await migrate(client, config.clickhouse);
  log.info({ applied, database: config.clickhouse.database, engine: config.clickhouse.url ?? config.clickhouse.dataDir }, 'migrated');

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Sites, keys, links and users (SPEC §11): one copy for the collector and the API of this process.
  const access = createAccessRegistry({ client, database: config.clickhouse.database, log });
  await access.start();
  const batching = { maxRows: config.ingester.flushMaxRows, intervalMs: config.ingester.flushIntervalMs };
  let producer: QueueProducer;
  let consumer: QueueConsumer;
  if (config.kafka.brokers) {
    producer = await createKafkaQueueProducer(config.kafka, log);
    consumer = await createKafkaQueueConsumer(config.kafka, log, batching);
  } else {
    ({ producer, consumer } = createMemoryQueue(batching));
  }

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

  // The collector's own server: event POSTs read from the socket, the rest through Node's parser.
  const events = createCollector({
    config: config.collector,
    producer,
    log,
    registry,
    access,
    ...(options.keys && { keys: options.keys }),
  });
  const collector = events.createServer().listen(config.collector.port, config.collector.host);
  // Every service's metrics (one registry), on the collector's metrics port; the API's /metrics has them too.
  const metrics = events.createMetricsServer().listen(config.collector.metricsPort, config.collector.metricsHost);
  const { host, note } = apiHost(config.api);
  if (note) log.warn(note);
  const dashboard = createDashboardApp({ client, log, registry, access, ...dashboardSettings(config), backlog: () => consumer.backlog() });
  const api = serve({
    fetch: dashboard.fetch,
    hostname: host,
    port: config.api.port,
  });
  const [collectorPort, apiPort, metricsPort] = await Promise.all([listening(collector), listening(api as Server), listening(metrics)]);
  const shown = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);

  return {
    collectorUrl: `http://${shown(config.collector.host)}:${collectorPort}`,
    apiUrl: `http://${shown(host)}:${apiPort}`,
    metricsUrl: `http://${shown(config.collector.metricsHost)}:${metricsPort}/metrics`,
    collector: events,
    client,
    config,
    get sites() {
      return events.sites.describe();
    },
    async stop() {
      try {
        metrics.close();
        await close(collector); // no new events
        await events.close(); // sends what waits, closes the producer
        await ingester.stop(); // flushes what the queue holds
      } finally {
        dashboard.close(); // ends open event streams, which close(api) would wait for
        await close(api);
        await access.close(); // writes the last key uses
        await client.close();
      }
    },
  };
}
