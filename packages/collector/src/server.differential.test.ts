/**
 * Differential: the fast path against Node's own parser, on random pipelined streams. Each
 * stream — a random mix of event POSTs, other routes, shapes only Node's parser takes and
 * malformed requests — is cut into random writes and ended by the client's FIN, either after
 * its last byte or in the middle of a request. Both servers, one with the fast path and one
 * without, must give the same answers in the same order and store the same events.
 * `FUZZ_SEED=n` replays a run; a failure names its seed and stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng, FUZZ_SEED as SEED } from '../../../test/random.ts';
import { Client, EVENT, request, sleep, start, stopServers } from './server.test-support.ts';

const STREAMS = 120;

const v10 = (bytes: string, keepAlive: boolean) =>
  bytes.replace('HTTP/1.1', 'HTTP/1.0').replace('\r\n', keepAlive ? '\r\nConnection: keep-alive\r\n' : '\r\n');
const get = (target: string, method = 'GET') => `${method} ${target} HTTP/1.1\r\nHost: collector.test\r\n\r\n`;
const chunked = (body: string) =>
  `${request('', { 'Transfer-Encoding': 'chunked' })}${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;

/** Requests a stream is made of: the fast shape, Node's shapes, and ones Node refuses. */
const REQUESTS: Record<string, string> = {
  event: request(EVENT),
  batch: request(`[${EVENT},${EVENT},${EVENT}]`),
  invalid: request('{bad'),
  'wrong field': request(JSON.stringify({ site: 'example.com', name: 'pageview', url: 'x' })),
  unsupported: request(EVENT, { 'Content-Type': 'image/png' }),
  bot: request(EVENT, { 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' }),
  query: request(EVENT, {}, '/api/event?v=1'),
  'connection close': request(EVENT, { Connection: 'close' }),
  'proxy-connection': request(EVENT, { 'Proxy-Connection': 'keep-alive' }),
  'tab after length': request(EVENT).replace(/Content-Length: (\d+)/, 'Content-Length: $1\t'),
  chunked: chunked(EVENT),
  'HTTP/1.0 keep-alive': v10(request(EVENT), true),
  'HTTP/1.0': v10(request(EVENT), false),
  'declared too large': request('', { 'Content-Length': '300000' }),
  healthz: get('/healthz'),
  script: get('/script.js'),
  'not found': get('/nope'),
  preflight: get('/api/event', 'OPTIONS'),
  'bare LF': request(EVENT).replaceAll('\r\n', '\n'),
  'control character': request(EVENT, { 'X-Bad': 'a\x01b' }),
  junk: '\x16\x03\x01\x00\xc4\x01\x00\x00\xc0\x03\x03',
};
const NAMES = Object.keys(REQUESTS);

interface Seen {
  status: number;
  body: string;
  type: string | undefined;
  retryAfter: string | undefined;
  dropped: string | undefined;
}

/** Sends `stream` cut into random writes, then the FIN at `endAt`; answers until the server closes. */
async function play(port: number, stream: Buffer, endAt: number, cuts: number[]): Promise<Seen[]> {
  const client = new Client(port);
  let at = 0;
  for (const [i, cut] of cuts.entries()) {
    if (cut > endAt) break;
    client.send(stream.subarray(at, cut));
    at = cut;
    if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  client.socket.end(stream.subarray(at, endAt));
  const seen: Seen[] = [];
  for (;;) {
    const answer = await client.answers(1).catch(() => null);
    if (answer === null) break;
    const [{ status, body, headers } = { status: 0, body: '', headers: {} }] = answer;
    seen.push({ status, body, type: headers['content-type'], retryAfter: headers['retry-after'], dropped: headers['x-tidemark-dropped'] });
  }
  return seen;
}

describe(`fast path against Node's parser on random pipelined streams (FUZZ_SEED=${SEED})`, () => {
  let fast: Awaited<ReturnType<typeof start>>;
  let node: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    // The queue answers after a timer: a FIN or a refusal often comes while answers wait.
    fast = await start({ fastPath: true, queueDelayMs: 1 });
    node = await start({ fastPath: false, queueDelayMs: 1 });
  });
  afterAll(stopServers);

  it(`gives the same answers and stores the same events on ${STREAMS} streams`, async () => {
    const random = prng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const kinds = new Set<string>();
    let answered = 0;
    for (let n = 0; n < STREAMS; n++) {
      const names = Array.from({ length: 1 + int(8) }, () => NAMES[int(NAMES.length)] as string);
      const stream = Buffer.from(names.map((name) => REQUESTS[name]).join(''), 'latin1');
      // The FIN after the last byte, or (one in three) somewhere inside the stream.
      const endAt = random() < 0.33 ? 1 + int(stream.length - 1) : stream.length;
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        at += 1 + int(random() < 0.5 ? 40 : 600);
        if (at >= stream.length) break;
        cuts.push(at);
      }
      const storedBefore = [fast.sent.length, node.sent.length];
      const [a, b] = await Promise.all([play(fast.port, stream, endAt, cuts), play(node.port, stream, endAt, cuts)]);
      const label = `stream ${n} (FUZZ_SEED=${SEED}): ${names.join(', ')}; FIN at ${endAt} of ${stream.length}`;
      expect(a, label).toEqual(b);
      // Sends finish before their answers; give a refused stream's last sends a moment.
      await sleep(5);
      expect(fast.sent.length - (storedBefore[0] ?? 0), label).toBe(node.sent.length - (storedBefore[1] ?? 0));
      for (const name of names) kinds.add(name);
      answered += a.length;
    }
    expect(kinds.size).toBe(NAMES.length); // every kind of request was played
    expect(answered).toBeGreaterThan(STREAMS);
  });
});
