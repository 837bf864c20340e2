/**
 * The collector's server over real sockets (the queue is faked): the fast path answers as
 * Node's path does, in request order, and hands a connection to Node's parser at its first
 * request of another shape without losing or reordering a byte.
 */
import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { loadConfig, plainLogger, type QueueProducer, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from './app.ts';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const EVENT = JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://example.com/a?utm_source=x' });

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A queue whose sends wait until `release()` when `hold` is set. */
function queue() {
  const sent: StoredEvent[] = [];
  let hold = false;
  const waiting: (() => void)[] = [];
  const producer: QueueProducer = {
    async send(events) {
      if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function start(options: { fastPath?: boolean; keepAliveTimeout?: number; env?: Record<string, string> } = {}) {
  const q = queue();
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ...options.env }).collector;
  const collector = createCollector({ config, producer: q.producer, log: plainLogger(), registry: new Registry() });
  const server = collector.createServer({ fastPath: options.fastPath, keepAliveTimeout: options.keepAliveTimeout });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { ...q, server, port: (server.address() as AddressInfo).port };
}

function request(body: string, headers: Record<string, string> = {}, target = '/api/event', method = 'POST'): string {
  const all: Record<string, string> = { Host: 'collector.test', 'Content-Type': 'text/plain', 'User-Agent': UA, ...headers };
  if (!Object.keys(all).some((h) => h.toLowerCase() === 'transfer-encoding')) all['Content-Length'] ??= String(Buffer.byteLength(body));
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `${method} ${target} HTTP/1.1\r\n${head}\r\n${body}`;
}

/** Reads whole responses off a socket, in order (Content-Length or chunked bodies). */
class Client {
  readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
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

async function exchange(port: number, bytes: string, n = 1): Promise<Answer[]> {
  const client = new Client(port);
  client.send(bytes);
  const answers = await client.answers(n);
  client.socket.destroy();
  return answers;
}

/** What must not differ between the two paths: everything but the date and the framing of an empty body. */
function comparable({ status, headers, body }: Answer) {
  const { date: _date, 'content-length': _length, 'transfer-encoding': _te, ...rest } = headers;
  return { status, headers: rest, body };
}

describe('collector server', () => {
  const cases: [string, string][] = [
    ['an accepted event', request(EVENT)],
    ['a batch', request(`[${EVENT},${EVENT}]`)],
    ['invalid JSON', request('{nope')],
    ['a wrong field, named in the error', request(JSON.stringify({ site: 'example.com', name: 'pageview', url: 'x' }))],
    [
      'a non-ASCII field name in the error',
      request(JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://a.b/', props: { ключ: [] } })),
    ],
    ['an unsupported type', request(EVENT, { 'Content-Type': 'image/png' })],
    ['a bot', request(EVENT, { 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' })],
    [
      'a single event over 8 KiB',
      request(JSON.stringify({ site: 'example.com', name: 'pageview', url: `https://a.b/${'x'.repeat(9000)}` })),
    ],
    ['an empty body', request('')],
    ['a query after the path', request(EVENT, {}, '/api/event?v=1')],
  ];

  it.each(cases)('answers %s exactly as Node’s path does', async (_name, bytes) => {
    const fast = await start();
    const node = await start({ fastPath: false });
    const [a] = await exchange(fast.port, bytes);
    const [b] = await exchange(node.port, bytes);
    expect(comparable(a as Answer)).toEqual(comparable(b as Answer));
    expect(a?.headers['content-length']).toBe(String(Buffer.byteLength(a?.body ?? '')));
    expect(fast.sent.length).toBe(node.sent.length);
  });

  it('keeps a connection alive across requests', async () => {
    const { port, sent } = await start();
    const client = new Client(port);
    for (let i = 0; i < 3; i++) {
      client.send(request(EVENT));
      const [answer] = await client.answers(1);
      expect(answer?.status).toBe(202);
      expect(answer?.headers.connection).toBe('keep-alive');
    }
    expect(sent).toHaveLength(3);
    client.socket.destroy();
  });

  it('answers pipelined requests in order, even when a later one is answered first', async () => {
    const q = await start();
    q.hold(); // the accepted events wait for the queue; the 415 is answered at once
    const client = new Client(q.port);
    client.send(request(EVENT) + request(EVENT, { 'Content-Type': 'image/png' }) + request(`[${EVENT},${EVENT}]`));
    await sleep(50);
    expect(client.ended).toBe(false);
    q.release();
    const answers = await client.answers(3);
    expect(answers.map((a) => a.status)).toEqual([202, 415, 202]);
    expect(q.sent).toHaveLength(3);
    client.socket.destroy();
  });

  it('pauses reading past 64 unanswered pipelined requests and answers all 150 in order', async () => {
    const q = await start();
    q.hold();
    const client = new Client(q.port);
    const bodies = Array.from({ length: 150 }, (_, i) => (i % 10 === 9 ? '{bad' : EVENT));
    // 100 first: past 64 waiting for the held queue, reading pauses; the last 50 wait in the socket
    const requests = (list: string[]) => list.map((body) => request(body)).join('');
    client.send(requests(bodies.slice(0, 100)));
    await sleep(100);
    client.send(requests(bodies.slice(100)));
    await sleep(50);
    q.release();
    const statuses = (await client.answers(150)).map((a) => a.status);
    expect(statuses).toEqual(bodies.map((body) => (body === EVENT ? 202 : 400)));
    expect(q.sent).toHaveLength(135);
    client.socket.destroy();
  });

  it('hands a connection to Node at its first request of another shape, bytes in order', async () => {
    const q = await start();
    q.hold();
    const client = new Client(q.port);
    // fast, then a GET for Hono, then a chunked POST and a plain one (both on Node's path now)
    const chunked = `${request('', { 'Transfer-Encoding': 'chunked' })}${EVENT.length.toString(16)}\r\n${EVENT}\r\n0\r\n\r\n`;
    client.send(request(EVENT) + request('', {}, '/healthz', 'GET').replace('Content-Length: 0\r\n', '') + chunked + request(EVENT));
    await sleep(50);
    q.release();
    const answers = await client.answers(4);
    expect(answers.map((a) => a.status)).toEqual([202, 200, 202, 202]);
    expect(answers[1]?.body).toBe('{"ok":true}');
    // the first answer came from the fast path (a length), the last from Node's (chunked)
    expect(answers[0]?.headers['content-length']).toBe('0');
    expect(answers[3]?.headers['transfer-encoding']).toBe('chunked');
    expect(q.sent).toHaveLength(3);
    client.socket.destroy();
  });

  it('reads a request that arrives a byte at a time', async () => {
    const { port, sent } = await start();
    const client = new Client(port);
    const bytes = Buffer.from(request(EVENT));
    for (const byte of bytes) {
      client.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [answer] = await client.answers(1);
    expect(answer?.status).toBe(202);
    expect(sent).toHaveLength(1);
    client.socket.destroy();
  });

  it('reads a large batch in small chunks, and a request split across two reads behind another', async () => {
    const { port, sent } = await start();
    const client = new Client(port);
    const batch = Buffer.from(request(`[${Array.from({ length: 80 }, () => EVENT).join(',')}]`));
    for (let at = 0; at < batch.length; at += 100) {
      client.send(batch.subarray(at, at + 100));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [first] = await client.answers(1);
    expect(first?.status).toBe(202);
    const two = Buffer.from(request(EVENT) + request(EVENT));
    const cut = two.length - 40;
    client.send(two.subarray(0, cut));
    await sleep(20);
    client.send(two.subarray(cut));
    expect((await client.answers(2)).map((a) => a.status)).toEqual([202, 202]);
    expect(sent).toHaveLength(82);
    client.socket.destroy();
  });

  it('answers the same stream of requests in order however it is cut into reads', async () => {
    const { port, sent } = await start();
    const stream = Buffer.from(
      request(EVENT) +
        request('{bad') +
        request(`[${EVENT},${EVENT}]`, { Connection: 'keep-alive' }) +
        request(EVENT, {}, '/api/event?x=1') +
        request('', {}, '/healthz', 'GET').replace('Content-Length: 0\r\n', '') +
        request(EVENT),
    );
    let seed = 11;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (let run = 0; run < 25; run++) {
      const client = new Client(port);
      for (let at = 0; at < stream.length; ) {
        const size = 1 + Math.floor(random() * (run % 2 ? 40 : 400));
        client.send(stream.subarray(at, at + size));
        at += size;
        if (random() < 0.3) await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await client.answers(6)).map((a) => a.status)).toEqual([202, 400, 202, 202, 200, 202]);
      client.socket.destroy();
    }
    expect(sent).toHaveLength(25 * 5);
  });

  it('drops a connection whose request takes longer than the request timeout to arrive', async () => {
    const { port, server, sent } = await start();
    server.requestTimeout = 200;
    const client = new Client(port);
    const bytes = request(EVENT);
    client.send(bytes.slice(0, 30));
    await sleep(300);
    client.send(bytes.slice(30));
    await client.closed();
    expect(sent).toHaveLength(0);
  });

  it('closes after answering Connection: close, and reads nothing behind it', async () => {
    const { port, sent } = await start();
    const client = new Client(port);
    client.send(request(EVENT, { Connection: 'close' }) + request(EVENT));
    const [answer] = await client.answers(1);
    expect(answer?.headers.connection).toBe('close');
    await client.closed();
    expect(sent).toHaveLength(1);
  });

  it('leaves a declared oversized body and malformed heads to Node: 413 and 400, connection closed', async () => {
    const { port, sent } = await start();
    const [tooLarge] = await exchange(port, request('', { 'Content-Length': '300000' }));
    expect(tooLarge?.status).toBe(413);
    const [bad] = await exchange(port, request(EVENT, { 'X-Bad': 'a\x01b' }));
    expect(bad?.status).toBe(400);
    const [twice] = await exchange(
      port,
      `${request(EVENT, { 'Content-Length': String(EVENT.length) })}`.replace('Host:', `Content-Length: ${EVENT.length + 1}\r\nHost:`),
    );
    expect(twice?.status).toBe(400);
    expect(sent).toHaveLength(0);
  });

  it('answers a client that half-closes after its request', async () => {
    const { port, sent } = await start();
    const client = new Client(port);
    client.socket.end(request(EVENT));
    const [answer] = await client.answers(1);
    expect(answer?.status).toBe(202);
    await client.closed();
    expect(sent).toHaveLength(1);
  });

  it('closes an idle kept-alive connection after the keep-alive timeout', async () => {
    const { port } = await start({ keepAliveTimeout: 200 });
    const client = new Client(port);
    client.send(request(EVENT));
    await client.answers(1);
    await client.closed();
  });

  it('on close: idle connections close at once, a request in flight is answered first', async () => {
    const q = await start();
    const idle = new Client(q.port);
    idle.send(request(EVENT));
    await idle.answers(1);
    q.hold();
    const busy = new Client(q.port);
    busy.send(request(EVENT));
    await sleep(50);
    const closed = new Promise((resolve) => q.server.close(resolve));
    await idle.closed();
    expect(busy.ended).toBe(false);
    q.release();
    const [answer] = await busy.answers(1);
    expect(answer?.status).toBe(202);
    expect(answer?.headers.connection).toBe('close');
    await busy.closed();
    await closed;
    servers.splice(servers.indexOf(q.server), 1);
    expect(q.sent).toHaveLength(2);
  });
});
