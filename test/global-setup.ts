/**
 * Starts the real Kafka broker and ClickHouse server for the integration tests, unless
 * `KAFKA_BROKERS` and `CLICKHOUSE_URL` already point at running ones; stops what it started.
 */
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    clickhouseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const given = { kafka: process.env.KAFKA_BROKERS, clickhouse: process.env.CLICKHOUSE_URL };
  if (given.kafka && given.clickhouse) {
    project.provide('kafkaBrokers', given.kafka);
    project.provide('clickhouseUrl', given.clickhouse);
    return;
  }
  const { startServices } = await import('../services/index.ts');
  const services = await startServices({ log: (line) => process.stdout.write(`[services] ${line}\n`) });
  project.provide('kafkaBrokers', services.kafkaBrokers);
  project.provide('clickhouseUrl', services.clickhouseUrl);
  return async () => {
    await services.stop();
  };
}
