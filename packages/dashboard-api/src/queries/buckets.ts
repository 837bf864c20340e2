/** Time buckets of `/timeseries`: UTC minutes, hours or days. Only these strings reach SQL. */
export const INTERVALS = ['minute', 'hour', 'day'] as const;

export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Record<Interval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const START_OF = { minute: 'toStartOfMinute', hour: 'toStartOfHour', day: 'toStartOfDay' } as const;

/** The bucket of a rollup row (`minute` column) and of a raw row (`timestamp`), as UTC seconds. */
export function bucketSql(interval: Interval, column: 'minute' | 'timestamp'): string {
  return `toUnixTimestamp(${START_OF[interval]}(toDateTime(${column}, 'UTC')))`;
}

/** Every bucket start (ms) from the one holding `from` to the one holding `to`. */
export function bucketStarts(interval: Interval, from: Date, to: Date): number[] {
  const step = INTERVAL_MS[interval];
  const starts: number[] = [];
  for (let t = Math.floor(from.getTime() / step) * step; t <= to.getTime(); t += step) starts.push(t);
  return starts;
}

/** How many buckets a range spans (a series keeps within `MAX_POINTS`, routes/stats.ts). */
export function bucketCount(interval: Interval, from: Date, to: Date): number {
  const step = INTERVAL_MS[interval];
  return Math.floor(to.getTime() / step) - Math.floor(from.getTime() / step) + 1;
}
