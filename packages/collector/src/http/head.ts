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
/**
 * Headers whose presence changes how the message is framed or answered (llhttp reads
 * `Proxy-Connection` as `Connection`); `__proto__` is no header name here.
 */
const NOT_FAST = new Set(['transfer-encoding', 'expect', 'upgrade', 'te', 'trailer', 'proxy-connection', '__proto__']);
const DIGITS = /^[0-9]{1,7}$/;
/**
 * Headers that frame the message or decide keep-alive, whose value must not end in a tab:
 * Node 20's llhttp refuses `Content-Length: 62<TAB>` and does not read `Connection: close<TAB>`
 * as close, Node 24's trims the tab. Such a request is left to the Node that runs.
 */
const NO_TRAILING_TAB = new Set(['content-length', 'connection']);
const POST_ = 'POST ';
const _HTTP11 = ' HTTP/1.1';

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Whether an incomplete head, `buf[offset…]`, may still become a request of the fast shape:
 * it starts as `POST <events path>` does, and no byte from `from` on is one llhttp refuses in
 * a head or the fast parser hands over (a control character, a bare LF, a CR not before an
 * LF). Bytes that cannot be one (a bare-LF request, a TLS ClientHello, junk) go to Node's parser
 * as soon as they arrive, which answers 400, instead of waiting for a `CRLFCRLF` that never comes.
 */
function mayBecomeFast(buf: Buffer, offset: number, from: number, eventsPath: string): boolean {
  const prefix = POST_.length + eventsPath.length;
  const known = Math.min(buf.length - offset, prefix);
  for (let i = 0; i < known; i++) {
    const want = i < POST_.length ? POST_.charCodeAt(i) : eventsPath.charCodeAt(i - POST_.length);
    if (buf[offset + i] !== want) return false;
  }
  for (let i = Math.max(from, offset); i < buf.length; i++) {
    const c = buf[i] as number;
    if (c >= 0x20 && c !== 0x7f) continue;
    if (c === 0x09) continue;
    if (c === LF) {
      if (i === offset || buf[i - 1] !== CR) return false;
    } else if (c === CR) {
      if (i + 1 < buf.length && buf[i + 1] !== LF) return false;
    } else return false;
  }
  return true;
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
  if (end < 0) {
    if (buf.length - offset > MAX_HEAD_BYTES) return FALLBACK;
    // The bytes before `searchFrom` passed this check on an earlier call (a CR ending that read is checked again).
    return mayBecomeFast(buf, offset, searchFrom - 1, eventsPath) ? NEED_MORE : FALLBACK;
  }
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
    if (to < next && NO_TRAILING_TAB.has(key) && head.slice(to, next).includes('\t')) return FALLBACK;
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
