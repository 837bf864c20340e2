import { Counter, Histogram, type Registry } from 'prom-client';

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

export function createCollectorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'tidemark_collector_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
    }),
    accepted: new Counter({ name: 'tidemark_collector_events_accepted_total', help: 'Events handed to the queue', registers }),
    dropped: new Counter({
      name: 'tidemark_collector_events_dropped_total',
      help: 'Events not stored, by reason',
      labelNames: ['reason'],
      registers,
    }),
    produceSeconds: new Histogram({
      name: 'tidemark_collector_produce_seconds',
      help: 'Time until the queue took an event',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
  };
}
