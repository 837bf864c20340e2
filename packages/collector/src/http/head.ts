/**
 * The request head of the one request shape the collector's fast path serves: a
 * `POST <events path> HTTP/1.1` with a `Host`, one `Content-Length` and plain header lines.
 * Anything else — another method, route or version, chunked or `Expect`, a repeated
 * header, a byte llhttp would refuse or treat specially — is not parsed here at all: it is
 * `FALLBACK`, and the connection goes to Node's own HTTP parser from that request on. So
 * this parser never has to agree with llhttp on a hard case: it only accepts what both read
 * the same way, and hands every other byte to llhttp untouched.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { LIMITS } from '@tidemark/shared';

/** Node's default `maxHeaderSize` (16 KiB): a longer head goes to Node, which answers 431. */
export const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

export interface FastHead {
  /** Header names lower-cased, values with surrounding blanks removed (as Node gives them). */
  headers: IncomingHttpHeaders;
  bodyStart: number;
  bodyEnd: number;
  /** `Connection: close`: answer, then close. */
  close: boolean;
}

/** The head is not complete yet. */
export const NEED_MORE = 0;
/** Not a request the fast path serves: hand the connection to Node's parser. */
export const FALLBACK = 1;

/**
 * The header lines, each `token ":" value CRLF`, the value of tab, visible ASCII, space and
 * obs-text (what llhttp accepts). Checked in one native pass; a folded line, a blank before
 * the colon, a stray CR or LF or any other control character fails it. Linear: names cannot
 * hold the colon, values cannot hold the CR.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
const HEADER_LINES = /^(?:[-!#$%&'*+.^_`|~\w]+:[^\x00-\x08\x0a-\x1f\x7f]*\r\n)*$/;
const DIGITS = /^[0-9]{1,7}$/;
/** Headers whose presence changes how the message is framed or answered; `__proto__` is no header name here. */
const NOT_FAST = new Set(['transfer-encoding', 'expect', 'upgrade', 'te', 'trailer', '__proto__']);
const POST_ = 'POST ';
const _HTTP11 = ' HTTP/1.1';

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Reads the head starting at `offset`. Answers `NEED_MORE` while the head is incomplete
 * (and shorter than `MAX_HEAD_BYTES`), `FALLBACK` for any request outside the fast shape,
 * else the headers and where the body lies (it may not have arrived yet).
 */
export function parseHead(
  buf: Buffer,
  offset: number,
  eventsPath: string,
  searchFrom = offset,
): FastHead | typeof NEED_MORE | typeof FALLBACK {
  // `searchFrom`: where the end of the head may start, past bytes already searched on an earlier call.
  const end = buf.indexOf(HEAD_END, Math.max(offset, searchFrom));
  if (end < 0) return buf.length - offset > MAX_HEAD_BYTES ? FALLBACK : NEED_MORE;
  if (end - offset > MAX_HEAD_BYTES) return FALLBACK;
  // latin1: one char per byte, as Node decodes header values. The head ends in CRLF here, so every line does.
  const head = buf.toString('latin1', offset, end + 2);
  const length = head.length;

  // Request line: exactly `POST <target> HTTP/1.1`, the target being the events path and a visible-ASCII query.
  const lineEnd = head.indexOf('\r\n');
  const targetEnd = lineEnd - _HTTP11.length;
  if (!head.startsWith(POST_) || !head.startsWith(_HTTP11, targetEnd) || !head.startsWith(eventsPath, POST_.length)) return FALLBACK;
  let i = POST_.length + eventsPath.length;
  if (i < targetEnd) {
    if (head.charCodeAt(i) !== 0x3f) return FALLBACK; // `?`
    for (i++; i < targetEnd; i++) {
      const c = head.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f) return FALLBACK;
    }
  } else if (i > targetEnd) return FALLBACK;

  if (!HEADER_LINES.test(head.slice(lineEnd + 2))) return FALLBACK;
  const headers: IncomingHttpHeaders = {};
  for (let at = lineEnd + 2; at < length; ) {
    const colon = head.indexOf(':', at);
    const next = head.indexOf('\r\n', colon);
    const key = head.slice(at, colon).toLowerCase();
    if (headers[key] !== undefined || NOT_FAST.has(key)) return FALLBACK; // repeated: Node's rules for joining apply
    // The value without the blanks around it, as Node gives it.
    let from = colon + 1;
    let to = next;
    while (from < to && isBlank(head.charCodeAt(from))) from++;
    while (to > from && isBlank(head.charCodeAt(to - 1))) to--;
    headers[key] = head.slice(from, to);
    at = next + 2;
  }

  const contentLength = headers['content-length'];
  if (headers.host === undefined || contentLength === undefined || !DIGITS.test(contentLength)) return FALLBACK;
  const bytes = Number(contentLength);
  if (bytes > LIMITS.batchBytes) return FALLBACK; // Node's path answers 413 without reading it
  let close = false;
  const connection = headers.connection;
  if (connection !== undefined) {
    const token = connection.toLowerCase();
    if (token === 'close') close = true;
    else if (token !== 'keep-alive') return FALLBACK;
  }
  return { headers, bodyStart: end + 4, bodyEnd: end + 4 + bytes, close };
}
