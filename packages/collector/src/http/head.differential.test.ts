/**
 * Differential: the fast path's head parser against Node's own (llhttp, through a plain
 * `node:http` server), on request heads mutated at random — bytes inserted, replaced or
 * removed, header lines added, dropped or repeated, framing headers with odd blanks. Each is
 * sent with a body and a plain request behind it. Wherever the fast parser takes a request,
 * Node must read the same request: the same headers, the same body, the same keep-alive
 * decision, and the next request where the fast parser says it starts. Where Node reads no
 * request, the fast parser must not take one (it may wait for more bytes, or hand over).
 * `FUZZ_SEED=n` replays a run.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng, FUZZ_SEED as SEED } from '../../../../test/random.ts';
import { FALLBACK, NEED_MORE, parseHead } from './head.ts';
import { type NodeOracle, startNodeOracle } from './node-oracle.ts';

const CASES = 3_000;
const PATH = '/api/event';
const BODY = '{"site":"ok.test","name":"pageview","url":"https://ok.test/p"}';
const BASE = [
  'POST /api/event HTTP/1.1',
  'Host: x',
  'User-Agent: Mozilla/5.0 (X11)',
  'Content-Type: text/plain',
  `Content-Length: ${BODY.length}`,
];
const PLAIN = `${BASE.join('\r\n')}\r\n\r\n${BODY}`;
const BYTES = [
  '\t',
  ' ',
  '\r',
  '\n',
  ':',
  ',',
  '\0',
  '\x7f',
  '\x80',
  '\xff',
  'a',
  '0',
  '"',
  ';',
  '=',
  '\x0b',
  '\x0c',
  '\r\n',
  '\n\n',
  'A',
  '-',
  '/',
  '?',
  '%',
];
const LINES = [
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: identity',
  'Content-Length: 5',
  `Content-Length: ${BODY.length}`,
  'Connection: close',
  'Connection: keep-alive',
  'Connection: Upgrade',
  'Connection: close, keep-alive',
  'Proxy-Connection: close',
  'Proxy-Connection: keep-alive',
  'Expect: 100-continue',
  'Upgrade: h2c',
  'Keep-Alive: timeout=5',
  'TE: trailers',
  'Trailer: x',
  'Host: y',
  'X-A: b',
  ' folded',
  '\tfolded',
  'X: a\tb',
  'X:\t',
  '__proto__: x',
];

function mutator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return (): string => {
    const lines = [...BASE];
    if (random() < 0.3)
      lines[4] = `Content-Length:${pick(['', ' ', '\t', '  '])}${BODY.length}${pick(['', ' ', '\t', ' \t', '\x0b', ',62', ' 62'])}`;
    if (random() < 0.2) lines[1] = `Host:${pick(['', ' ', '\t'])}x${pick(['', ' ', '\t', '\x0b'])}`;
    if (random() < 0.2) {
      const name = pick(['Connection', 'Proxy-Connection', 'connection', 'Keep-Alive']);
      lines.splice(
        2,
        0,
        `${name}:${pick(['', ' ', '\t'])}${pick(['close', 'keep-alive', 'Close', 'upgrade', 'close,', 'x'])}${pick(['', ' ', '\t'])}`,
      );
    }
    for (let ops = int(3); ops > 0; ops--) {
      const op = int(6);
      if (op === 0) lines.splice(1 + int(lines.length), 0, pick(LINES));
      else if (op === 1 && lines.length > 1) lines.splice(1 + int(lines.length - 1), 1);
      else if (op === 2) lines.push(lines[1 + int(lines.length - 1)] ?? 'X: y');
      else {
        let text = lines.join('\r\n');
        const at = int(text.length);
        if (op === 3) text = text.slice(0, at) + pick(BYTES) + text.slice(at);
        else if (op === 4) text = text.slice(0, at) + pick(BYTES) + text.slice(at + 1);
        else text = text.slice(0, at) + text.slice(at + 1);
        lines.splice(0, lines.length, ...text.split('\r\n'));
      }
    }
    return `${lines.join('\r\n')}\r\n\r\n`;
  };
}

describe(`fast head parser against Node's parser (FUZZ_SEED=${SEED})`, () => {
  let oracle: NodeOracle;
  beforeAll(async () => {
    oracle = await startNodeOracle();
  });
  afterAll(() => oracle.close());

  it(`reads every one of ${CASES} mutated heads as Node does, or leaves it to Node`, async () => {
    const random = prng(SEED);
    const mutate = mutator(random);
    let taken = 0;
    for (let n = 0; n < CASES; n++) {
      const head = mutate();
      // One in five is cut short (the client's FIN inside the head or the body).
      const whole = Buffer.from(head + BODY + PLAIN, 'latin1');
      const bytes = random() < 0.2 ? whole.subarray(0, 1 + Math.floor(random() * (head.length + BODY.length))) : whole;
      const node = await oracle.read(bytes);
      const label = `case ${n} (FUZZ_SEED=${SEED}): ${JSON.stringify(bytes.toString('latin1').slice(0, head.length + 8))}`;
      let offset = 0;
      for (let index = 0; ; index++) {
        const fast = parseHead(bytes, offset, PATH);
        if (fast === FALLBACK) break;
        const read = node.requests[index];
        if (fast === NEED_MORE || fast.bodyEnd > bytes.length) {
          expect(read, `${label}: the fast parser waits for more, Node read request ${index}`).toBeUndefined();
          break;
        }
        expect(read, `${label}: the fast parser took request ${index}, Node refused it (${node.error})`).toBeDefined();
        if (read === undefined) break;
        expect(
          isDeepStrictEqual({ ...fast.headers }, read.headers),
          `${label}: headers ${JSON.stringify(fast.headers)} / ${JSON.stringify(read.headers)}`,
        ).toBe(true);
        expect(bytes.subarray(fast.bodyStart, fast.bodyEnd).equals(read.body), `${label}: body`).toBe(true);
        expect(!fast.close, `${label}: keep-alive`).toBe(read.keepAlive);
        if (index === 0) taken++;
        if (fast.close) break;
        offset = fast.bodyEnd;
      }
    }
    // The mutations leave many heads of the fast shape: the comparison is not empty.
    expect(taken).toBeGreaterThan(CASES / 10);
  });
});
