/**
 * The event route over either path: the checks a request's head decides (rate limit,
 * content type, declared size), then the pipeline once the body is read. Both the fast path
 * and Node's path answer through it, so both count, refuse and accept alike.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { clientIp } from '@tidemark/shared';
import type { ByteBudget } from './body/budget.ts';
import type { BodyResult } from './body/read.ts';
import type { CollectorMetrics } from './metrics.ts';
import { type EventApi, type EventPipeline, type Outcome, PREFLIGHT, SERVER_BUSY } from './pipeline.ts';

export interface RouteOptions {
  pipeline: EventPipeline;
  eventsPath: string;
  /** Which API the path serves: the Events API (default) or Umami's `/api/send`. */
  api?: EventApi;
  /** The answer to `OPTIONS` (default: the Events API's preflight). */
  preflight?: Outcome;
  trustProxy: boolean;
  metrics: CollectorMetrics;
  /** Bytes of event requests still arriving, on both paths (`COLLECTOR_BUFFER_MB`). */
  budget: ByteBudget;
  onFault: (error: unknown) => void;
}

export interface EventRoute {
  path: string;
  /** The answer to `OPTIONS`. */
  preflight: Outcome;
  /**
   * What the head alone decides: an outcome to answer now (its body is not read), or null to
   * read the body and `process` it. Counted in the metrics; a fault is reported and answered 500.
   */
  check(headers: IncomingHttpHeaders, remoteAddress: string): Outcome | null;
  /** The answer to a request that passed `check`, once its body was read. Never rejects: a fault is answered 500. */
  process(headers: IncomingHttpHeaders, remoteAddress: string, body: BodyResult): Promise<Outcome>;
  /** `check`, then `process`: the answer to a request read whole. */
  answer(headers: IncomingHttpHeaders, remoteAddress: string, body: BodyResult): Promise<Outcome>;
  /** Counts an answer given without the pipeline: a request that timed out (408) or found the budget spent (503). */
  refused(outcome: Outcome): void;
  budget: ByteBudget;
  onFault: (error: unknown) => void;
  metrics: CollectorMetrics;
}

export const FAULT: Outcome = { status: 500, headers: { 'Content-Type': 'application/json' }, body: '{"error":"internal error"}' };

export function createEventRoute({
  pipeline,
  eventsPath,
  api = 'events',
  preflight = PREFLIGHT,
  trustProxy,
  metrics,
  budget,
  onFault,
}: RouteOptions): EventRoute {
  const counted = (outcome: Outcome): Outcome => {
    metrics.request(eventsPath, outcome.status);
    return outcome;
  };
  const fault = (error: unknown): Outcome => {
    onFault(error);
    return FAULT;
  };
  const check = (headers: IncomingHttpHeaders, remoteAddress: string): Outcome | null => {
    try {
      const early = pipeline.precheck(headers, clientIp(headers, remoteAddress, trustProxy));
      return early === null ? null : counted(early);
    } catch (error) {
      return counted(fault(error));
    }
  };
  const process = async (headers: IncomingHttpHeaders, remoteAddress: string, body: BodyResult): Promise<Outcome> => {
    try {
      return counted(await pipeline.process(body, headers, clientIp(headers, remoteAddress, trustProxy), api));
    } catch (error) {
      return counted(fault(error));
    }
  };
  return {
    path: eventsPath,
    preflight,
    onFault,
    metrics,
    budget,
    check,
    process,
    answer(headers, remoteAddress, body) {
      const early = check(headers, remoteAddress);
      return early === null ? process(headers, remoteAddress, body) : Promise.resolve(early);
    },
    refused(outcome) {
      if (outcome === SERVER_BUSY) metrics.dropped('server_busy');
      metrics.request(eventsPath, outcome.status);
    },
  };
}
