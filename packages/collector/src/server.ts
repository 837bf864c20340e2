/**
 * The collector's HTTP server. The event route — the one every browser hits — is served
 * two ways over one `EventRoute`: straight from the socket's bytes for requests of the
 * plain shape browsers send (`http/connection.ts`), and from Node's request and response
 * objects for everything else. Every other route goes to the Hono app.
 */
import { createServer, type IncomingMessage, type RequestListener, Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { readNodeBody } from './body/read.ts';
import type { EventRoute } from './event-route.ts';
import { refuseInOrder } from './http/client-errors.ts';
import { FastConnection } from './http/connection.ts';
import { closesConnection, createResponseWriter } from './http/response.ts';
import type { Outcome } from './pipeline.ts';

/**
 * Writes an outcome with its length, so Node keeps an HTTP/1.0 keep-alive connection open
 * (without a length it can only end the body by closing, and a request pipelined behind
 * would be served but never answered).
 */
function send(res: ServerResponse, outcome: Outcome, close: boolean): void {
  // Set, not only written, so the refusals that wait for this answer see it closes (`http/client-errors.ts`).
  if (close) res.setHeader('Connection', 'close');
  res.writeHead(outcome.status, {
    ...outcome.headers,
    'Content-Length': String(outcome.body === null ? 0 : Buffer.byteLength(outcome.body)),
  });
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

  const collect = (route: EventRoute, req: IncomingMessage, res: ServerResponse) => {
    const remoteAddress = req.socket.remoteAddress ?? '';
    // Answered on the head alone: at once (before Node reads on), the body discarded.
    const early = route.check(req.headers, remoteAddress);
    if (early !== null) {
      req.resume();
      send(res, early, closesConnection(early));
      return;
    }
    readNodeBody(req, route.budget)
      .then((body) => route.process(req.headers, remoteAddress, body))
      .then(
        (outcome) => send(res, outcome, closesConnection(outcome)),
        (error: unknown) => {
          route.onFault(error);
          res.destroy();
        },
      );
  };

  return (req, res) => {
    const url = req.url ?? '/';
    for (const route of routes) {
      if (!url.startsWith(route.path) || pathOf(url) !== route.path) continue;
      if (req.method === 'POST') {
        collect(route, req, res);
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

  constructor(route: EventRoute, options: CollectorServerOptions & { keepAliveTimeout: number }) {
    super(nodeOptions(options));
    const nodeConnection = this.listeners('connection')[0] as ((socket: Socket) => void) | undefined;
    if (typeof nodeConnection !== 'function') return; // an unknown Node: every request takes its parser
    this.removeListener('connection', nodeConnection);
    const writer = createResponseWriter(options.keepAliveTimeout);
    const handOver = (socket: Socket, rest: Buffer, ended: boolean) => {
      nodeConnection.call(this, socket);
      if (rest.length > 0) socket.emit('data', rest); // Node's parser reads these bytes first, as they came
      // The FIN came while the fast path held the socket (a paused socket still emits `end` once
      // its buffer is empty): Node's server learns it as if it had read it, and answers then closes.
      if (ended) socket.emit('end');
      else if (socket.isPaused()) socket.resume();
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
 * a client that retries them doubles events), and Node's refusal of a bad request waits for
 * the answers to the requests before it (`http/client-errors.ts`).
 */
export function createCollectorServer(listener: RequestListener, route: EventRoute, options: CollectorServerOptions = {}): Server {
  const all = { ...options, keepAliveTimeout: options.keepAliveTimeout ?? 5_000 };
  const server = options.fastPath === false ? createServer(nodeOptions(all)) : new CollectorServer(route, all);
  server.on('request', refuseInOrder(server, listener));
  (server as HalfOpen).httpAllowHalfOpen = true;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  return server;
}
