import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Exclusion } from './sites/rules.ts';

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

/** Why an event was not stored (the `reason` label of `events_dropped_total`). */
export type DropReason =
  | 'bot'
  | 'invalid'
  | 'unauthorized'
  | 'key_unavailable'
  | 'too_large'
  | 'unsupported_type'
  | 'forbidden_site'
  | 'rate_limited'
  | 'queue_unavailable'
  | 'queue_unconfirmed'
  | 'server_busy'
  | Exclusion;

export function createCollectorMetrics(registry: Registry, backlog: () => number = () => 0, buffered: () => number = () => 0) {
  const registers = [registry];
  // Counted in plain numbers and handed to prom-client at scrape time: a labelled `inc` hashes
  // its labels on every call, once per request on the event route (the collector's README).
  const counts = new Map<string, { route: string; status: string; n: number }>();
  new Counter({
    name: 'tidemark_collector_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers,
    collect() {
      for (const c of counts.values()) {
        if (c.n === 0) continue;
        this.labels(c.route, c.status).inc(c.n);
        c.n = 0;
      }
    },
  });
  const dropped = new Counter({
    name: 'tidemark_collector_events_dropped_total',
    help: 'Events not stored, by reason (requests refused before parsing count as one)',
    labelNames: ['reason'],
    registers,
  });
  return {
    request(route: string, status: number) {
      const key = `${status}${route}`;
      const count = counts.get(key);
      if (count) count.n++;
      else counts.set(key, { route, status: String(status), n: 1 });
    },
    dropped(reason: DropReason, events = 1) {
      dropped.labels(reason).inc(events);
    },
    accepted: new Counter({ name: 'tidemark_collector_events_accepted_total', help: 'Events acknowledged by the queue', registers }),
    produceSeconds: new Histogram({
      name: 'tidemark_collector_produce_seconds',
      help: 'Duration of one send to the queue (a group-committed batch), until acknowledged',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchEvents: new Histogram({
      name: 'tidemark_collector_produce_batch_events',
      help: 'Events per send to the queue (group commit of concurrent requests)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers,
    }),
    backlog: new Gauge({
      name: 'tidemark_collector_queue_backlog_events',
      help: 'Events waiting for or in a send',
      registers,
      collect() {
        this.set(backlog());
      },
    }),
    buffered: new Gauge({
      name: 'tidemark_collector_buffered_bytes',
      help: 'Bytes of requests still arriving, held by all connections (capped by COLLECTOR_BUFFER_MB)',
      registers,
      collect() {
        this.set(buffered());
      },
    }),
  };
}
