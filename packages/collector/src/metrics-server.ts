/**
 * `/metrics` on its own port (`COLLECTOR_METRICS_HOST`:`COLLECTOR_METRICS_PORT`, loopback by
 * default), never on the public one: Prometheus scrapes it from inside the network, and in the
 * one-process mode the registry also holds the ingester's and the API's metrics.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export function createMetricsServer(registry: Registry): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found: metrics are at /metrics"}');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' }).end('{"error":"method not allowed"}');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":"metrics could not be collected"}'),
    );
  });
}
