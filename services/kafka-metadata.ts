// Kafka readiness without a client library: one Metadata request (v1, no topics) over TCP.
// The broker is ready once it lists at least one broker, i.e. it has registered itself.
import { connect } from 'node:net';

const METADATA = 3;
const VERSION = 1;
const CORRELATION_ID = 1;

function metadataRequest(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + id.length + 4);
  let at = req.writeInt32BE(req.length - 4, 0); // size
  at = req.writeInt16BE(METADATA, at);
  at = req.writeInt16BE(VERSION, at);
  at = req.writeInt32BE(CORRELATION_ID, at);
  at = req.writeInt16BE(id.length, at);
  at += id.copy(req, at);
  req.writeInt32BE(0, at); // topics: empty array (v1: none; null would mean all)
  return req;
}

/** Number of brokers in a Metadata response from host:port; rejects if it does not answer. */
export function fetchBrokerCount(host: string, port: number, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('metadata request timed out')));
    socket.on('connect', () => socket.write(metadataRequest('tidemark-services')));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // Response v1: size int32, correlation id int32, then the brokers array (int32 count first).
      if (received.length < 12) return;
      socket.destroy();
      if (received.readInt32BE(4) !== CORRELATION_ID) reject(new Error('unexpected correlation id'));
      else resolve(received.readInt32BE(8));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed')));
  });
}

export async function kafkaAnswers(host: string, port: number): Promise<boolean> {
  try {
    return (await fetchBrokerCount(host, port)) > 0;
  } catch {
    return false;
  }
}
