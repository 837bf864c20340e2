/** Time buckets of `/timeseries`: UTC minutes, hours or days (the Query API's `time:*` in UTC). */
export const INTERVALS = ['minute', 'hour', 'day'] as const;

export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Record<Interval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** How many buckets a range spans (a series keeps within `MAX_POINTS`, routes/stats.ts). */
export function bucketCount(interval: Interval, from: Date, to: Date): number {
  const step = INTERVAL_MS[interval];
  return Math.floor(to.getTime() / step) - Math.floor(from.getTime() / step) + 1;
}
