// Kafka facts without a client library, for readiness and for the fault tests: one Metadata
// request (v1: brokers, partition leaders and in-sync replicas) or FindCoordinator request (v1)
// over TCP, parsed by hand. Old, fixed-layout versions that every broker since 0.10 answers.
import { connect } from 'node:net';

const METADATA = 3;
const FIND_COORDINATOR = 10;
const CORRELATION_ID = 1;
const CLIENT_ID = Buffer.from('tidemark-services');

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionInfo {
  partition: number;
  errorCode: number;
  /** -1 while the partition has no leader. */
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface ClusterMetadata {
  /** Brokers registered and not fenced. */
  brokers: BrokerInfo[];
  /** Per topic asked for: its partitions in order (empty when the topic does not exist). */
  topics: Map<string, PartitionInfo[]>;
}

function request(apiKey: number, version: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4 + 2 + 2 + 4 + 2);
  head.writeInt32BE(head.length - 4 + CLIENT_ID.length + body.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(version, 6);
  head.writeInt32BE(CORRELATION_ID, 8);
  head.writeInt16BE(CLIENT_ID.length, 12);
  return Buffer.concat([head, CLIENT_ID, body]);
}

function string(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.alloc(2 + bytes.length);
  out.writeInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** Sends one request to host:port and resolves to the response after its correlation id. */
function roundTrip(host: string, port: number, req: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`kafka request to ${host}:${port} timed out`)));
    socket.on('connect', () => socket.write(req));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 8 || received.length < 4 + received.readInt32BE(0)) return;
      socket.destroy();
      if (received.readInt32BE(4) !== CORRELATION_ID) reject(new Error('unexpected correlation id'));
      else resolve(received.subarray(8, 4 + received.readInt32BE(0)));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed')));
  });
}

class Reader {
  at = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  int8 = () => this.buf.readInt8(this.at++);
  int16 = () => {
    this.at += 2;
    return this.buf.readInt16BE(this.at - 2);
  };
  int32 = () => {
    this.at += 4;
    return this.buf.readInt32BE(this.at - 4);
  };
  string = (): string | null => {
    const n = this.int16();
    if (n < 0) return null;
    this.at += n;
    return this.buf.toString('utf8', this.at - n, this.at);
  };
  array = <T>(item: () => T): T[] => Array.from({ length: Math.max(0, this.int32()) }, item);
}

/** Metadata v1 from one broker: the live brokers and, for each topic named, its partitions. */
export async function fetchMetadata(host: string, port: number, topics: string[] = [], timeoutMs = 2_000): Promise<ClusterMetadata> {
  const count = Buffer.alloc(4);
  count.writeInt32BE(topics.length, 0);
  const r = new Reader(await roundTrip(host, port, request(METADATA, 1, Buffer.concat([count, ...topics.map(string)])), timeoutMs));
  const brokers = r.array(() => {
    const nodeId = r.int32();
    const brokerHost = r.string() ?? '';
    const brokerPort = r.int32();
    r.string(); // rack
    return { nodeId, host: brokerHost, port: brokerPort };
  });
  r.int32(); // controller id: under KRaft any live broker, not the active controller
  const byTopic = new Map<string, PartitionInfo[]>();
  r.array(() => {
    r.int16(); // topic error (unknown topic: no partitions follow)
    const name = r.string() ?? '';
    r.int8(); // is internal
    const partitions = r.array(() => ({
      errorCode: r.int16(),
      partition: r.int32(),
      leader: r.int32(),
      replicas: r.array(r.int32),
      isr: r.array(r.int32),
    }));
    byTopic.set(
      name,
      partitions.sort((a, b) => a.partition - b.partition),
    );
  });
  return { brokers, topics: byTopic };
}

/** The broker coordinating a consumer group now (FindCoordinator v1); rejects on an error code. */
export async function findGroupCoordinator(host: string, port: number, group: string, timeoutMs = 2_000): Promise<number> {
  const r = new Reader(
    await roundTrip(host, port, request(FIND_COORDINATOR, 1, Buffer.concat([string(group), Buffer.from([0])])), timeoutMs),
  );
  r.int32(); // throttle time
  const error = r.int16();
  const message = r.string();
  const nodeId = r.int32();
  if (error !== 0) throw new Error(`FindCoordinator: error ${error}${message ? ` (${message})` : ''}`);
  return nodeId;
}

/** Number of live brokers as one broker sees them; rejects if it does not answer. */
export async function fetchBrokerCount(host: string, port: number, timeoutMs = 2_000): Promise<number> {
  return (await fetchMetadata(host, port, [], timeoutMs)).brokers.length;
}

/** True once the broker answers and sees at least `brokers` live brokers (itself included). */
export async function kafkaAnswers(host: string, port: number, brokers = 1): Promise<boolean> {
  try {
    return (await fetchBrokerCount(host, port)) >= brokers;
  } catch {
    return false;
  }
}
