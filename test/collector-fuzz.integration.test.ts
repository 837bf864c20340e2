/**
 * Fuzz: 1 200 malformed bodies over HTTP against the collector's real listener → every
 * answer a 4xx (never a 5xx, never a 202), nothing produced, the process alive and still
 * accepting a good event afterwards. Then 1 000 malformed HTTP requests on raw sockets
 * (the collector reads plain event POSTs straight from the socket; anything odd goes to
 * Node's parser): never a 2xx or 5xx, nothing produced. Generators are seeded; a failure
 * prints its seed.
 */
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createCollector } from '@tidemark/collector';
import { loadConfig, plainLogger, type QueueProducer, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_UA } from './harness.ts';
import { prng, FUZZ_SEED as SEED } from './random.ts';

const COUNT = 1200;
const HTTP_COUNT = 1000;

const valid = { site: 'example.com', name: 'pageview', url: 'https://example.com/a', referrer: 'https://google.com/' };
const FIELDS = ['site', 'name', 'url', 'referrer', 'eventId', 'pageviewId', 'durationMs', 'screenWidth', 'props'] as const;

function generators(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  // Values each field must refuse (SPEC §4): wrong types, out of range, too long.
  const scalars = [null, true, 0, [], {}, [1], { a: 1 }];
  const wrong: Record<(typeof FIELDS)[number], unknown[]> = {
    site: [...scalars, '', ' ', 'a b', 'x'.repeat(5000), '\u0000', '💥', 'exa_mple..com'],
    name: [...scalars, '', 'x'.repeat(65), '\u0000', '💥', 'a/b'],
    url: [...scalars, '', 'x', '\u0000', '💥', `https://example.com/${'a'.repeat(2100)}`],
    referrer: [true, 0, [], {}, 'x'.repeat(2049)],
    eventId: [...scalars, '', 'x', '💥', '00000000-0000-0000-0000-00000000000g'],
    pageviewId: [...scalars, '', 'x', '💥'],
    durationMs: [null, true, -1, 1.5, 1e308, 86_400_001, [], {}, '', '5'],
    screenWidth: [null, true, -1, 1.5, 1e308, 20_001, [], {}, '', '5'],
    props: [true, 0, [], 'x', { a: {} }, { a: null }, { a: [1] }, { a: 'v'.repeat(257) }],
  };
  return [
    // random bytes, often not UTF-8
    () => bytes(1 + int(600)),
    // invalid UTF-8 inside an otherwise valid event
    () => {
      const text = JSON.stringify({ ...valid, url: 'https://example.com/MARK' });
      const at = text.indexOf('MARK');
      const bad = pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]]);
      return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at + 4))]);
    },
    // truncated JSON
    () => {
      const text = JSON.stringify(random() < 0.5 ? valid : [valid, valid]);
      return text.slice(0, int(text.length));
    },
    // one field of the wrong type or out of range
    () => {
      const field = pick(FIELDS);
      return JSON.stringify({ ...valid, [field]: pick(wrong[field]) });
    },
    // missing required fields
    () => {
      const event: Record<string, unknown> = { ...valid };
      delete event[pick(['site', 'name', 'url'])];
      return JSON.stringify(event);
    },
    // huge strings
    () => JSON.stringify({ ...valid, [pick(['site', 'name', 'url', 'referrer'])]: 'a'.repeat(3000 + int(300_000)) }),
    // deep nesting
    () => {
      const depth = 100 + int(200_000);
      const open = pick(['[', '{"a":']);
      const close = open === '[' ? ']' : '}';
      return open.repeat(depth) + close.repeat(random() < 0.5 ? depth : int(depth));
    },
    () => JSON.stringify({ ...valid, props: JSON.parse(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`) }),
    // huge arrays
    () => JSON.stringify(Array(101 + int(2000)).fill(valid)),
    () => `[${'1,'.repeat(10_000 + int(100_000))}1]`,
    () => JSON.stringify([valid, ...Array(1 + int(20)).fill(pick([null, 1, 'x', [], true]))]),
    // prototype pollution
    () => `{"__proto__":{"polluted":true},${JSON.stringify(valid).slice(1)}`,
    () => JSON.stringify({ ...valid, constructor: { prototype: { polluted: true } } }),
    () => `{${JSON.stringify(valid).slice(1, -1)},"props":{"__proto__":{"polluted":true}}}`,
    () => `[{"__proto__":{"polluted":true},${JSON.stringify(valid).slice(1)}]`,
    // non-JSON text and JSON scalars
    () => pick(['', ' ', 'null', 'true', '0', '"pageview"', 'NaN', 'undefined', '{}', '[]', '[[]]', '[null]', '{"site":}', "{'site':'a'}"]),
    // bad values in a valid shape
    () =>
      JSON.stringify({
        ...valid,
        url: pick(['javascript:alert(1)', 'ftp://x.com', '//example.com', '/path', 'https://', 'data:text/html,x']),
      }),
    () => JSON.stringify({ ...valid, name: pick(['<script>', 'a'.repeat(65), 'drop table;', 'ü']) }),
    () => JSON.stringify({ ...valid, props: Object.fromEntries(Array.from({ length: 31 + int(100) }, (_, i) => [`k${i}`, i])) }),
    () => JSON.stringify({ ...valid, name: 'engagement' }),
  ];
}

describe('collector fuzz', () => {
  let server: Server;
  let url = '';
  const produced: StoredEvent[] = [];

  beforeAll(async () => {
    const producer: QueueProducer = {
      send: async (events) => {
        produced.push(...events);
      },
      ready: async () => true,
      close: async () => {},
    };
    const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).collector;
    const collector = createCollector({ config, producer, log: plainLogger(), registry: new Registry() });
    server = collector.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it(`answers ${COUNT} malformed bodies with 4xx and produces nothing (seed ${SEED})`, async () => {
    const random = prng(SEED);
    const make = generators(random);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        const i = next++;
        const body = (make[i % make.length] as () => string | Buffer)();
        const type = random() < 0.9 ? 'text/plain' : 'application/json';
        let status: number;
        try {
          const res = await fetch(`${url}/api/event`, {
            method: 'POST',
            headers: { 'Content-Type': type, 'User-Agent': DESKTOP_UA },
            body: typeof body === 'string' ? body : new Uint8Array(body),
          });
          status = res.status;
          await res.arrayBuffer();
        } catch (error) {
          status = 0; // the server closed the connection on an oversized body before fetch finished sending
          if (!String((error as Error).cause ?? error).match(/closed|reset|EPIPE|terminated/i)) throw error;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 0 && (status < 400 || status >= 500)) failures.push(`#${i} → ${status}: ${String(body).slice(0, 120)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    expect(failures).toEqual([]);
    expect(produced).toHaveLength(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    // most answers are 400, the oversized ones 413; connection resets are rare
    expect((statuses.get(400) ?? 0) + (statuses.get(413) ?? 0)).toBeGreaterThan(COUNT * 0.95);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const good = await fetch(`${url}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
      body: JSON.stringify(valid),
    });
    expect(good.status).toBe(202);
    expect(produced).toHaveLength(1);
  });

  it(`answers ${HTTP_COUNT} malformed HTTP requests with a 4xx or a closed connection, never a 2xx or 5xx (seed ${SEED})`, async () => {
    const random = prng(SEED + 1);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
    const port = Number(new URL(url).port);
    const before = produced.length;
    // A body no validation accepts: a request that still parses is answered 400, never stored.
    const body = '{"site":1}';
    const base = () =>
      [
        'POST /api/event HTTP/1.1',
        'Host: collector.test',
        'Content-Type: text/plain',
        `User-Agent: ${DESKTOP_UA}`,
        `Content-Length: ${body.length}`,
      ] as string[];
    const junk = ['\r', '\n', '\0', ' ', '\t', ':', '\x7f', '\xff', '\r\n', '\r\n\r\n', '"', '\x1b'];
    const mutations: (() => string)[] = [
      // a byte of junk somewhere in the head
      () => {
        const head = `${base().join('\r\n')}\r\n\r\n`;
        const at = int(head.length - 4);
        return head.slice(0, at) + pick(junk) + head.slice(at) + body;
      },
      // framing that disagrees with itself: two lengths, length and chunked, a short or long length
      () =>
        `${[...base(), pick([`Content-Length: ${body.length + 1}`, 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Content-Length: -1'])].join('\r\n')}\r\n\r\n${body}`,
      () =>
        `${base()
          .map((l) => (l.startsWith('Content-Length') ? `Content-Length: ${pick(['', 'x', '1e3', '0x10', ' 10 0', '99999999999'])}` : l))
          .join('\r\n')}\r\n\r\n${body}`,
      // an odd request line
      () =>
        `${[pick(['POST /api/event HTTP/1.2', 'POST /api/event', 'POST  /api/event HTTP/1.1', 'POST /api/event\tHTTP/1.1', 'POST http://x/api/event HTTP/1.1', 'POST /api/event?\x01 HTTP/1.1', 'GARBAGE']), ...base().slice(1)].join('\r\n')}\r\n\r\n${body}`,
      // a folded, nameless or huge header
      () =>
        `${[...base(), pick([' folded', ': nameless', `X-Huge: ${'a'.repeat(17_000)}`, 'Bad Name: x', 'X-Nul: a\0b'])].join('\r\n')}\r\n\r\n${body}`,
      // random bytes
      () => Array.from({ length: 1 + int(300) }, () => String.fromCharCode(int(256))).join(''),
    ];
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const one = (bytes: string) =>
      new Promise<number>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let answer = '';
        const done = () => {
          clearTimeout(timer);
          socket.destroy();
          resolve(answer.startsWith('HTTP/1.1 ') ? Number(answer.slice(9, 12)) : 0);
        };
        // A request Node is still waiting on (a longer declared body, say): no answer is the answer.
        const timer = setTimeout(done, 300);
        socket.on('data', (d: Buffer) => {
          answer += d.toString('latin1');
          if (answer.includes('\r\n\r\n')) done();
        });
        socket.on('error', done);
        socket.on('close', done);
        socket.end(Buffer.from(bytes, 'latin1'));
      });
    let next = 0;
    const worker = async () => {
      while (next < HTTP_COUNT) {
        const i = next++;
        const bytes = (mutations[i % mutations.length] as () => string)();
        const status = await one(bytes);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 0 && (status < 400 || status >= 500)) failures.push(`#${i} → ${status}: ${JSON.stringify(bytes.slice(0, 200))}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures).toEqual([]);
    expect(produced.length).toBe(before);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(HTTP_COUNT * 0.5);
    const good = await fetch(`${url}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
      body: JSON.stringify(valid),
    });
    expect(good.status).toBe(202);
  });
});
