/**
 * The totals of a time series whose buckets start inside UTC days (daily in Asia/Kolkata: every
 * UTC day is cut at 18:30) from its rows, with no statement of their own. Visitor ids rotate with
 * the UTC day, so a visitor counted in two buckets is one id of a UTC day cut by a bucket start,
 * seen on both sides of the cut: the total is the rows' sum less, per cut day, the visitors on
 * both sides — before + after − the whole day, three numbers the query's check already returned
 * for a counted day (`counted.ts`). So this applies when every UTC day of the range cut by a
 * bucket start is a whole day with a current count of its splits; the range's partial edge days
 * must hold no bucket start. Sums (pageviews, events, visits, …) simply add up. Otherwise null:
 * the totals get their statement as before.
 */
import type { CountedDay } from './counted.ts';
import { countsEligible, daySplits, type StatementInput } from './statements.ts';

const QUARTER = 900_000;
const DAY = 86_400_000;

/** The visitors counted twice by the rows (cut days seen on both sides), or null when they are not all known. */
export function seriesOverlap(input: StatementInput, buckets: readonly number[]): number | null {
  if (!countsEligible(input) || input.counted === undefined || input.imported !== undefined) return null;
  const q0 = Math.ceil(input.from / QUARTER) * QUARTER;
  const q1 = Math.floor(input.to / QUARTER) * QUARTER;
  const [d0, d1] = [Math.ceil(q0 / DAY) * DAY, Math.floor(q1 / DAY) * DAY];
  if (d0 >= d1) return null;
  // The partial edge days lie in one bucket each.
  if (buckets.some((t) => (t > input.from && t < d0) || (t > d1 && t < input.to))) return null;
  const splits = daySplits(d0, d1, buckets);
  if (splits === null) return null;
  const byDay = new Map<string, CountedDay>(input.counted.map((c) => [`${c.site}\n${c.day}`, c]));
  let overlap = 0;
  for (const [i, q] of splits.entries()) {
    if (q === 0) continue;
    for (const site of input.sites) {
      const c = byDay.get(`${site}\n${d0 + i * DAY}`);
      if (c === undefined) continue; // no events that day
      if (!c.split || c.sums === undefined || c.split_at?.q !== q) return null;
      overlap += Number(c.split_at.before.visitors) + Number(c.split_at.afterVisitors) - Number(c.sums.visitors);
    }
  }
  return overlap;
}
