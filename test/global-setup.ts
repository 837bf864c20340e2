/**
 * Starts the real Kafka broker and ClickHouse server for the integration tests, unless
 * `KAFKA_BROKERS` and `CLICKHOUSE_URL` already point at running ones, and stops what it
 * started afterwards — unless another test run that is still going uses them too. Every run
 * registers its pid in one directory for the whole machine (the services' ports are the
 * machine's, so runs from other checkouts share them, and so do runs given the services'
 * addresses). The last run to stop also drops the topics and databases the tests made
 * (`leftovers.ts`), never while another run — from any checkout — is still going.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { isAlive } from '../services/process.ts';
import { dropLeftovers, snapshot } from './leftovers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    clickhouseUrl: string;
  }
}

const USERS = join(tmpdir(), 'tidemark-services-users');

function otherUsers(): number[] {
  return readdirSync(USERS)
    .map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid));
}

export default async function setup(project: TestProject) {
  mkdirSync(USERS, { recursive: true });
  writeFileSync(join(USERS, String(process.pid)), '');
  const given = { kafka: process.env.KAFKA_BROKERS, clickhouse: process.env.CLICKHOUSE_URL };
  if (given.kafka && given.clickhouse) {
    project.provide('kafkaBrokers', given.kafka);
    project.provide('clickhouseUrl', given.clickhouse);
    return () => rmSync(join(USERS, String(process.pid)), { force: true });
  }
  const { startServices } = await import('../services/index.ts');
  const log = (line: string) => process.stdout.write(`[services] ${line}\n`);
  const services = await startServices({ log });
  project.provide('kafkaBrokers', services.kafkaBrokers);
  project.provide('clickhouseUrl', services.clickhouseUrl);
  const before = await snapshot(services.kafkaBrokers, services.clickhouseUrl);
  return async () => {
    rmSync(join(USERS, String(process.pid)), { force: true });
    if (otherUsers().length > 0) return; // another run still uses the services and its topics
    try {
      const dropped = await dropLeftovers(before, services.kafkaBrokers, services.clickhouseUrl);
      log(`dropped what this run made: ${dropped.topics} topics, ${dropped.databases} databases`);
    } catch (error) {
      log(`could not drop what this run made (pnpm services:reset removes everything): ${String(error)}`);
    }
    await services.stop();
  };
}
