/**
 * The collector's HTTP server. The event route — the one every browser hits — is served
 * two ways over one `EventRoute`: straight from the socket's bytes for requests of the
 * plain shape browsers send (`http/connection.ts`), and from Node's request and response
 * objects for everything else. Every other route goes to the Hono app.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { type BodyResult, readNodeBody } from './body/read.ts';
import { clientIp } from './client-ip.ts';
import { FastConnection } from './http/connection.ts';
import { closesConnection, createResponseWriter } from './http/response.ts';
import type { CollectorMetrics } from './metrics.ts';
import { type EventApi, type EventPipeline, type Outcome, PREFLIGHT } from './pipeline.ts';

export interface RouteOptions {
  pipeline: EventPipeline;
  eventsPath: string;
  /** Which API the path serves: the Events API (default) or Umami's `/api/send`. */
  api?: EventApi;
  /** The answer to `OPTIONS` (default: the Events API's preflight). */
  preflight?: Outcome;
  trustProxy: boolean;
  metrics: CollectorMetrics;
  onFault: (error: unknown) => void;
}

export interface EventRoute {
  path: string;
  preflight: Outcome;
  /**
   * The answer to one POST of the events path: precheck, then the body (read only if the
   * precheck passed; `skip` discards it otherwise), then the pipeline. Counted in the
   * metrics. Never rejects: a fault is reported and answered 500.
   */
  answer(
    headers: IncomingHttpHeaders,
    remoteAddress: string,
    body: BodyResult | (() => Promise<BodyResult>),
    skip?: () => void,
  ): Promise<Outcome>;
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
  onFault,
}: RouteOptions): EventRoute {
  return {
    path: eventsPath,
    preflight,
    onFault,
    metrics,
    async answer(headers, remoteAddress, body, skip) {
      let outcome: Outcome;
      try {
        const ip = clientIp(headers, remoteAddress, trustProxy);
        const early = pipeline.precheck(headers, ip);
        if (early === null) outcome = await pipeline.process(typeof body === 'function' ? await body() : body, headers, ip, api);
        else {
          skip?.();
          outcome = early;
        }
      } catch (error) {
        onFault(error);
        outcome = FAULT;
      }
      metrics.request(eventsPath, outcome.status);
      return outcome;
    },
  };
}

function send(res: ServerResponse, outcome: Outcome, close: boolean): void {
  res.writeHead(outcome.status, close ? { ...outcome.headers, Connection: 'close' } : outcome.headers);
  res.end(outcome.body ?? undefined);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * The `node:http` listener: the event routes (the Events API, and Umami's `/api/send` in `more`)
 * from Node's request objects, the rest through Hono.
 */
export function createRequestListener(app: Hono, events: EventRoute, more: readonly EventRoute[] = []): RequestListener {
  const hono = getRequestListener(app.fetch);
  const routes = [events, ...more];

  const collect = async (route: EventRoute, req: IncomingMessage, res: ServerResponse) => {
    const outcome = await route.answer(
      req.headers,
      req.socket.remoteAddress ?? '',
      () => readNodeBody(req),
      () => req.resume(), // answered before reading: discard the body
    );
    send(res, outcome, closesConnection(outcome));
  };

  return (req, res) => {
    const url = req.url ?? '/';
    for (const route of routes) {
      if (!url.startsWith(route.path) || pathOf(url) !== route.path) continue;
      if (req.method === 'POST') {
        collect(route, req, res).catch((error: unknown) => {
          route.onFault(error);
          res.destroy();
        });
        return;
      }
      if (req.method === 'OPTIONS') {
        route.metrics.request(route.path, route.preflight.status);
        send(res, route.preflight, false);
        return;
      }
    }
    void hono(req, res);
  };
}

export interface CollectorServerOptions {
  /** Idle time a kept-alive connection stays open (Node's default: 5 s). */
  keepAliveTimeout?: number;
  /**
   * Serve plain event POSTs straight from the socket (default). Off, every request goes
   * through Node's `http` parser; the answers are the same.
   */
  fastPath?: boolean;
}

/** Node's `requestTimeout` default: the longest a request may take to arrive. */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * An `http.Server` whose connections start on the fast path. A connection moves to Node's
 * parser (the server's own `connection` handling) at its first request of another shape,
 * and stays there. Closing idle connections (also part of `close()`) closes idle fast-path
 * connections too and lets busy ones finish their answers.
 */
class CollectorServer extends Server {
  private readonly fast = new Set<FastConnection>();
  private closing = false;

  constructor(listener: RequestListener, route: EventRoute, keepAliveTimeout: number) {
    super({ keepAliveTimeout }, listener);
    const nodeConnection = this.listeners('connection')[0] as ((socket: Socket) => void) | undefined;
    if (typeof nodeConnection !== 'function') return; // an unknown Node: every request takes its parser
    this.removeListener('connection', nodeConnection);
    const writer = createResponseWriter(keepAliveTimeout);
    const handOver = (socket: Socket, rest: Buffer) => {
      nodeConnection.call(this, socket);
      if (rest.length > 0) socket.emit('data', rest); // Node's parser reads these bytes first, as they came
      if (socket.isPaused()) socket.resume();
    };
    this.on('connection', (socket: Socket) => {
      if (this.closing) {
        nodeConnection.call(this, socket); // Node answers it with `Connection: close`
        return;
      }
      const connection = new FastConnection(socket, {
        route,
        writer,
        handOver,
        keepAliveTimeoutMs: this.keepAliveTimeout,
        requestTimeoutMs: this.requestTimeout || REQUEST_TIMEOUT_MS,
        onFault: route.onFault,
        onDone: (c) => this.fast.delete(c),
      });
      this.fast.add(connection);
    });
    this.on('close', () => {
      this.closing = false;
    });
  }

  override closeIdleConnections(): void {
    this.closing = true;
    for (const connection of this.fast) connection.closeWhenIdle();
    super.closeIdleConnections();
  }

  override closeAllConnections(): void {
    for (const connection of this.fast) connection.destroy();
    super.closeAllConnections();
  }
}

export function createCollectorServer(listener: RequestListener, route: EventRoute, options: CollectorServerOptions = {}): Server {
  const keepAliveTimeout = options.keepAliveTimeout ?? 5_000;
  if (options.fastPath === false) return createServer({ keepAliveTimeout }, listener);
  return new CollectorServer(listener, route, keepAliveTimeout);
}
