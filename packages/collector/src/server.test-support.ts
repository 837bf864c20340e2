/**
 * Test support for the collector's server over real sockets: a collector on a free port with
 * a fake queue, raw requests, and a client that reads whole answers off a socket in order.
 */
import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { loadConfig, plainLogger, type QueueProducer, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { createCollector } from './app.ts';
import type { CollectorServerOptions } from './server.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
export const EVENT = JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://example.com/a?utm_source=x' });

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A queue whose sends wait until `release()` when `hold` is set, and take `delayMs` (a timer) when given. */
export function queue(delayMs?: number) {
  const sent: StoredEvent[] = [];
  let hold = false;
  const waiting: (() => void)[] = [];
  const producer: QueueProducer = {
    async send(events) {
      if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
      if (delayMs !== undefined) await sleep(delayMs);
      sent.push(...events);
    },
    ready: async () => true,
    close: async () => {},
  };
  return {
    producer,
    sent,
    hold: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

const servers: Server[] = [];

/** Closes every server `start` made (the tests' `afterEach`). */
export async function stopServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Forgets a server a test closed itself. */
export function forget(server: Server): void {
  servers.splice(servers.indexOf(server), 1);
}

export interface StartOptions extends CollectorServerOptions {
  env?: Record<string, string>;
  /** The queue answers after a timer of this many ms (not at once). */
  queueDelayMs?: number;
}

export async function start({ env, queueDelayMs, ...serverOptions }: StartOptions = {}) {
  const q = queue(queueDelayMs);
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ...env }).collector;
  const registry = new Registry();
  const collector = createCollector({ config, producer: q.producer, log: plainLogger(), registry });
  const server = collector.createServer(serverOptions);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  /** A gauge's value now (collected as a scrape would). */
  const gauge = async (name: string) => ((await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? Number.NaN) as number;
  return { ...q, server, registry, collector, gauge, port: (server.address() as AddressInfo).port };
}

export function request(body: string, headers: Record<string, string> = {}, target = '/api/event', method = 'POST'): string {
  const all: Record<string, string> = { Host: 'collector.test', 'Content-Type': 'text/plain', 'User-Agent': UA, ...headers };
  if (!Object.keys(all).some((h) => h.toLowerCase() === 'transfer-encoding')) all['Content-Length'] ??= String(Buffer.byteLength(body));
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `${method} ${target} HTTP/1.1\r\n${head}\r\n${body}`;
}

/** Reads whole responses off a socket, in order (Content-Length or chunked bodies). */
export class Client {
  readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  /** `allowHalfOpen`: the client's side stays open after the server's FIN (to see whether the server closes entirely). */
  constructor(port: number, { allowHalfOpen = false } = {}) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  }

  private take(): Answer | null {
    const text = this.buffer.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    let at = end + 4;
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd < 0) return null;
        const size = Number.parseInt(text.slice(at, lineEnd), 16);
        if (text.length < lineEnd + 2 + size + 2) return null;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (text.length < at + length) return null;
      body = text.slice(at, at + length);
      at += length;
    }
    this.buffer = this.buffer.subarray(at);
    return { status: Number(statusLine?.split(' ')[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') };
  }

  /** The next `n` answers, in the order they came. */
  async answers(n: number): Promise<Answer[]> {
    const out: Answer[] = [];
    while (out.length < n) {
      const answer = this.take();
      if (answer) {
        out.push(answer);
        continue;
      }
      if (this.ended) throw new Error(`connection closed after ${out.length} of ${n} answers`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return out;
  }

  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

export async function exchange(port: number, bytes: string, n = 1): Promise<Answer[]> {
  const client = new Client(port);
  client.send(bytes);
  const answers = await client.answers(n);
  client.socket.destroy();
  return answers;
}
