import { describe, expect, it } from 'vitest';
import { type CountedPart, partsPerSite } from './counted.ts';

const sums = (n: bigint) => ({
  visitors: String(n),
  pageviews: String(n * 2n),
  customs: String(n * 3n),
  engagements: String(n * 4n),
  engagedMs: String(n * 5n),
});

describe('partsPerSite', () => {
  it("sums each site's parts into one dated at its first, as exact 64-bit numbers, leaving its input alone", () => {
    const big = 2n ** 60n;
    const parts: CountedPart[] = [
      { site: 'b', at: 3_000, sums: sums(big) },
      { site: 'a', at: 2_000, sums: sums(1n) },
      { site: 'b', at: 1_000, sums: sums(big + 7n) },
      { site: 'a', at: 5_000, sums: sums(10n) },
    ];
    const before = structuredClone(parts);
    expect(partsPerSite(parts)).toEqual([
      { site: 'b', at: 1_000, sums: sums(2n * big + 7n) },
      { site: 'a', at: 2_000, sums: sums(11n) },
    ]);
    expect(parts).toEqual(before);
    expect(partsPerSite([])).toEqual([]);
  });
});
