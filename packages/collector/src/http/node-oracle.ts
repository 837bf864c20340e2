/**
 * Test support: what Node's own HTTP parser (llhttp, through a plain `node:http` server)
 * makes of some bytes sent on one connection — the requests it reads, each with its head,
 * body and keep-alive decision, and the error it stops at. The fast path's differential
 * tests compare the fast parser's reading of the same bytes against it.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

export interface NodeRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  keepAlive: boolean;
}

export interface NodeReading {
  requests: NodeRequest[];
  /** The parser's error code (`HPE_…`), or null when every byte was read as requests. */
  error: string | null;
}

export interface NodeOracle {
  /** Sends `bytes` on a new connection, then half-closes it; resolves once Node closed it. */
  read(bytes: Buffer): Promise<NodeReading>;
  close(): Promise<void>;
}

export async function startNodeOracle(): Promise<NodeOracle> {
  const readings = new Map<number, NodeReading>();
  const readingOf = (port: number | undefined): NodeReading => {
    const key = port ?? 0;
    let reading = readings.get(key);
    if (!reading) {
      reading = { requests: [], error: null };
      readings.set(key, reading);
    }
    return reading;
  };
  const server = createServer((req, res) => {
    const reading = readingOf(req.socket.remotePort);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { method = '', url = '', httpVersion, headers } = req;
      // `shouldKeepAlive` is the parser's decision for this request (its version and `Connection`).
      reading.requests.push({
        method,
        url,
        httpVersion,
        headers: { ...headers },
        body: Buffer.concat(chunks),
        keepAlive: res.shouldKeepAlive,
      });
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
    });
  });
  // Every request read before the client's end is answered (the collector's server does the same).
  (server as typeof server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    readingOf((socket as Socket).remotePort).error = error.code ?? error.message;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    read(bytes) {
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let local = 0;
        socket.on('error', () => {}); // a reset after Node's 400: the reading is what counts
        socket.on('connect', () => {
          local = socket.localPort ?? 0;
          socket.end(bytes);
        });
        socket.resume();
        socket.on('close', () => {
          const reading = readingOf(local);
          readings.delete(local);
          resolve(reading);
        });
        socket.setTimeout(10_000, () => reject(new Error('node:http kept the connection open for 10 s')));
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
