import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { clickhouseErrorCode } from './clickhouse.ts';

describe('clickhouseErrorCode', () => {
  it("reads a ClickHouseError's code", () => {
    expect(clickhouseErrorCode(new ClickHouseError({ message: 'm', code: '427', type: 'CANNOT_COMPILE_REGEXP' }))).toBe('427');
  });

  it("reads the code of chdb's error when the client could not parse its message", () => {
    expect(clickhouseErrorCode(new Error('Code: 376. DB::Exception: Cannot parse uuid `\n', { cause: { clickhouseCode: 376 } }))).toBe(
      '376',
    );
  });

  it('is null for anything else', () => {
    expect(clickhouseErrorCode(new Error('Code: 376.'))).toBeNull();
    expect(clickhouseErrorCode('Code: 376.')).toBeNull();
    expect(clickhouseErrorCode(null)).toBeNull();
  });
});
