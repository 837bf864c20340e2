/**
 * Node answers a request it cannot parse, or one that timed out, at once (400, 408, 413, 431)
 * and destroys the connection — even while requests it read before on that connection still
 * wait for their answers (an event POST waiting for Kafka). Those were served, their events
 * stored, but never answered: a client that retries them doubles events. A client that
 * half-closes in the middle of a request (Node's `HPE_INVALID_EOF_STATE`) meets the same.
 *
 * Here the refusal waits until every request read before it was answered, then goes out and
 * the connection closes — as the fast path answers in request order. Node's own answer bytes
 * and rules are kept; only their moment changes.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { closeAfter } from './close.ts';

/** Node's answers to a request it refuses (`_http_server.js`), by error code. */
const ANSWERS: Readonly<Record<string, Buffer>> = {
  HPE_HEADER_OVERFLOW: Buffer.from('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n', 'latin1'),
  HPE_CHUNK_EXTENSIONS_OVERFLOW: Buffer.from('HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n', 'latin1'),
  ERR_HTTP_REQUEST_TIMEOUT: Buffer.from('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n', 'latin1'),
};
const BAD_REQUEST = Buffer.from('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', 'latin1');

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

interface Connection {
  /** Requests read and not answered yet, in order. */
  open: Set<Exchange>;
  /** An answer that closes the connection was written: Node ends it after that answer, and reads nothing more. */
  closing: boolean;
  /** The refusal, once the requests it waits for (read whole before it) are answered. */
  refusal: { waitingFor: Set<Exchange>; send: () => void } | null;
}

/** An error about the request's bytes or time (not the socket's): its answer is worth waiting for. */
function aboutTheRequest(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT');
}

/** The answer was written (it may wait behind others), and the connection closes after it. */
function closes({ res }: Exchange): boolean {
  return res.writableEnded && (res.getHeader('connection') === 'close' || !res.shouldKeepAlive);
}

/**
 * Installs the ordered refusals on `server` and answers the listener to serve with: it keeps
 * each connection's requests until their answers are written.
 */
export function refuseInOrder(server: Server, listener: RequestListener): RequestListener {
  const connections = new WeakMap<Duplex, Connection>();
  const refused = new WeakSet<Duplex>();

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (refused.has(socket)) return; // the parser is dead: more bytes fail again
    const connection = connections.get(socket);
    const open = [...(connection?.open ?? [])];
    if (error.code === 'HPE_CLOSED_CONNECTION' || connection?.closing || open.some(closes)) {
      refused.add(socket);
      // Bytes after a request or an answer that closes the connection (`Connection: close`,
      // HTTP/1.0, a 413): not read, not answered, as on the fast path. Node closes after that answer.
      if (open.length === 0 && !connection?.closing) socket.destroy();
      return;
    }
    refused.add(socket);
    const answer = ANSWERS[error.code ?? ''] ?? BAD_REQUEST;
    // The request being read when the error came is not whole; those before it are, or were answered on their head.
    const waitingFor = new Set(open.filter((exchange) => exchange.req.complete || exchange.res.writableEnded));
    if (connection === undefined || waitingFor.size === 0 || !aboutTheRequest(error.code) || !socket.writable) {
      // Node's own handling: answer unless an answer has begun, and close. (Node destroys the
      // socket right after writing, which drops the answer when earlier ones still wait in
      // its buffer; here it closes once the answer is out.)
      if (socket.writable && !open.some((exchange) => exchange.res.headersSent)) closeAfter(socket, answer);
      else socket.destroy();
      return;
    }
    socket.pause();
    connection.refusal = { waitingFor, send: () => closeAfter(socket, answer) };
  });

  return (req, res) => {
    const { socket } = req;
    let connection = connections.get(socket);
    if (connection === undefined) {
      connection = { open: new Set(), closing: false, refusal: null };
      connections.set(socket, connection);
    }
    const exchange: Exchange = { req, res };
    const current = connection;
    const { open } = current;
    open.add(exchange);
    // `prefinish`: the answer's bytes are queued on the socket, so a refusal written now comes
    // after them — and before Node's own end of a connection marked to close after this answer.
    const answered = () => {
      if (!open.delete(exchange)) return;
      if (closes(exchange)) current.closing = true;
      const refusal = current.refusal;
      if (!refusal?.waitingFor.delete(exchange) || refusal.waitingFor.size > 0) return;
      refusal.send();
    };
    res.once('prefinish', answered);
    res.once('close', answered);
    listener(req, res);
  };
}
