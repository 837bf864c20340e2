import { describe, expect, it } from 'vitest';
import { FALLBACK, type FastHead, MAX_HEAD_BYTES, NEED_MORE, parseHead } from './head.ts';

const PATH = '/api/event';
const lines = (...l: string[]) => Buffer.from(`${l.join('\r\n')}\r\n\r\n`, 'latin1');
const plain = (...extra: string[]) => lines('POST /api/event HTTP/1.1', 'Host: t.example', 'Content-Length: 2', ...extra);

function parsed(buf: Buffer, offset = 0): FastHead {
  const head = parseHead(buf, offset, PATH);
  if (head === NEED_MORE || head === FALLBACK) throw new Error(`expected a head, got ${head === NEED_MORE ? 'NEED_MORE' : 'FALLBACK'}`);
  return head;
}

describe('parseHead', () => {
  it('reads the plain shape: lower-cased names, values without surrounding blanks, where the body is', () => {
    const buf = Buffer.concat([plain('Content-Type:  text/plain \t', 'User-Agent: Mozilla/5.0 (X11)', 'X-Empty:'), Buffer.from('{}')]);
    const head = parsed(buf);
    expect({ ...head.headers }).toEqual({
      host: 't.example',
      'content-length': '2',
      'content-type': 'text/plain',
      'user-agent': 'Mozilla/5.0 (X11)',
      'x-empty': '',
    });
    expect(buf.subarray(head.bodyStart, head.bodyEnd).toString()).toBe('{}');
    expect(head.close).toBe(false);
  });

  it('accepts a query after the path, obs-text in values (as latin1, like Node), and a second request behind the first', () => {
    const first = lines('POST /api/event?x=1&y=%20 HTTP/1.1', 'host: a', 'content-length: 0', 'X-Name: caf\xe9');
    const buf = Buffer.concat([first, plain()]);
    const a = parsed(buf);
    expect(a.headers['x-name']).toBe('café');
    expect(a.bodyEnd).toBe(first.length);
    expect(parsed(buf, a.bodyEnd).headers.host).toBe('t.example');
  });

  it('reads Connection: close and keep-alive in any case', () => {
    expect(parsed(plain('Connection: Close')).close).toBe(true);
    expect(parsed(plain('connection: keep-alive')).close).toBe(false);
  });

  it('hands over at once, without waiting for the end of the head, bytes that cannot become the fast shape', () => {
    const cases = [
      'POST /api/event HTTP/1.1\nHost: x\n', // bare LF
      'POST /api/event HTTP/1.1\r\nHost: x\rY', // a CR not before an LF
      'POST /api/event HTTP/1.1\r\nHost: \x01', // a control character
      'GET /api/event HTTP/1.1\r\n', // another method
      'POST /api/other', // another path
      '\x16\x03\x01\x00\xc4\x01', // a TLS ClientHello
    ];
    for (const text of cases) expect(parseHead(Buffer.from(text, 'latin1'), 0, PATH), JSON.stringify(text)).toBe(FALLBACK);
    // A CR as the last byte read may be followed by its LF.
    expect(parseHead(Buffer.from('POST /api/event HTTP/1.1\r', 'latin1'), 0, PATH)).toBe(NEED_MORE);
    expect(parseHead(Buffer.from('POST /api', 'latin1'), 0, PATH)).toBe(NEED_MORE);
  });

  it('waits for the rest of a head, and gives up waiting past the head size limit', () => {
    const whole = plain();
    for (const cut of [0, 1, 10, whole.length - 1]) expect(parseHead(whole.subarray(0, cut), 0, PATH)).toBe(NEED_MORE);
    const long = Buffer.from(`POST /api/event HTTP/1.1\r\nX-Long: ${'a'.repeat(MAX_HEAD_BYTES)}`);
    expect(parseHead(long, 0, PATH)).toBe(FALLBACK);
    expect(parseHead(lines('POST /api/event HTTP/1.1', 'Host: a', 'Content-Length: 0', `X: ${'a'.repeat(MAX_HEAD_BYTES)}`), 0, PATH)).toBe(
      FALLBACK,
    );
  });

  // Each of these is for Node's parser: it answers, joins, frames or refuses them by its own rules.
  const fallbacks: [string, Buffer][] = [
    ['another method', lines('PUT /api/event HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['OPTIONS (preflight)', lines('OPTIONS /api/event HTTP/1.1', 'Host: a')],
    ['lower-case method', lines('post /api/event HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['another path', lines('POST /api/events HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['a path below it', lines('POST /api/event/x HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['HTTP/1.0', lines('POST /api/event HTTP/1.0', 'Host: a', 'Content-Length: 0')],
    ['HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
    ['two spaces', lines('POST  /api/event HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['control char in the query', lines('POST /api/event?a\x01 HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['non-ASCII in the target', lines('POST /api/event?\xe9 HTTP/1.1', 'Host: a', 'Content-Length: 0')],
    ['no Host', lines('POST /api/event HTTP/1.1', 'Content-Length: 0')],
    ['no Content-Length', lines('POST /api/event HTTP/1.1', 'Host: a')],
    ['Content-Length not digits', plain().toString('latin1').replace('Content-Length: 2', 'Content-Length: +2')],
    ['Content-Length twice', plain('Content-Length: 2')],
    ['Content-Length over the batch limit', lines('POST /api/event HTTP/1.1', 'Host: a', 'Content-Length: 262145')],
    ['Transfer-Encoding', plain('Transfer-Encoding: chunked')],
    ['Expect: 100-continue', plain('Expect: 100-continue')],
    ['Upgrade', plain('Upgrade: websocket', 'Connection: Upgrade')],
    ['Connection with another token', plain('Connection: keep-alive, Upgrade')],
    ['a repeated header', plain('X-Forwarded-For: 1.1.1.1', 'x-forwarded-for: 2.2.2.2')],
    ['a __proto__ header', plain('__proto__: x')],
    ['a folded line', plain('X-A: one', ' two')],
    ['space before the colon', plain('X-A : one')],
    ['no colon', plain('X-A one')],
    ['empty name', plain(': one')],
    ['NUL in a value', plain('X-A: a\x00b')],
    ['DEL in a value', plain('X-A: a\x7fb')],
    ['bare LF inside a value', plain('X-A: a\nb')],
    ['bare CR inside a value', plain('X-A: a\rb')],
    ['non-token name', plain('X(A): b')],
    // What one llhttp or another reads otherwise (issue 15): Node 20 refuses the first and keeps the second alive.
    ['a tab after Content-Length', plain().toString('latin1').replace('Content-Length: 2', 'Content-Length: 2\t')],
    ['a tab after Connection: close', plain('Connection: close\t')],
    ['Proxy-Connection (llhttp reads it as Connection)', plain('Proxy-Connection: close')],
    ['Proxy-Connection: keep-alive', plain('Proxy-Connection: keep-alive')],
  ].map(([name, head]) => [name as string, typeof head === 'string' ? Buffer.from(head, 'latin1') : (head as Buffer)]);

  it.each(fallbacks)('hands to Node: %s', (_name, buf) => {
    expect(parseHead(buf, 0, PATH)).toBe(FALLBACK);
  });

  it('never throws or hangs on random bytes after a valid request line', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let n = 0; n < 2_000; n++) {
      const junk = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      const buf = Buffer.concat([Buffer.from('POST /api/event HTTP/1.1\r\nHost: a\r\n'), junk, Buffer.from('\r\n\r\n')]);
      const head = parseHead(buf, 0, PATH);
      if (head !== FALLBACK && head !== NEED_MORE) {
        for (const value of Object.values(head.headers)) expect(String(value)).not.toMatch(/[\r\n]|\0/);
      }
    }
  });
});
