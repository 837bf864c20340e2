/**
 * The client: events wait in a bounded queue (the oldest dropped when it is full) and leave in
 * batches of at most `batchSize` events and 256 KiB (the collector's limits), when a batch is
 * full or `flushIntervalMs` after the first waiting event. One request is under way at a time,
 * so events leave in order. A batch is retried — the same events with the same ids, which the
 * ingester stores once — after network errors, timeouts and 5xx answers, honouring
 * `Retry-After` on 429 and 503, until `maxRetries`. A 4xx answer is never retried: the events it
 * names (`field` "3.props.plan" is the fourth) are reported and dropped, the others resent.
 */
import { retryDelay } from './backoff.js';
import { TidemarkDeliveryError, TidemarkQueueFullError, TidemarkRejectedError } from './errors.js';
import { resolveOptions } from './options.js';
import type { ClientOptions, ClientStats, ServerEvent, TidemarkClient } from './types.js';
import { type WireEvent, wireEvent } from './wire.js';

/** The collector's limit on an array body (SPEC §4). */
const MAX_BODY_BYTES = 256 * 1024;

export const VERSION = '0.1.0';

interface Answer {
  status: number;
  retryAfter: string | null;
  error: string;
  field: string | undefined;
}

export function createClient(options: ClientOptions): TidemarkClient {
  const o = resolveOptions(options);
  const queue: WireEvent[] = [];
  const counts = { sent: 0, rejected: 0, failed: 0, dropped: 0, retries: 0 };
  let batch: WireEvent[] = [];
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let full = false;
  let closed = false;
  /** Aborts the request and waits under way when `shutdown` runs out of time. */
  const stop = new AbortController();

  const report = (error: Error) => {
    try {
      o.onError(error);
    } catch {} // the host's handler must not stop delivery
  };

  const run = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    running ??= drain().finally(() => {
      running = null;
      if (queue.length > 0 && !stop.signal.aborted) schedule();
    });
    return running;
  };

  const schedule = () => {
    if (queue.length >= o.batchSize) void run();
    else if (timer === undefined && running === null) timer = setTimeout(run, o.flushIntervalMs);
  };

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stop.signal.aborted) {
      batch = take(queue, o.batchSize);
      await deliver(batch);
      batch = [];
    }
  }

  /** Sends one batch until it is acknowledged, refused or given up. */
  async function deliver(events: WireEvent[]): Promise<void> {
    let attempt = 0;
    while (events.length > 0) {
      const answer = await post(events);
      if (answer.status === 202) {
        counts.sent += events.length;
        return;
      }
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
        // Refused, never retried: only the event the answer names when it names one, else all.
        const index = Number(/^(\d+)\./.exec(answer.field ?? '')?.[1] ?? -1);
        const refused = index >= 0 && index < events.length && events.length > 1 ? events.splice(index, 1) : events.splice(0);
        counts.rejected += refused.length;
        report(
          new TidemarkRejectedError(
            answer.status,
            answer.error,
            answer.field,
            refused.map((e) => e.event),
          ),
        );
        continue;
      }
      if (attempt >= o.maxRetries || stop.signal.aborted) {
        counts.failed += events.length;
        report(
          new TidemarkDeliveryError(
            `gave up after ${attempt + 1} tries: ${answer.error}`,
            events.map((e) => e.event),
          ),
        );
        return;
      }
      counts.retries++;
      await sleep(retryDelay(attempt++, answer.retryAfter, o.minBackoffMs, o.maxBackoffMs), stop.signal);
    }
  }

  /** One request; a network error or timeout is an answer of status 0. */
  async function post(events: WireEvent[]): Promise<Answer> {
    // Its own time limit, and `shutdown`'s (AbortSignal.any is not in every runtime yet).
    const abort = new AbortController();
    const cancel = () => abort.abort();
    const limit = setTimeout(() => abort.abort(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    stop.signal.addEventListener('abort', cancel);
    try {
      const response = await o.fetch(o.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${o.key}`,
          'User-Agent': `tidemark-node/${VERSION}`,
        },
        body: `[${events.map((e) => e.json).join(',')}]`,
        signal: abort.signal,
      });
      const text = await response.text().catch(() => '');
      let body: { error?: unknown; field?: unknown } = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {}
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        error: typeof body.error === 'string' ? body.error : `HTTP ${response.status}`,
        field: typeof body.field === 'string' ? body.field : undefined,
      };
    } catch (error) {
      const reason = abort.signal.aborted ? abort.signal.reason : error;
      return { status: 0, retryAfter: null, error: reason instanceof Error ? reason.message : String(reason), field: undefined };
    } finally {
      clearTimeout(limit);
      stop.signal.removeEventListener('abort', cancel);
    }
  }

  async function flush(): Promise<void> {
    while (queue.length > 0 || running !== null) {
      if (stop.signal.aborted) return;
      await run();
    }
  }

  return {
    flush,
    track(event: ServerEvent) {
      if (closed) throw new TidemarkDeliveryError('the client is shut down', [event]);
      const wire = wireEvent(event);
      if (queue.length >= o.maxQueueSize) {
        queue.shift();
        counts.dropped++;
        if (!full) report(new TidemarkQueueFullError(`the queue holds ${o.maxQueueSize} events: dropping the oldest`));
        full = true;
      } else full = false;
      queue.push(wire);
      schedule();
    },
    async shutdown(timeoutMs = 10_000) {
      closed = true;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const flushed = flush();
      await Promise.race([flushed, new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timeout);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (queue.length > 0 || running !== null) {
        stop.abort();
        await running;
        const left = [...batch, ...queue.splice(0)];
        if (left.length > 0) {
          counts.failed += left.length;
          report(
            new TidemarkDeliveryError(
              `shutdown after ${timeoutMs} ms: ${left.length} events not sent`,
              left.map((e) => e.event),
            ),
          );
        }
      }
    },
    stats(): ClientStats {
      return { queued: queue.length, inFlight: batch.length, ...counts };
    },
  };
}

/** The oldest events that fit one request: at most `max` and `MAX_BODY_BYTES` (an event alone always goes). */
function take(queue: WireEvent[], max: number): WireEvent[] {
  let bytes = 2;
  let n = 0;
  while (n < queue.length && n < max) {
    bytes += (queue[n] as WireEvent).bytes + 1;
    if (n > 0 && bytes > MAX_BODY_BYTES) break;
    n++;
  }
  return queue.splice(0, n);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
