/**
 * A seeded dataset whose answers are known, for the dashboard tests: events written straight
 * into `events` (the materialized views fill the rollups) around a pinned clock `NOW`, so
 * every route can be asked with `now: () => NOW` and checked exactly.
 *
 * NOW is hh:25:30.500 of an hour two days ago. `window=5m` is [hh:20:30.500, NOW]: whole
 * minutes 21–24 come from the rollups, the edges [20:30.5, 21:00) and [25:00, 25:30.5]
 * from the raw table.
 */
import { randomUUID } from 'node:crypto';
import { type ClickHouseClient, toClickHouseTime } from '@tidemark/shared';

const HOUR = 3_600_000;
export const NOW = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR + 25 * 60_000 + 30_500;
export const WEEK = 7 * 24 * HOUR;
export const SITE = 'seed.example';
export const FRESH_SITE = 'fresh.example';

interface Seed {
  at: number;
  name?: string;
  visitor: number;
  path?: string;
  country?: string;
  source?: string;
  device?: string;
  durationMs?: number;
  site?: string;
}

// Relative to NOW (ms). Visitors: A=1 B=2 C=3 D=4 E=5 F=6.
const SEEDS: Seed[] = [
  { at: -601_000, visitor: 6, path: '/c', country: 'GB' }, // p0: 15:29.5, before the 10m window, same minute bucket as its start
  { at: -310_000, visitor: 5, path: '/c', country: 'GB' }, // p1: 20:20.5, in 10m, not in 5m
  { at: -299_000, visitor: 1, path: '/a', country: 'DE', source: 'search' }, // p2: 20:31.5, 5m lower raw edge
  { at: -250_000, visitor: 1, path: '/a', name: 'engagement', durationMs: 3000 },
  { at: -200_000, visitor: 1, path: '/b', country: 'FR', source: 'social', device: 'mobile' }, // p3: rollup minute 22
  { at: -100_000, visitor: 2, path: '/a', country: 'DE' }, // p4: rollup minute 23
  { at: -50_000, visitor: 2, path: '/a', name: 'signup' }, // custom event
  { at: -10_000, visitor: 3, path: '/a', country: 'US' }, // p5: 25:20.5, upper raw edge
  { at: -5_000, visitor: 3, path: '/a', name: 'engagement', durationMs: 5000 },
  { at: 5_000, visitor: 4, path: '/a', country: 'US' }, // p6: after NOW, never counted
  // Seven days earlier: in the same elapsed span of the hour…
  { at: -WEEK - 1_500_000, visitor: 7, path: '/a' }, // hh:00:30.5
  { at: -WEEK - 1_000_000, visitor: 7, path: '/a' },
  { at: -WEEK - 10_000, visitor: 8, path: '/a' }, // raw edge of the previous period
  // …and not: later in that hour (the partial-hour bug counts these) and the hour before.
  { at: -WEEK + 10_000, visitor: 8, path: '/a' },
  { at: -WEEK + 30 * 60_000, visitor: 9, path: '/a' },
  { at: -WEEK - 25 * 60_000 - 30_500 - 1, visitor: 9, path: '/a' },
  // Freshness: one event 1 234 ms before NOW.
  { at: -1_234, visitor: 10, path: '/', site: FRESH_SITE },
];

export const EXPECTED = {
  live5m: { views: 4, visitors: 3, avgDurationMs: 4000 },
  anomaly: { currentViews: 6, previousViews: 3, changePct: 100 },
};

export async function seed(client: ClickHouseClient, database: string): Promise<void> {
  const values = SEEDS.map((s) => ({
    event_id: randomUUID(),
    site: s.site ?? SITE,
    name: s.name ?? 'pageview',
    timestamp: toClickHouseTime(NOW + s.at),
    visitor_id: String(s.visitor),
    session_id: String(s.visitor),
    path: s.path ?? '/',
    url: `https://${s.site ?? SITE}${s.path ?? '/'}`,
    host: s.site ?? SITE,
    country: s.country ?? '',
    referrer_source: s.source ?? 'direct',
    device: s.device ?? 'desktop',
    browser: 'Chrome',
    os: 'Windows',
    duration_ms: s.durationMs ?? 0,
  }));
  await client.insert({ table: `${database}.events`, values, format: 'JSONEachRow' });
}
