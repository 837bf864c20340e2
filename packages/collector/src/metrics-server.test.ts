/**
 * `/metrics` is served on its own port, and nowhere on the public one, whichever path the
 * public port serves a request by.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, exchange, request as raw, start, stopServers } from './server.test-support.ts';

afterEach(stopServers);

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string; allow?: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body, allow: res.headers.allow }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('collector metrics', () => {
  it.each([true, false])('are not on the public port (fast path %s), and are on the metrics port', async (fastPath) => {
    const q = await start({ fastPath });
    const [accepted] = await exchange(q.port, raw(EVENT));
    expect(accepted?.status).toBe(202);
    const [publicMetrics] = await exchange(q.port, 'GET /metrics HTTP/1.1\r\nHost: collector.test\r\n\r\n');
    expect(publicMetrics?.status).toBe(404);
    expect(publicMetrics?.body).not.toContain('tidemark_');

    const metrics = q.collector.createMetricsServer();
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    try {
      const port = (metrics.address() as AddressInfo).port;
      const scrape = await get(port, '/metrics');
      expect(scrape.status).toBe(200);
      expect(scrape.type).toContain('text/plain');
      expect(scrape.body).toMatch(/^tidemark_collector_requests_total\{route="\/api\/event",status="202"\} 1$/m);
      expect(scrape.body).toMatch(/^tidemark_collector_events_accepted_total 1$/m);
      expect((await get(port, '/other')).status).toBe(404);
      const post = await get(port, '/metrics', 'POST');
      expect(post.status).toBe(405);
      expect(post.allow).toBe('GET, HEAD');
    } finally {
      await new Promise((resolve) => metrics.close(resolve));
    }
  });
});
