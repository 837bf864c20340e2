/**
 * The collector's server over real sockets (the queue is faked): the fast path answers as
 * Node's path does, in request order, and hands a connection to Node's parser at its first
 * request of another shape without losing or reordering a byte.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Answer, Client, EVENT, exchange, forget, request, sleep, start, stopServers } from './server.test-support.ts';

afterEach(stopServers);

/** What must not differ between the two paths: everything but the date. */
function comparable({ status, headers, body }: Answer) {
  const { date: _date, ...rest } = headers;
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
    const onNodePath: string[] = [];
    q.server.on('request', (req) => onNodePath.push(`${req.method} ${req.url}`));
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
    // the first was served from the socket, the other three by Node's parser
    expect(onNodePath).toEqual(['GET /healthz', 'POST /api/event', 'POST /api/event']);
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

  it.each([true, false])(
    'answers 408 and closes when a request takes longer than the request timeout to arrive (fast path %s)',
    async (fastPath) => {
      const { port, sent } = await start({ fastPath, connectionsCheckingInterval: 50, requestTimeout: 200 });
      const client = new Client(port);
      const bytes = request(EVENT);
      client.send(bytes.slice(0, bytes.length - 10)); // the head and most of the body
      const [answer] = await client.answers(1);
      expect(answer?.status).toBe(408);
      await client.closed();
      expect(sent).toHaveLength(0);
    },
  );

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
    forget(q.server);
    expect(q.sent).toHaveLength(2);
  });
});
