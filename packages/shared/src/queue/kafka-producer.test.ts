import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { storedEvent } from '../event.ts';
import { plainLogger } from '../logger.ts';
import { partitionOf } from '../wire/partition.ts';
import type { KafkaClientAdapter, KafkaTopics, PartitionBatch, PartitionState } from './kafka.ts';
import { createKafkaProducer } from './kafka-producer.ts';

const PARTITIONS = 6;

/**
 * A fake client: a topic of six partitions (`leaders[p]` leads partition p, -1: none) and
 * producers that record every send and acknowledge it at once.
 */
function fakeAdapter(leaders: number[]) {
  const sends: { producer: number; batches: PartitionBatch[] }[] = [];
  let producers = 0;
  const layout = (): PartitionState[] => leaders.map((leader, partition) => ({ partition, leader, replicas: [1, 2, 3], isr: [1, 2, 3] }));
  const topics = {
    ensure: async () => {},
    partitions: async () => PARTITIONS,
    brokers: async () => 3,
    layout: async () => layout(),
    settings: async () => ({ 'min.insync.replicas': '2' }),
    close: async () => {},
  } as unknown as KafkaTopics;
  const adapter: KafkaClientAdapter = {
    topics: async () => topics,
    producer: async () => {
      const producer = producers++;
      return {
        send: async (_topic, batches) => {
          sends.push({ producer, batches });
        },
        close: async () => {},
      };
    },
    consumer: () => Promise.reject(new Error('not in this test')),
  };
  return { adapter, sends, producersMade: () => producers };
}

const config = (producers: number) => ({
  ...loadConfig({ KAFKA_BROKERS: 'k1:9092', KAFKA_PRODUCERS: String(producers) }).kafka,
  brokers: ['k1:9092'],
});
const visitor = (n: number) => storedEvent({ site: 'example.com', visitor_id: `${n}` });

describe('kafka producer with KAFKA_PRODUCERS', () => {
  it('has a lane per partition and producer; a visitor always takes the same one, on its Kafka partition', async () => {
    const { adapter, producersMade } = fakeAdapter([1, 2, 3, 1, 2, 3]);
    const producer = await createKafkaProducer(adapter, config(2), plainLogger());
    try {
      const lanes = producer.lanes;
      expect(lanes?.count).toBe(PARTITIONS * 2);
      expect(producersMade()).toBe(2);
      const used = new Set<number>();
      for (let n = 0; n < 200; n++) {
        const lane = lanes?.of(visitor(n)) ?? -1;
        expect(lanes?.of(visitor(n))).toBe(lane);
        expect(lane % PARTITIONS).toBe(partitionOf(visitor(n), PARTITIONS));
        used.add(lane);
      }
      expect([...used].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    } finally {
      await producer.close();
    }
  });

  it("sends a lane's events through its producer to its partition", async () => {
    const { adapter, sends } = fakeAdapter([1, 2, 3, 1, 2, 3]);
    const producer = await createKafkaProducer(adapter, config(2), plainLogger());
    try {
      const events = Array.from({ length: 40 }, (_, n) => visitor(n % 8));
      await producer.send(events);
      for (const { producer: index, batches } of sends) {
        for (const { partition, messages } of batches) {
          for (const m of messages) {
            const n = Number(String(m.key).split('/')[1]);
            expect(producer.lanes?.of(visitor(n))).toBe(partition + PARTITIONS * index);
          }
        }
      }
      expect(new Set(sends.map((s) => s.producer))).toEqual(new Set([0, 1]));
    } finally {
      await producer.close();
    }
  });

  it('counts every lane of a partition without a leader as unavailable, and names the partition', async () => {
    const { adapter } = fakeAdapter([1, 2, -1, 1, 2, 3]);
    const producer = await createKafkaProducer(adapter, config(3), plainLogger());
    try {
      const health = await producer.lanes?.health();
      expect(health).toEqual({ reachable: true, unavailable: [2, 8, 14], leaderless: [2] });
      expect(await producer.ready()).toBe(true);
    } finally {
      await producer.close();
    }
  });

  it('with one producer (the default) its lanes are the partitions', async () => {
    const { adapter } = fakeAdapter([1, 1, 1, 1, 1, 1]);
    const producer = await createKafkaProducer(adapter, config(1), plainLogger());
    try {
      expect(producer.lanes?.count).toBe(PARTITIONS);
      for (let n = 0; n < 50; n++) expect(producer.lanes?.of(visitor(n))).toBe(partitionOf(visitor(n), PARTITIONS));
    } finally {
      await producer.close();
    }
  });
});
