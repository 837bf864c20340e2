/**
 * The event columns' wire types as small numbers, for the loops that walk a RowBinary row
 * column by column (`row-binary-read.ts`, `row-json.ts`).
 */
import { EVENT_COLUMNS } from './row-binary.ts';

export const UUID = 0;
export const STRING = 1;
export const TIME = 2;
export const UINT64 = 3;
export const UINT16 = 4;
export const UINT32 = 5;
export const MAP = 6;

const CODES: Record<(typeof EVENT_COLUMNS)[number][1], number> = {
  UUID,
  String: STRING,
  "DateTime64(3, 'UTC')": TIME,
  UInt64: UINT64,
  UInt16: UINT16,
  UInt32: UINT32,
  'Map(String, String)': MAP,
};

/** Each column's kind, in table order. */
export const KINDS: readonly number[] = EVENT_COLUMNS.map(([, type]) => CODES[type]);
