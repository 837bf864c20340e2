// Real Kafka and ClickHouse as local processes, for `pnpm services:start` and test setups.
import { clickhouseUrl, startClickHouse, stopClickHouse } from './clickhouse.ts';
import { activeController, defaultKafkaCluster, kafkaBrokers, kafkaNodePid, killKafkaNode, startKafka, stopKafka } from './kafka.ts';
import type { ServiceOptions } from './options.ts';

export type { KafkaNodePorts, Log, ServiceOptions } from './options.ts';
export {
  activeController,
  clickhouseUrl,
  defaultKafkaCluster,
  kafkaBrokers,
  kafkaNodePid,
  killKafkaNode,
  startClickHouse,
  startKafka,
  stopClickHouse,
  stopKafka,
};

export interface ServicesHandle {
  kafkaBrokers: string;
  clickhouseUrl: string;
  /** True if this call started at least one of the services. */
  startedByUs: boolean;
  /** Stops what this call started; a no-op for services that were already running. */
  stop(): Promise<void>;
}

/** Starts Kafka and ClickHouse in parallel, reusing any that already run. */
export async function startServices(opts: ServiceOptions = {}): Promise<ServicesHandle> {
  const [kafka, clickhouse] = await Promise.allSettled([startKafka(opts), startClickHouse(opts)]);
  const ours = {
    kafka: kafka.status === 'fulfilled' && kafka.value.startedByUs,
    clickhouse: clickhouse.status === 'fulfilled' && clickhouse.value.startedByUs,
  };
  const stop = async () => {
    await Promise.all([ours.kafka && stopKafka(opts), ours.clickhouse && stopClickHouse(opts)]);
  };
  const errors = [kafka, clickhouse].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (errors.length > 0) {
    await stop(); // leave nothing half-started behind
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map(message).join('\n'));
  }
  const brokers = kafka.status === 'fulfilled' ? kafka.value.brokers : kafkaBrokers;
  return { kafkaBrokers: brokers, clickhouseUrl, startedByUs: ours.kafka || ours.clickhouse, stop };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Stops both services if they were started from this root — the one-broker Kafka and the
 * `--brokers N` cluster alike; no error if they are not running.
 */
export async function stopServices(opts: ServiceOptions = {}): Promise<void> {
  const cluster = { ...opts, kafkaCluster: opts.kafkaCluster ?? defaultKafkaCluster(3) };
  await Promise.all([stopKafka({ ...opts, kafkaCluster: undefined }), stopKafka(cluster), stopClickHouse(opts)]);
}
