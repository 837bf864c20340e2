/**
 * The collector's HTTP server. The event route — the one every browser hits — is served
 * two ways over one `EventRoute`: straight from the socket's bytes for requests of the
 * plain shape browsers send (`http/connection.ts`), and from Node's request and response
 * objects for everything else. Every other route goes to the Hono app.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ByteBudget } from './body/budget.ts';
import { type BodyResult, readNodeBody } from './body/read.ts';
import { clientIp } from './client-ip.ts';
import { FastConnection } from './http/connection.ts';
import { closesConnection, createResponseWriter } from './http/response.ts';
import type { CollectorMetrics } from './metrics.ts';
import { type EventPipeline, type Outcome, PREFLIGHT, SERVER_BUSY } from './pipeline.ts';

export interface RouteOptions {
  pipeline: EventPipeline;
  eventsPath: string;
  trustProxy: boolean;
  metrics: CollectorMetrics;
  /** Bytes of event requests still arriving, on both paths (`COLLECTOR_BUFFER_MB`). */
  budget: ByteBudget;
  onFault: (error: unknown) => void;
}

export interface EventRoute {
  path: string;
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
  /** Counts an answer given without the pipeline: a request that timed out (408) or found the budget spent (503). */
  refused(outcome: Outcome): void;
  budget: ByteBudget;
  onFault: (error: unknown) => void;
  metrics: CollectorMetrics;
}

export const FAULT: Outcome = { status: 500, headers: { 'Content-Type': 'application/json' }, body: '{"error":"internal error"}' };

export function createEventRoute({ pipeline, eventsPath, trustProxy, metrics, budget, onFault }: RouteOptions): EventRoute {
  return {
    path: eventsPath,
    onFault,
    metrics,
    budget,
    refused(outcome) {
      if (outcome === SERVER_BUSY) metrics.dropped('server_busy');
      metrics.request(eventsPath, outcome.status);
    },
    async answer(headers, remoteAddress, body, skip) {
      let outcome: Outcome;
      try {
        const ip = clientIp(headers, remoteAddress, trustProxy);
        const early = pipeline.precheck(headers, ip);
        if (early === null) outcome = await pipeline.process(typeof body === 'function' ? await body() : body, headers, ip);
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

/**
 * Writes an outcome with its length, so Node keeps an HTTP/1.0 keep-alive connection open
 * (without a length it can only end the body by closing, and a request pipelined behind
 * would be served but never answered).
 */
function send(res: ServerResponse, outcome: Outcome, close: boolean): void {
  const length = String(outcome.body === null ? 0 : Buffer.byteLength(outcome.body));
  res.writeHead(
    outcome.status,
    close ? { ...outcome.headers, 'Content-Length': length, Connection: 'close' } : { ...outcome.headers, 'Content-Length': length },
  );
  res.end(outcome.body ?? undefined);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The `node:http` listener: the event route from Node's request objects, the rest through Hono. */
export function createRequestListener(app: Hono, route: EventRoute): RequestListener {
  const hono = getRequestListener(app.fetch);
  const { path, metrics, budget } = route;

  const collect = async (req: IncomingMessage, res: ServerResponse) => {
    const outcome = await route.answer(
      req.headers,
      req.socket.remoteAddress ?? '',
      () => readNodeBody(req, budget),
      () => req.resume(), // answered before reading: discard the body
    );
    send(res, outcome, closesConnection(outcome));
  };

  return (req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith(path) && pathOf(url) === path) {
      if (req.method === 'POST') {
        collect(req, res).catch((error: unknown) => {
          route.onFault(error);
          res.destroy();
        });
        return;
      }
      if (req.method === 'OPTIONS') {
        metrics.request(path, 204);
        send(res, PREFLIGHT, false);
        return;
      }
    }
    void hono(req, res);
  };
}

export interface CollectorServerOptions {
  /** Idle time a kept-alive connection stays open (Node's default: 5 s). */
  keepAliveTimeout?: number;
  /** Longest time a request's head may take to arrive, on both paths (Node's default: 60 s); then 408. */
  headersTimeout?: number;
  /** Longest time a whole request may take to arrive, on both paths (Node's default: 300 s); then 408. */
  requestTimeout?: number;
  /** How often both timeouts are checked (Node's option and default: 30 s). */
  connectionsCheckingInterval?: number;
  /** Connections open at once; more are refused at once (Node's `maxConnections`; `COLLECTOR_MAX_CONNECTIONS`). */
  maxConnections?: number;
  /**
   * Serve plain event POSTs straight from the socket (default; `COLLECTOR_FAST_PATH`). Off,
   * every request goes through Node's `http` parser; the answers are the same.
   */
  fastPath?: boolean;
}

/**
 * An `http.Server` whose connections start on the fast path. A connection moves to Node's
 * parser (the server's own `connection` handling) at its first request of another shape,
 * and stays there. Closing idle connections (also part of `close()`) closes idle fast-path
 * connections too and lets busy ones finish their answers. The fast connections' head and
 * request timeouts are checked with Node's own, at the same interval.
 */
class CollectorServer extends Server {
  private readonly fast = new Set<FastConnection>();
  private closing = false;
  private sweep: NodeJS.Timeout | null = null;

  constructor(listener: RequestListener, route: EventRoute, options: CollectorServerOptions & { keepAliveTimeout: number }) {
    super(nodeOptions(options), listener);
    const nodeConnection = this.listeners('connection')[0] as ((socket: Socket) => void) | undefined;
    if (typeof nodeConnection !== 'function') return; // an unknown Node: every request takes its parser
    this.removeListener('connection', nodeConnection);
    const writer = createResponseWriter(options.keepAliveTimeout);
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
        budget: route.budget,
        onFault: route.onFault,
        onDone: (c) => this.fast.delete(c),
      });
      this.fast.add(connection);
    });
    const interval = options.connectionsCheckingInterval ?? NODE_CHECKING_INTERVAL_MS;
    this.on('listening', () => {
      this.sweep ??= setInterval(() => this.checkTimeouts(), interval).unref();
    });
    this.on('close', () => {
      this.closing = false;
      if (this.sweep) clearInterval(this.sweep);
      this.sweep = null;
    });
  }

  private checkTimeouts(): void {
    const now = Date.now();
    for (const connection of this.fast) connection.checkTimeouts(now, this.headersTimeout, this.requestTimeout);
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

/** Node's `connectionsCheckingInterval` default. */
const NODE_CHECKING_INTERVAL_MS = 30_000;

function nodeOptions(options: CollectorServerOptions & { keepAliveTimeout: number }): ServerOptions {
  const { keepAliveTimeout, headersTimeout, requestTimeout, connectionsCheckingInterval } = options;
  return {
    keepAliveTimeout,
    ...(headersTimeout === undefined ? {} : { headersTimeout }),
    ...(requestTimeout === undefined ? {} : { requestTimeout }),
    ...(connectionsCheckingInterval === undefined ? {} : { connectionsCheckingInterval }),
  };
}

/**
 * Node's switch (a property of `http.Server` since its first releases, not in its typings):
 * at the client's FIN, mark the last answer as the connection's last instead of ending the
 * connection at once.
 */
type HalfOpen = Server & { httpAllowHalfOpen: boolean };

/**
 * The collector's HTTP server, with or without the fast path. Either way a client that
 * half-closes its side still gets every answer (`httpAllowHalfOpen`: Node's default ends the
 * connection at the client's FIN, losing the answers to requests it already read and served —
 * a client that retries them doubles events).
 */
export function createCollectorServer(listener: RequestListener, route: EventRoute, options: CollectorServerOptions = {}): Server {
  const all = { ...options, keepAliveTimeout: options.keepAliveTimeout ?? 5_000 };
  const server = options.fastPath === false ? createServer(nodeOptions(all), listener) : new CollectorServer(listener, route, all);
  (server as HalfOpen).httpAllowHalfOpen = true;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  return server;
}
