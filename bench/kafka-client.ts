/**
 * The two Kafka clients on the two hot paths, on the same broker, topic and messages
 * (docs/kafka-client.md): kafkajs 2.2.4 (patched) against @platformatic/kafka.
 * - producer: one send at a time, as the collector's group commit sends — each send the
 *   events of one batch split into messages per partition (`partitionMessages`), idempotent,
 *   acks=all; sends per second and the main thread's CPU per send;
 * - consumer: a consumer group reading the whole topic from the start, as fast as it can;
 *   messages per second and CPU per message.
 * Both clients get the same messages; rounds alternate between them, so the machine's speed
 * changes fall on both. Runs alone: `npx tsx bench/kafka-client.ts [--quick]`.
 */
import { randomUUID } from 'node:crypto';
import { Consumer as PConsumer, Producer as PProducer, ProduceAcks } from '@platformatic/kafka';
import { partitionMessages } from '@tidemark/shared';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startServices } from '../services/index.ts';
import { syntheticEvent } from '../test/ingester-support.ts';
import { dropTopics } from './cleanup.ts';
import { type Figures, progress, round } from './lib.ts';

const PARTITIONS = 6;
type Message = ReturnType<typeof partitionMessages>[number];

interface Side {
  name: string;
  produce(topic: string, sends: Message[][]): Promise<void>;
  consume(topic: string, expected: number): Promise<void>;
}

function kafkajsSide(brokers: string): Side {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [brokers], logLevel: logLevel.NOTHING });
  return {
    name: 'kafkajs',
    async produce(topic, sends) {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      for (const messages of sends) {
        await producer.send({
          topic,
          acks: -1,
          messages: messages.map((m) => ({ partition: m.partition, key: String(m.key), value: m.value, headers: m.headers })),
        });
      }
      await producer.disconnect();
    },
    async consume(topic, expected) {
      const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 16 * 1024 * 1024 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let seen = 0;
      await new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: PARTITIONS,
          eachBatch: async ({ batch }) => {
            seen += batch.messages.length;
            if (seen >= expected) resolve();
          },
        });
      });
      await consumer.disconnect();
    },
  };
}

function platformaticSide(brokers: string): Side {
  return {
    name: '@platformatic/kafka',
    async produce(topic, sends) {
      const producer = new PProducer({
        clientId: 'bench-platformatic',
        bootstrapBrokers: [brokers],
        idempotent: true,
        acks: ProduceAcks.ALL,
        autocreateTopics: false,
      });
      for (const messages of sends) {
        await producer.send({
          messages: messages.map((m) => ({
            topic,
            partition: m.partition,
            key: Buffer.from(String(m.key)),
            value: m.value,
            headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
          })),
        });
      }
      await producer.close();
    },
    async consume(topic, expected) {
      const consumer = new PConsumer({
        clientId: 'bench-platformatic',
        groupId: `bench-${randomUUID()}`,
        bootstrapBrokers: [brokers],
        maxWaitTime: 100,
        maxBytesPerPartition: 16 * 1024 * 1024,
      });
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      let seen = 0;
      for await (const _ of stream) {
        if (++seen >= expected) break;
      }
      await stream.close();
      await consumer.close();
    },
  };
}

async function timed(work: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

export async function benchKafkaClient({ quick }: { quick: boolean }): Promise<Figures> {
  const { kafkaBrokers: brokers } = await startServices();
  const sendCount = quick ? 300 : 2000;
  const rounds = quick ? 2 : 4;
  const perSend = 100; // events per send: a busy collector's group commit
  const sends = Array.from({ length: sendCount }, (_, s) =>
    partitionMessages(
      Array.from({ length: perSend }, (_, i) => syntheticEvent('bench.example', s * perSend + i)),
      PARTITIONS,
    ),
  );
  const messages = sends.reduce((n, s) => n + s.length, 0);
  const sides = [kafkajsSide(brokers), platformaticSide(brokers)];
  const results = new Map(
    sides.map((s) => [s.name, { produce: [] as { ms: number; cpuMs: number }[], consume: [] as { ms: number; cpuMs: number }[] }]),
  );
  const topics: string[] = [];
  const admin = new Kafka({ clientId: 'bench-admin', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        const topic = `bench_client_${randomUUID().slice(0, 8)}`;
        topics.push(topic);
        await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
        const produced = await timed(() => side.produce(topic, sends));
        const consumed = await timed(() => side.consume(topic, messages));
        results.get(side.name)?.produce.push(produced);
        results.get(side.name)?.consume.push(consumed);
        progress(`kafka-client round ${r + 1}: ${side.name} produce ${Math.round(produced.ms)} ms, consume ${Math.round(consumed.ms)} ms`);
      }
    }
  } finally {
    await admin.disconnect();
    await dropTopics(brokers, topics);
  }
  const figures: Figures = {};
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  for (const [name, r] of results) {
    figures[`kafka-client ${name} produce sends/s (${perSend} events, ${PARTITIONS} partitions)`] = round(
      sendCount / (median(r.produce.map((x) => x.ms)) / 1000),
      0,
    );
    figures[`kafka-client ${name} produce CPU ms/send`] = round(median(r.produce.map((x) => x.cpuMs)) / sendCount, 3);
    figures[`kafka-client ${name} consume messages/s`] = round(messages / (median(r.consume.map((x) => x.ms)) / 1000), 0);
    figures[`kafka-client ${name} consume CPU µs/message`] = round((median(r.consume.map((x) => x.cpuMs)) * 1000) / messages, 1);
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchKafkaClient({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k}  ${v}\n`);
  process.exit(0);
}
