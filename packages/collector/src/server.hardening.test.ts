/**
 * Connection handling found wrong by an outside audit (issue 15), on both paths: each test
 * sends the bytes that showed a bug and checks what a client sees — answers, the events
 * stored, and when the connection closes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client, EVENT, request, sleep, start, stopServers, UA } from './server.test-support.ts';

afterEach(stopServers);

const PATHS = [
  ['fast path', true],
  ["Node's path", false],
] as const;

/** The audit's request: a pageview from a desktop browser. */
const P =
  'POST /api/event HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36\r\nContent-Type: text/plain\r\nContent-Length: 62\r\n\r\n{"site":"ok.test","name":"pageview","url":"https://ok.test/p"}';
const GET = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
const CHUNKED = `POST /api/event HTTP/1.1\r\nHost: x\r\nUser-Agent: ${UA}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3e\r\n{"site":"ok.test","name":"pageview","url":"https://ok.test/p"}\r\n0\r\n\r\n`;

/** Polls `condition` every 10 ms until it holds (no fixed sleeps). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(10);
}

describe.each(PATHS)('collector hardening, %s', (_name, fastPath) => {
  it.each([
    ['a GET', GET, [202, 200, 202, 202, 202, 202], 5],
    ['a chunked POST', CHUNKED, [202, 202, 202, 202, 202, 202], 6],
  ] as const)(
    'answers every request of a pipelined stream with %s in it when the client half-closes',
    async (_kind, middle, statuses, stored) => {
      // Queue answers at once and after a timer: the FIN arrives while the first answers are pending.
      for (const queueDelayMs of [undefined, 5]) {
        // A long keep-alive: the connection must close because the client ended, not because it idled.
        const q = await start({ fastPath, queueDelayMs, keepAliveTimeout: 120_000 });
        const client = new Client(q.port);
        client.socket.end(P + middle + P + P + P + P);
        const answers = await client.answers(6);
        expect(answers.map((a) => a.status)).toEqual(statuses);
        await client.closed();
        expect(q.sent).toHaveLength(stored);
      }
    },
  );

  it('answers 408 and closes when a head trickles in for longer than the headers timeout', async () => {
    const { port, sent } = await start({ fastPath, headersTimeout: 300, connectionsCheckingInterval: 50 });
    const client = new Client(port);
    client.send('POST /api/event HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One byte every 20 ms: each resets an idle timer, none completes the head.
    const line = 'X-Slow: 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n';
    for (let i = 0; !client.ended && i < 5_000; i++) {
      client.send(line[i % line.length] as string);
      await sleep(20);
    }
    const [answer] = await client.answers(1);
    expect(answer?.status).toBe(408);
    await client.closed();
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['a bare-LF request', Buffer.from(`POST /api/event HTTP/1.1\nHost: x\nContent-Type: text/plain\nContent-Length: 2\n\n{}`)],
    ['a TLS ClientHello', Buffer.from(`16030100c4010000c00303${'00'.repeat(32)}0000`, 'hex')],
    ['a bare CR inside the head', Buffer.from('POST /api/event HTTP/1.1\r\nHost: x\rX: y\r\n')],
  ])('answers %s with 400 at once and closes (not at the idle timeout)', async (_kind, bytes) => {
    const { port, sent } = await start({ fastPath, keepAliveTimeout: 120_000 });
    const client = new Client(port);
    client.send(bytes);
    const [answer] = await client.answers(1);
    expect(answer?.status).toBe(400);
    await client.closed();
    expect(sent).toHaveLength(0);
  });

  it('holds stalled bodies at their size, within COLLECTOR_BUFFER_MB: past it 503 and close, the rest are served', async () => {
    const q = await start({ fastPath, env: { COLLECTOR_BUFFER_MB: '1' } });
    const body = `[${EVENT}${' '.repeat(262_144 - EVENT.length - 3)}]`.replace(/ $/, ' ');
    expect(Buffer.byteLength(`${body}`)).toBeLessThanOrEqual(262_144);
    const bytes = Buffer.from(request(body));
    const stalled = bytes.length - 144; // the head and all but the last 144 bytes of the body
    const clients: Client[] = [];
    let held = await q.gauge('tidemark_collector_buffered_bytes');
    expect(held).toBe(0);
    for (let i = 0; i < 5; i++) {
      const client = new Client(q.port);
      clients.push(client);
      client.send(bytes.subarray(0, stalled));
      const before = held;
      // Read: the bytes are held, or the request is refused.
      await until(async () => {
        held = await q.gauge('tidemark_collector_buffered_bytes');
        return client.ended || held >= before + 250_000;
      });
      // Never past the budget, and a stalled max-size batch costs its size, not twice it.
      expect(held).toBeLessThanOrEqual(1024 * 1024);
      expect(held).toBeLessThanOrEqual(clients.filter((c) => !c.ended).length * (bytes.length + 64));
    }
    const refused = clients.filter((c) => c.ended);
    const waiting = clients.filter((c) => !c.ended);
    expect(waiting.length).toBeGreaterThanOrEqual(3); // 1 MiB holds three 256 KiB requests
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const client of refused) {
      const [answer] = await client.answers(1);
      expect(answer?.status).toBe(503);
      expect(answer?.headers['retry-after']).toBe('1');
    }
    for (const client of waiting) client.send(bytes.subarray(stalled));
    for (const client of waiting) expect((await client.answers(1))[0]?.status).toBe(202);
    expect(q.sent).toHaveLength(waiting.length);
    await until(async () => (await q.gauge('tidemark_collector_buffered_bytes')) === 0);
  });

  it('refuses connections past COLLECTOR_MAX_CONNECTIONS at once, and takes new ones when some close', async () => {
    const { port } = await start({ fastPath, env: { COLLECTOR_MAX_CONNECTIONS: '2' } });
    const open = [new Client(port), new Client(port)];
    for (const client of open) {
      client.send(request(EVENT));
      expect((await client.answers(1))[0]?.status).toBe(202);
    }
    const third = new Client(port);
    third.send(request(EVENT));
    await expect(third.answers(1)).rejects.toThrow(/closed after 0 of 1/);
    open[0]?.socket.destroy();
    await open[0]?.closed();
    // The server counts the closed connection out once it sees the close: retry until it has.
    for (;;) {
      const client = new Client(port);
      client.send(request(EVENT));
      const answer = await client.answers(1).catch(() => null);
      if (answer) {
        expect(answer[0]?.status).toBe(202);
        break;
      }
      await sleep(10);
    }
  });

  it('closes the connection entirely after answering Connection: close, however the client goes on sending', async () => {
    const { port, sent } = await start({ fastPath });
    const client = new Client(port, { allowHalfOpen: true });
    client.send(request(EVENT, { Connection: 'close' }));
    const [answer] = await client.answers(1);
    expect(answer?.headers.connection).toBe('close');
    for (let i = 0; !client.ended && i < 500; i++) {
      client.send(request(EVENT));
      await sleep(10);
    }
    expect(client.ended).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it('answers every pipelined HTTP/1.0 keep-alive request, each with its length', async () => {
    const { port, sent } = await start({ fastPath });
    const client = new Client(port);
    const v10 = (bytes: string) => bytes.replace('HTTP/1.1', 'HTTP/1.0').replace('\r\n', '\r\nConnection: keep-alive\r\n');
    client.send(v10(request(EVENT)) + v10(request(`[${EVENT},${EVENT}]`)) + v10(request('{bad')));
    const answers = await client.answers(3);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 400]);
    for (const answer of answers) expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(answers[0]?.headers.connection).toBe('keep-alive');
    expect(sent).toHaveLength(3);
    client.socket.destroy();
  });
});
