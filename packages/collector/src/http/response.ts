/**
 * An outcome as the bytes of an HTTP/1.1 response, for the fast path. The header lines match
 * what Node's `ServerResponse` sends for the same outcome (`Date`, `Connection`,
 * `Keep-Alive`, `Content-Length`). The text is kept per outcome object and second, so the
 * shared outcomes (202, the fixed errors) are built once a second, not once a request.
 */
import { STATUS_CODES } from 'node:http';
import { type Outcome, SERVER_BUSY } from '../pipeline.ts';

let dateSecond = -1;
let dateText = '';

/** The `Date` header's value, formatted once per second. */
function httpDate(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * The connection closes after this answer: after a fault its state is unknown, after a 413
 * or a busy 503 the rest of the body is not worth reading, and after a 408 the client is
 * too slow to keep. Both paths follow it.
 */
export function closesConnection(outcome: Outcome): boolean {
  return outcome.status === 500 || outcome.status === 413 || outcome.status === 408 || outcome === SERVER_BUSY;
}

interface Rendered {
  second: number;
  keepAlive: Buffer | null;
  close: Buffer | null;
}

export interface ResponseWriter {
  /** The response's bytes (UTF-8: header lines are ASCII, an error body may name a non-ASCII field). */
  render(outcome: Outcome, close: boolean): Buffer;
}

export function createResponseWriter(keepAliveTimeoutMs: number): ResponseWriter {
  const keepAlive = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n`;
  const cache = new WeakMap<Outcome, Rendered>();

  const build = (outcome: Outcome, date: string, connection: string): Buffer => {
    let text = `HTTP/1.1 ${outcome.status} ${STATUS_CODES[outcome.status] ?? 'unknown'}\r\n`;
    for (const name of Object.keys(outcome.headers)) text += `${name}: ${outcome.headers[name]}\r\n`;
    const body = outcome.body ?? '';
    return Buffer.from(`${text}Date: ${date}\r\n${connection}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'utf8');
  };

  return {
    render(outcome, close) {
      const date = httpDate(Date.now());
      let rendered = cache.get(outcome);
      if (rendered === undefined || rendered.second !== dateSecond) {
        rendered = { second: dateSecond, keepAlive: null, close: null };
        cache.set(outcome, rendered);
      }
      if (close) {
        rendered.close ??= build(outcome, date, 'Connection: close\r\n');
        return rendered.close;
      }
      rendered.keepAlive ??= build(outcome, date, keepAlive);
      return rendered.keepAlive;
    },
  };
}
