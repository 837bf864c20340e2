/**
 * The partitioner differentially against a Kafka client's own: kafkajs's default partitioner
 * (its Java-compatible murmur2), on random keys of every length, ASCII and not.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { storedEvent } from '../event.ts';
import { keyOf, partitionOf, partitionOfKey } from './partition.ts';

const kafkajs = Partitioners.DefaultPartitioner();
const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1 }));

function theirs(key: string, partitions: number): number {
  return kafkajs({ topic: 't', partitionMetadata: metadata(partitions) as never, message: { key, value: null } });
}

describe('partitionOfKey', () => {
  it("agrees with kafkajs's default partitioner (Kafka's murmur2) on random keys", () => {
    for (let i = 0; i < 3000; i++) {
      const key =
        i % 3 === 0
          ? `site-${i}.example/${BigInt.asUintN(64, randomBytes(8).readBigUInt64LE()).toString()}`
          : i % 3 === 1
            ? randomBytes(i % 40).toString('base64')
            : `日本.例え/${'ü'.repeat(i % 7)}${i}`;
      for (const partitions of [1, 3, 6, 64]) expect(partitionOfKey(key, partitions), key).toBe(theirs(key, partitions));
    }
  });

  it('keys an event by site and visitor, so a visitor stays on one partition', () => {
    const event = storedEvent({ site: 'a.example', visitor_id: '42', path: '/one' });
    expect(keyOf(event)).toBe('a.example/42');
    expect(partitionOf(event, 6)).toBe(partitionOf({ ...event, path: '/two', name: 'signup' }, 6));
    expect(partitionOf(event, 6)).toBe(theirs('a.example/42', 6));
  });
});
