/**
 * kafkajs is patched (patches/kafkajs@2.2.4.patch) to checksum record batches with the
 * native CRC-32C of @node-rs/crc32: it must load, and agree with kafkajs's own table.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const fromKafkajs = createRequire(createRequire(import.meta.url).resolve('kafkajs'));
const patched = fromKafkajs('./src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const table = fromKafkajs('./src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;

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
