/**
 * A fuzzer nobody here wrote against the Events API: schemathesis (PyPI) reads the collector's
 * `/openapi.json` and sends generated requests — schema-valid bodies in both forms (one event
 * and arrays, with the server-side fields, as a key holder may send them), invalid ones, other
 * methods — with every check it has (`--checks all`): no 5xx, only documented statuses, headers
 * and content types, valid bodies accepted (or refused only for the rules the document states in
 * words: test/collector_schemathesis_hooks.py), invalid ones refused, 405 with `Allow` for other
 * methods. The real collector over a queue held in memory (what it produced is checked here).
 * schemathesis must be on PATH (`scripts/prerequisites.sh` installs it).
 */
import type { AddressInfo, Server } from 'node:net';
import { createCollector } from '@tidemark/collector';
import { loadConfig, plainLogger, type QueueProducer, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSchemathesis } from './schemathesis.ts';

const TOKEN = 'collector-schemathesis-token';

describe('schemathesis against the Events API (--checks all)', () => {
  let server: Server;
  let url = '';
  const produced: StoredEvent[] = [];

  beforeAll(async () => {
    const producer: QueueProducer = {
      send: async (events) => {
        produced.push(...events);
      },
      ready: async () => true,
      close: async () => {},
    };
    // The fuzzer sends hundreds of requests a minute from one address with one key.
    const config = loadConfig({ API_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_PER_KEY_PER_MINUTE: '0' }).collector;
    const collector = createCollector({ config, producer, log: plainLogger('silent'), registry: new Registry() });
    server = collector.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('serves the document, and schemathesis finds no failure in any operation', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain('/api/event');

    const { output, selected } = await runSchemathesis({
      documentUrl: `${url}/openapi.json`,
      token: TOKEN,
      configFile: 'collector-schemathesis.toml',
      hooksFile: 'collector_schemathesis_hooks.py',
      maxExamples: 40,
      timeoutMs: 300_000,
    });
    expect(selected).toBe(3);
    expect(output).toMatch(/No issues found/);
    // Valid bodies were taken, in both shapes, server-side fields included.
    expect(produced.length).toBeGreaterThan(0);
  }, 330_000);
});
