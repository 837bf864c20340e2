import { storedEvent } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { uint64Text, type VisitRowRead, visitFromRow, visitOf, visitRow } from './visit.ts';

describe('visit rows read back', () => {
  it('keep 64-bit ids exact: decimal text as it is, JSON numbers only while exact', () => {
    expect(uint64Text('18446744073709551615', 'visitor_id')).toBe('18446744073709551615');
    expect(uint64Text(9_007_199_254_740_991, 'visitor_id')).toBe('9007199254740991');
    // What JSON.parse makes of 16644918395299250123 written as a bare number: another visitor.
    expect(() => uint64Text(16_644_918_395_299_250_000, 'visitor_id')).toThrow(/visits\.visitor_id: .* not an exact UInt64/);
    expect(() => uint64Text(-1, 'src_offset')).toThrow(TypeError);
    expect(() => uint64Text('1e3', 'src_offset')).toThrow(TypeError);
  });

  it('give back the visit that was written, as the row the table returns with 64-bit integers quoted', () => {
    const event = storedEvent({
      site: 's.example',
      visitor_id: '16644918395299250123',
      event_id: 'ffffffff-ffff-ffff-0000-000000000000',
      timestamp: '2026-03-01 06:09:00.000',
      path: '/in',
    });
    const visit = { ...visitOf(event), version: 3, source: { topic: 't', partition: 2, offset: 123n } };
    const row = JSON.parse(JSON.stringify(visitRow(visit, 1))) as VisitRowRead & typeof visit.entry;
    expect(visitFromRow(row)).toEqual(visit);
    expect(() => visitFromRow({ ...row, visitor_id: Number(row.visitor_id) })).toThrow(/visitor_id/);
  });
});
