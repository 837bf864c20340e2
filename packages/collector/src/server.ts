/**
 * The collector's `node:http` request listener. The event route — the one every browser
 * hits — is served straight from Node's request and response objects (no Request/Response
 * objects, no router); every other route goes to the Hono app. Both run the same pipeline.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { readNodeBody } from './body/read.ts';
import { clientIp } from './client-ip.ts';
import type { CollectorMetrics } from './metrics.ts';
import { type EventPipeline, type Outcome, PREFLIGHT } from './pipeline.ts';

export interface ListenerOptions {
  app: Hono;
  pipeline: EventPipeline;
  eventsPath: string;
  trustProxy: boolean;
  metrics: CollectorMetrics;
  onFault: (error: unknown) => void;
}

const FAULT: Outcome = { status: 500, headers: { 'Content-Type': 'application/json' }, body: '{"error":"internal error"}' };

function send(res: ServerResponse, outcome: Outcome, close: boolean): void {
  res.writeHead(outcome.status, close ? { ...outcome.headers, Connection: 'close' } : outcome.headers);
  res.end(outcome.body ?? undefined);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function createRequestListener({ app, pipeline, eventsPath, trustProxy, metrics, onFault }: ListenerOptions): RequestListener {
  const hono = getRequestListener(app.fetch);

  const collect = async (req: IncomingMessage, res: ServerResponse) => {
    const ip = clientIp(req.headers, req.socket.remoteAddress ?? '', trustProxy);
    let outcome = pipeline.precheck(req.headers, ip);
    if (outcome === null) outcome = await pipeline.process(await readNodeBody(req), req.headers, ip);
    else req.resume(); // answered before reading: discard the body
    metrics.request(eventsPath, outcome.status);
    // The rest of an oversized body is not worth reading: close the connection after the answer.
    send(res, outcome, outcome.status === 413);
  };

  return (req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith(eventsPath) && pathOf(url) === eventsPath) {
      if (req.method === 'POST') {
        collect(req, res).catch((error: unknown) => {
          onFault(error);
          metrics.request(eventsPath, 500);
          if (!res.headersSent) send(res, FAULT, true);
          else res.destroy();
        });
        return;
      }
      if (req.method === 'OPTIONS') {
        metrics.request(eventsPath, 204);
        send(res, PREFLIGHT, false);
        return;
      }
    }
    void hono(req, res);
  };
}
