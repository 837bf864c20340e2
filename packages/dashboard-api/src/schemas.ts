/**
 * The Stats API's parameter and answer shapes (SPEC §6), once: the routes validate queries
 * with them and `/openapi.json` is generated from them.
 */
import { z } from 'zod';
import { SITE_PATTERN, TIME_PATTERN, WINDOW_PATTERN } from './patterns.ts';
import { INTERVALS } from './queries/buckets.ts';
import { DIMENSIONS } from './queries/dimensions.ts';

const site = z
  .string({ error: 'is required' })
  .min(1, { error: 'is required' })
  .max(253, { error: 'must be a host name' })
  .regex(new RegExp(SITE_PATTERN), { error: 'must be a host name' })
  .describe('The site, as sent by the tracker (a host name, case-insensitive).');
const window = z
  .string({ error: 'must be 30s to 90d, like 5m, 1h or 7d' })
  .regex(new RegExp(WINDOW_PATTERN), { error: 'must be 30s to 90d, like 5m, 1h or 7d' })
  .describe(
    "The range's length, 30s … 90d (e.g. 30s, 5m, 1h, 7d), ending at `to` (default now); with `from`, the range starts at whichever is later.",
  );
const TIME_RULE = 'must be an ISO 8601 date or time with a zone, like 2026-01-31 or 2026-01-31T12:00:00Z';
const isoTime = z.string({ error: TIME_RULE }).regex(new RegExp(TIME_PATTERN), { error: TIME_RULE });
const limit = (fallback: number) =>
  z.coerce
    .number({ error: 'must be an integer from 1 to 1000' })
    .int({ error: 'must be an integer from 1 to 1000' })
    .min(1, { error: 'must be an integer from 1 to 1000' })
    .max(1000, { error: 'must be an integer from 1 to 1000' })
    .optional()
    .describe(`Most rows to return, 1 … 1000 (default ${fallback}).`);

const range = {
  window: window.optional(),
  from: isoTime.describe('Range start (ISO 8601 date or time with a zone); a `from` after the end gives an empty range.').optional(),
  to: isoTime.describe('Range end (ISO 8601 date or time with a zone; default now). Times are kept within 1970 … 2299.').optional(),
};
const dimension = z.enum(DIMENSIONS, { error: `must be one of ${DIMENSIONS.join(', ')}` });

export const QUERY = {
  live: z.object({ site, ...range }),
  topPages: z.object({ site, ...range, limit: limit(20) }),
  timeseries: z.object({
    site,
    ...range,
    interval: z
      .enum(INTERVALS, { error: `must be one of ${INTERVALS.join(', ')}` })
      .optional()
      .describe(
        'Bucket size (UTC); default by the range (minute up to a day, hour up to 30 days, day). One that would give more than 2 200 points is coarsened (the answer says which); past 2 200 days, the series keeps the last 2 200.',
      ),
    breakdown: dimension.optional().describe('Split every bucket by this dimension.'),
    limit: limit(10).describe('With breakdown: the values with the most views over the range, 1 … 1000 (default 10).'),
  }),
  breakdown: z.object({ site, ...range, dimension: dimension.describe('What to break down by.'), limit: limit(20) }),
  anomaly: z.object({ site }),
  stream: z.object({ site, window: window.optional() }),
  freshness: z.object({ site: site.optional().describe('Only this site (default: all sites).') }),
  sites: z.object({ limit: limit(100) }),
};

const count = z.number().int().min(0);
const time = z.string().describe('ISO 8601, UTC');

export const ANSWER = {
  live: z.object({
    site: z.string(),
    window: z.string().nullable().describe('The window asked for, or null for from/to.'),
    from: time,
    to: time,
    views: count.describe('Pageviews.'),
    visitors: count.describe('Distinct visitors with a pageview.'),
    avgDurationMs: count.describe('Mean time on page (engagement events), ms; 0 when none.'),
  }),
  topPages: z.object({
    pages: z.array(z.object({ path: z.string(), views: count, visitors: count, avgDurationMs: count })),
  }),
  timeseries: z.object({
    interval: z.enum(INTERVALS),
    breakdown: dimension.nullable(),
    points: z.array(
      z.object({
        time,
        ...Object.fromEntries(DIMENSIONS.map((d) => [d, z.string().optional()])),
        views: count,
        visitors: count,
      }),
    ),
  }),
  breakdown: z.object({
    dimension,
    rows: z.array(
      z.object({
        value: z.string().describe("The dimension's value; '' when the event had none (direct visit, no UTM, unknown country)."),
        views: count.describe('Pageviews; for dimension=event, the number of those custom events.'),
        visitors: count,
      }),
    ),
  }),
  anomaly: z.object({
    currentViews: count.describe('Pageviews from the start of this hour (UTC) to now.'),
    previousViews: count.describe('Pageviews over the same elapsed span of the same hour 7 days earlier.'),
    changePct: z.number().nullable().describe('Change in percent, one decimal; null when previousViews is 0.'),
    from: time,
    to: time,
    previousFrom: time,
    previousTo: time,
  }),
  freshness: z.object({
    lagMs: count
      .nullable()
      .describe('How far stored data trails the collector: 0 when the queue is drained, else the age of the newest stored event.'),
    lastEventAt: time.nullable().describe('Receive time of the newest stored event (last 24 h), or null.'),
    queueBacklog: count.nullable().describe('Events accepted but not yet stored, when this process can see the queue; else null.'),
  }),
  sites: z.object({ sites: z.array(z.object({ site: z.string(), views: count })) }),
  error: z.object({ error: z.string(), field: z.string().optional() }),
};

export type Answer<K extends keyof typeof ANSWER> = z.infer<(typeof ANSWER)[K]>;
