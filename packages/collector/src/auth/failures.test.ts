import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createTokenAuthorizer, loadConfig, plainLogger, type QueueProducer } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCollector } from '../app.ts';

describe('wrong server-side keys', () => {
  it('are logged once a minute per address, never with the key', async () => {
    let lines = '';
    const sink = new Writable({
      write(chunk, _, done) {
        lines += chunk.toString();
        done();
      },
    });
    const producer: QueueProducer = { send: async () => {}, ready: async () => true, close: async () => {} };
    const collector = createCollector({
      config: loadConfig({ RATE_LIMIT_PER_MINUTE: '100', TRUST_PROXY: 'true' }).collector,
      producer,
      log: plainLogger('info', sink),
      registry: new Registry(),
      keys: createTokenAuthorizer('the-real-token'),
    });
    // Events go to the collector's own server, as in production.
    const server = collector.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/event`;
    const guess = (n: number, ip: string) =>
      fetch(url, {
        method: 'POST',
        body: '{"site":"a.example","name":"pageview","url":"https://a.example/"}',
        headers: { 'Content-Type': 'text/plain', Authorization: `Bearer guessed-key-${n}`, 'X-Forwarded-For': ip },
      });
    for (let n = 0; n < 5; n++) expect((await guess(n, '198.51.100.7')).status).toBe(401);
    expect((await guess(9, '198.51.100.8')).status).toBe(401);
    const failed = lines
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; ip: string });
    expect(failed.filter((l) => l.msg === 'auth_failed').map((l) => l.ip)).toEqual(['198.51.100.7', '198.51.100.8']);
    expect(lines).not.toContain('guessed-key');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await collector.close();
  });
});
