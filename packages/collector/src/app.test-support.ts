/**
 * For the collector's tests: a collector on its own server (events take the fast path, as in
 * production) on a free loopback port, closed after each test of the file that uses it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterEach } from 'vitest';
import { type Collector, type CollectorOptions, createCollector } from './app.ts';

const running: { collector: Collector; server: Server }[] = [];
afterEach(async () => {
  for (const { collector, server } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await collector.close();
  }
});

export interface TestCollector {
  collector: Collector;
  registry: Registry;
  /** `http://127.0.0.1:<port>` once the server listens. */
  url: Promise<string>;
}

/** A collector of the given environment (rate limit off unless set) and options, listening. */
export function startTestCollector(
  env: Record<string, string>,
  options: Omit<CollectorOptions, 'config' | 'log' | 'registry'>,
): TestCollector {
  const registry = new Registry();
  const collector = createCollector({
    config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ...env }).collector,
    log: plainLogger('silent'),
    registry,
    ...options,
  });
  const server = collector.createServer();
  running.push({ collector, server });
  const url = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
  return { collector, registry, url };
}
