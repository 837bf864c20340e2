/**
 * kafkajs is patched (patches/kafkajs@2.2.4.patch): its request queue never sets a negative timer
 * (Node 24 prints a TimeoutNegativeWarning for one); record batches are checksummed with the
 * native CRC-32C of @node-rs/crc32 (it must load, and agree with kafkajs's own table), and its
 * encoders grow into memory that is not zero-filled (no byte of it may reach a request); a consumer
 * that stopped without leaving its group (the coordinator died) joins again as the same member.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const fromKafkajs = createRequire(createRequire(import.meta.url).resolve('kafkajs'));
const patched = fromKafkajs('./src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const table = fromKafkajs('./src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
type Encoded = { buffer: Buffer };
const produceRequest = fromKafkajs('./src/protocol/requests/produce/v7/request.js') as (request: object) => { encode(): Promise<Encoded> };
const Long = fromKafkajs('./src/utils/long.js') as { fromInt(n: number): unknown };

describe('kafkajs record-batch CRC-32C', () => {
  it('uses the native implementation', () => {
    expect(() => fromKafkajs('@node-rs/crc32')).not.toThrow();
  });

  it('gives the checksums of kafkajs’s own table, and the standard check value', () => {
    expect(patched(Buffer.from('123456789')).toString(16)).toBe('e3069283');
    for (const size of [0, 1, 7, 8, 9, 63, 1000, 65_537]) {
      const buf = randomBytes(size);
      expect(patched(buf)).toBe(table(buf) >>> 0);
    }
  });
});

describe('kafkajs encoders without zero fill', () => {
  /** A produce request of two partitions, as the collector's producer sends them. */
  const encode = async () => {
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      transactionalId: null,
      producerId: Long.fromInt(7),
      producerEpoch: 0,
      compression: 0,
      topicData: [
        {
          topic: 'events',
          partitions: [
            { partition: 0, firstSequence: 3, messages: [{ value: Buffer.alloc(5000, 1), timestamp: 1_700_000_000_000 }] },
            { partition: 4, firstSequence: 9, messages: [{ value: Buffer.from('x'), timestamp: 1_700_000_000_000 }] },
          ],
        },
      ],
    });
    return (await request.encode()).buffer;
  };

  it('encode the same bytes as zero-filled ones, whatever the memory held', async () => {
    const unsafe = Buffer.allocUnsafe;
    const encodeWith = async (fill: number) => {
      Buffer.allocUnsafe = (size: number) => unsafe(size).fill(fill);
      try {
        return await encode();
      } finally {
        Buffer.allocUnsafe = unsafe;
      }
    };
    const zeroed = await encodeWith(0);
    expect(zeroed.length).toBeGreaterThan(5000);
    expect((await encodeWith(0xa5)).equals(zeroed)).toBe(true);
    expect((await encodeWith(0xff)).equals(zeroed)).toBe(true);
  });
});

describe('kafkajs request queue on Node 24', () => {
  it('schedules its pending-request check with no negative delay (Node 24 warns of one: TimeoutNegativeWarning)', () => {
    const RequestQueue = fromKafkajs('./src/network/requestQueue/index.js') as new (
      options: object,
    ) => {
      scheduleCheckPendingRequests(): void;
      destroy(): void;
    };
    const queue = new RequestQueue({
      instrumentationEmitter: null,
      maxInFlightRequests: 1,
      requestTimeout: 1000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: 'b:9092',
      logger: { namespace: () => ({ debug() {}, warn() {}, error() {}, info() {} }) },
    });
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    globalThis.setTimeout = ((_fn: () => void, ms: number) => {
      delays.push(ms);
      return real(() => {}, 0);
    }) as typeof setTimeout;
    try {
      queue.scheduleCheckPendingRequests(); // unthrottled, nothing pending: the case that warned
    } finally {
      globalThis.setTimeout = real;
      queue.destroy();
    }
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('kafkajs consumer rejoining after a crash', () => {
  type PatchedConsumer = {
    subscribe(options: object): Promise<void>;
    run(options: object): Promise<void>;
    on(event: string, listener: (e: { payload: { restart: boolean } }) => void): void;
    events: { CRASH: string };
    disconnect(): Promise<void>;
    memberId(): string | null;
    rejoinAs(id: string | null): void;
  };
  /** A coordinator that dies between join and sync (a crash that cannot leave the group), and the joins it saw. */
  const dyingCoordinator = () => {
    const joins: string[] = [];
    const coordinator = {
      async joinGroup({ memberId }: { memberId: string }) {
        joins.push(memberId);
        return {
          generationId: joins.length,
          leaderId: 'someone-else',
          memberId: memberId || 'member-1',
          members: [],
          groupProtocol: 'RoundRobinAssigner',
        };
      },
      // The coordinator dies between join and sync: a crash that cannot leave the group.
      async syncGroup() {
        throw Object.assign(new Error('Broker 3 not found in the cached metadata'), { name: 'KafkaJSNonRetriableError', retriable: false });
      },
      async leaveGroup() {
        throw new Error('connect ECONNREFUSED');
      },
    };
    const cluster = {
      async connect() {},
      async disconnect() {},
      isConnected: () => true,
      async refreshMetadata() {},
      async refreshMetadataIfNecessary() {},
      async addMultipleTargetTopics() {},
      async findGroupCoordinator() {
        return coordinator;
      },
      removeBroker() {},
    };
    const logger = { namespace: () => logger, debug() {}, info() {}, warn() {}, error() {}, setLogLevel() {} };
    const createConsumer = fromKafkajs('./src/consumer/index.js') as (options: object) => PatchedConsumer;
    const consumer = () => createConsumer({ cluster, groupId: 'g', logger, retry: { retries: 0, restartOnFailure: async () => false } });
    return { joins, consumer };
  };
  /** Runs the consumer until it crashed (kafkajs's own restart is off, as in the adapter). */
  const runUntilCrash = async (consumer: PatchedConsumer) => {
    const crash = new Promise<void>((resolve) => consumer.on(consumer.events.CRASH, () => resolve()));
    await consumer.run({ eachBatch: async () => {} });
    await crash;
  };

  it('joins again as the member it was when it stopped without leaving the group (no wait for the lost member’s session)', async () => {
    const { joins, consumer: create } = dyingCoordinator();
    const consumer = create();
    await consumer.subscribe({ topics: ['t'] });
    await runUntilCrash(consumer);
    await runUntilCrash(consumer);
    await consumer.disconnect();
    expect(joins).toEqual(['', 'member-1']);
  });

  it('hands its member id to a fresh consumer that replaces it (memberId / rejoinAs)', async () => {
    const { joins, consumer: create } = dyingCoordinator();
    const old = create();
    expect(old.memberId()).toBe(null);
    await old.subscribe({ topics: ['t'] });
    await runUntilCrash(old);
    expect(old.memberId()).toBe('member-1');
    const fresh = create();
    fresh.rejoinAs(old.memberId());
    await fresh.subscribe({ topics: ['t'] });
    await runUntilCrash(fresh);
    await Promise.all([old.disconnect(), fresh.disconnect()]);
    expect(joins).toEqual(['', 'member-1']);
  });
});

describe('kafkajs fetch manager stopped while its fetchers are rebuilt', () => {
  it('does not start new fetchers after the stop (they spun on the stopped runner’s empty fetches and froze the event loop)', async () => {
    const createFetchManager = fromKafkajs('./src/consumer/fetchManager.js') as (options: object) => {
      start(): Promise<void>;
      stop(): Promise<void>;
    };
    const logger = { namespace: () => logger, debug() {}, info() {}, warn() {}, error() {} };
    let nodeIds = [1, 2];
    let running = true; // the runner's own flag: its fetch answers [] at once once it is false
    let afterStop = 0;
    const manager = createFetchManager({
      logger,
      getNodeIds: () => nodeIds,
      handler: async () => {},
      concurrency: 1,
      fetch: async (nodeId: number) => {
        if (!running) {
          // Bounded here so that a regression fails instead of hanging the test process.
          if (++afterStop > 1_000) throw new Error('fetchers still running 1 000 fetches after the stop');
          return [];
        }
        if (nodeId === 1) {
          // Broker 2 fenced (the next fetch sees other node ids: a fetcher rebuild) while the runner stops.
          nodeIds = [1];
          running = false;
          void manager.stop();
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        return [];
      },
    });
    await manager.start();
    expect(afterStop).toBeLessThan(10);
  });
});
