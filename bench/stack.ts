/** Starts Tidemark for a benchmark as separate processes: embedded (one) or distributed (three). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, dropTopics } from './cleanup.ts';
import { type Child, freePort, ROOT, startChild, TSX, waitOk } from './lib.ts';

export interface BenchStack {
  collectorUrl: string;
  apiUrl: string;
  /** The process that serves the API (the one process when embedded). */
  apiPid: number;
  stop(): Promise<void>;
}

export async function startBenchStack(mode: 'embedded' | 'distributed', extraEnv: Record<string, string> = {}): Promise<BenchStack> {
  const [collectorPort, apiPort, ingesterPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const suffix = Math.random().toString(36).slice(2, 8);
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    COLLECTOR_PORT: String(collectorPort),
    COLLECTOR_METRICS_PORT: '0',
    API_PORT: String(apiPort),
    INGESTER_PORT: String(ingesterPort),
    LOG_LEVEL: 'warn',
    // One load generator is one client IP: the per-IP limit would turn the load into 429s.
    RATE_LIMIT_PER_MINUTE: '0',
    CLICKHOUSE_DATABASE: `bench_${suffix}`,
    ...extraEnv,
  };
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const children: Child[] = [];
  let cleanup = async () => {};
  let apiPid = 0;

  if (mode === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-bench-'));
    const one = startChild(TSX, [join(ROOT, 'src/start.ts')], { ...env, DATA_DIR: dataDir });
    children.push(one);
    apiPid = one.child.pid ?? 0;
    await waitOk(`${apiUrl}/healthz`, one);
    await waitOk(`${collectorUrl}/healthz`, one);
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  } else {
    const { startServices } = await import('../services/index.ts');
    const services = await startServices({});
    Object.assign(env, {
      KAFKA_BROKERS: services.kafkaBrokers,
      CLICKHOUSE_URL: services.clickhouseUrl,
      KAFKA_TOPIC: `bench_${suffix}`,
      KAFKA_DLQ_TOPIC: `bench_${suffix}_dlq`,
      KAFKA_GROUP_ID: `bench_${suffix}`,
    });
    const service = (name: string) => startChild(TSX, [join(ROOT, 'packages', name, 'src/main.ts')], env);
    const ingester = service('ingester');
    children.push(ingester);
    await waitOk(`http://127.0.0.1:${ingesterPort}/healthz`, ingester);
    const collector = service('collector');
    const api = service('dashboard-api');
    children.push(collector, api);
    apiPid = api.child.pid ?? 0;
    await Promise.all([waitOk(`${collectorUrl}/readyz`, collector), waitOk(`${apiUrl}/healthz`, api)]);
    cleanup = async () => {
      await dropTopics(services.kafkaBrokers, [`bench_${suffix}`, `bench_${suffix}_dlq`]);
      await dropDatabase(services.clickhouseUrl, env.CLICKHOUSE_DATABASE ?? `bench_${suffix}`);
      await services.stop();
    };
  }
  return {
    collectorUrl,
    apiUrl,
    apiPid,
    async stop() {
      await Promise.all(children.map((c) => c.stop()));
      await cleanup();
    },
  };
}
