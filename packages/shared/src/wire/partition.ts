/**
 * A message's key and partition. The key of an event is `<site>/<visitor_id>`; its partition
 * is the one Kafka's default partitioner gives that key (murmur2 of its UTF-8 bytes, made
 * positive, modulo the partition count — the Java client's `Utils.murmur2`, which kafkajs
 * and librdkafka's `murmur2_random` reproduce). So a visitor's events stay on one partition,
 * in order, and a producer of another project keyed the same way agrees with Tidemark's.
 */
import type { StoredEvent } from '../event.ts';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
let scratch = Buffer.allocUnsafe(1024);

/** Kafka's murmur2 (32 bit) of `bytes[0, length)`. */
export function murmur2(bytes: Uint8Array, length = bytes.length): number {
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3; // the last 1–3 bytes, mixed from the highest down
  if (tail === 3) h ^= (bytes[whole + 2] as number) << 16;
  if (tail >= 2) h ^= (bytes[whole + 1] as number) << 8;
  if (tail >= 1) h = Math.imul(h ^ (bytes[whole] as number), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default partitioner's hash of a key (a string, as its UTF-8 bytes): murmur2, made positive. */
export function hashOfKey(key: string): number {
  const max = key.length * 3;
  if (scratch.length < max) scratch = Buffer.allocUnsafe(max);
  const length = scratch.write(key, 0, 'utf8');
  return murmur2(scratch, length) & 0x7fffffff;
}

/** The partition Kafka's default partitioner gives a key. */
export function partitionOfKey(key: string, partitions: number): number {
  return hashOfKey(key) % partitions;
}

/** The message key of an event: its site and visitor. */
export function keyOf(event: StoredEvent): string {
  return `${event.site}/${event.visitor_id}`;
}

/** The hash of an event's key, whose remainder modulo the partition count is its partition. */
export function keyHash(event: StoredEvent): number {
  return hashOfKey(keyOf(event));
}

/** The partition of an event's key. */
export function partitionOf(event: StoredEvent, partitions: number): number {
  return partitionOfKey(keyOf(event), partitions);
}
