/**
 * The event columns' wire types as small numbers, for the loops that walk a RowBinary row
 * column by column (`row-binary-read.ts`, `row-json.ts`), and each type's zero value on the
 * wire (what a column added by a later schema version holds in an older row).
 */

export type WireType = 'UUID' | 'String' | "DateTime64(3, 'UTC')" | 'UInt64' | 'UInt16' | 'UInt32' | 'Map(String, String)';

export const UUID = 0;
export const STRING = 1;
export const TIME = 2;
export const UINT64 = 3;
export const UINT16 = 4;
export const UINT32 = 5;
export const MAP = 6;

export const KIND_OF: Record<WireType, number> = {
  UUID,
  String: STRING,
  "DateTime64(3, 'UTC')": TIME,
  UInt64: UINT64,
  UInt16: UINT16,
  UInt32: UINT32,
  'Map(String, String)': MAP,
};

/** Each kind's zero value as RowBinary bytes: the nil UUID, '', 1970-01-01 00:00:00.000, 0, an empty map. */
export const ZERO_BYTES: readonly Buffer[] = [
  Buffer.alloc(16),
  Buffer.alloc(1),
  Buffer.alloc(8),
  Buffer.alloc(8),
  Buffer.alloc(2),
  Buffer.alloc(4),
  Buffer.alloc(1),
];
