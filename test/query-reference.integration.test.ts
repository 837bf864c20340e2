/**
 * The Query API against its plain-TypeScript reference (test/reference/query.ts), on random
 * workloads (visitors with gaps around 30 minutes, SPA pageviews, engagements, custom events
 * with props, UTM links, click ids, AI and search referrers; 10 % of events arrive late or
 * backdated by up to 6 hours) stored through the real ingester — the in-process queue into the
 * embedded engine, and Kafka (3 partitions, the visits cut per partition) into the ClickHouse
 * server — and random queries over every metric, dimension, filter operator, time zone
 * (including Asia/Kolkata, Asia/Kathmandu, Australia/Eucla and the October DST days of
 * Europe/Berlin and America/New_York) and comparison. A failure prints the query's seed.
 */

import { randomUUID } from 'node:crypto';
import { createDashboardApp, type Goal, type GoalLookup, parseFunnel, parseQuery } from '@tidemark/dashboard-api';
import { countVisitors, createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  createAccessRegistry,
  createClickHouse,
  createKafkaQueueConsumer,
  createMemoryQueue,
  EXACT_64BIT_JSON,
  loadConfig,
  plainLogger,
  type StoredEvent,
  storedEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { operationChecker } from './dashboard-openapi.ts';
import { processDataDir, uniqueName, waitFor } from './harness.ts';
import { groupState, produce, uniqueTopics } from './ingester-support.ts';
import { referenceFunnel } from './reference/funnel.ts';
import { randomQuery } from './reference/queries.ts';
import { referenceQuery } from './reference/query.ts';
import { arrivalOrder, prng, workload } from './reference/workload.ts';

const HOUR = 3_600_000;
/** A pinned clock: noon UTC two days ago (raw events are kept 90 days, so everything stays). */
const NOW = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 36 * HOUR;
const SITES = ['a.example', 'b.example'];
/** The whole UTC days of the near workload, up to the day of NOW (its late events arrive after the counts). */
const NEAR_DAYS: [string, string] = [new Date(NOW - 60 * HOUR).toISOString().slice(0, 10), new Date(NOW).toISOString().slice(0, 10)];
/**
 * a.example has configured goals (overlapping pageview globs, event goals); b.example none, so
 * each custom event name is its goal. PROP_GOALS adds a goal with a property condition.
 */
const GOALS: Goal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Blog', path: '/blog/*' },
  { name: 'Any blog', path: '/blog**' },
  { name: 'Docs', path: '/docs**' },
  { name: 'Download', event: 'download' },
  { name: 'Pricing', path: '/pricing' },
];
const goals: GoalLookup = (site) => (site === SITES[0] ? GOALS : null);
const PROP_GOALS: Goal[] = [
  ...GOALS,
  { name: 'Pro signup', event: 'signup', props: { plan: 'pro' } },
  { name: 'Free download', event: 'download', props: { plan: 'free' } },
];
const propGoals: GoalLookup = (site) => (site === SITES[0] ? PROP_GOALS : null);
const DST = Date.UTC(2026, 9, 24); // Europe/Berlin 2026-10-25, America/New_York 2026-11-01
const DATE_RANGES: unknown[] = [
  '5m',
  '30m',
  '6h',
  '24h',
  'realtime',
  'today',
  'yesterday',
  '7d',
  'month',
  '12mo',
  'all',
  ['2026-10-24', '2026-10-26'],
  ['2026-10-25', '2026-10-25'],
  ['2026-10-31', '2026-11-02'],
  ['2026-10-25T00:30:00+02:00', '2026-10-25T05:45:30.250Z'],
  [new Date(NOW - 30 * HOUR).toISOString(), new Date(NOW - 2 * HOUR + 1234).toISOString()],
].filter((r) => !Array.isArray(r) || Date.parse(String(r[0])) > NOW - 80 * 24 * HOUR);

/** A site's most common value of a visit attribute (a dashboard row click); '' when it has no visits. */
async function topValue(client: ClickHouseClient, database: string, site: string, column: string): Promise<string> {
  const [top] = await (
    await client.query({
      query: `SELECT toString(${column}) AS value FROM ${database}.visits FINAL WHERE site = {site:String} GROUP BY value ORDER BY count() DESC, value LIMIT 1`,
      query_params: { site },
      format: 'JSONEachRow',
    })
  ).json<{ value: string }>();
  return top?.value ?? '';
}

function events(): StoredEvent[] {
  const near = workload({ seed: 11, sites: SITES, visitors: 45, start: NOW - 50 * HOUR, spanMs: 50 * HOUR });
  const dst = workload({ seed: 12, sites: SITES, visitors: 45, start: DST, spanMs: 10 * 24 * HOUR });
  // Only what lies before the pinned now: the rest would be "in the future" for every query.
  return [...near, ...dst].filter((e) => Date.parse(`${e.timestamp.replace(' ', 'T')}Z`) <= NOW);
}

/**
 * Events of a complete UTC month (the one before NOW's) that arrive last, after the visitor counts:
 * that month's per-path month rows and its days' counts go stale (its earlier months stay current).
 */
function backdated(): StoredEvent[] {
  const now = new Date(NOW);
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 3, 10);
  return workload({ seed: 13, sites: SITES, visitors: 8, start, spanMs: 4 * HOUR });
}

/**
 * Events of the complete UTC month two before NOW's, sent first: a month whose per-path month rows
 * stay current whatever the day (on the 1st and 2nd of a month the near workload's late tail and the
 * backdated events make both earlier months stale, and the DST workload's months age out).
 */
function older(): StoredEvent[] {
  const now = new Date(NOW);
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 20, 10);
  return workload({ seed: 14, sites: SITES, visitors: 8, start, spanMs: 4 * HOUR });
}

/**
 * Visits of a.example that a pageview goal of a literal path (Pricing: `/pricing`) must tell apart,
 * on a whole UTC day of the near workload (11:00 two days before NOW's) and on the partial UTC day
 * of NOW (08:00; a range ending at NOW reads it from the visits): custom events on /pricing and no
 * pageview of it (never counted), two pageviews of /pricing (counted once), and visits rewritten by
 * events that arrive last (`late`): a visit whose custom event on /pricing is later joined by a
 * pageview of /pricing (counted from then on), one whose pageview of /pricing is followed by more.
 */
function pricing(): { early: StoredEvent[]; late: StoredEvent[] } {
  const early: StoredEvent[] = [];
  const late: StoredEvent[] = [];
  const day = Math.floor(NOW / (24 * HOUR)) * 24 * HOUR;
  for (const [k, start] of [
    [0, day - 48 * HOUR + 11 * HOUR],
    [1, day + 8 * HOUR],
  ] as const) {
    const event = (visitor: number, minute: number, name: string, path: string, extra: Partial<StoredEvent> = {}) =>
      storedEvent({
        event_id: randomUUID(),
        site: SITES[0],
        name,
        path,
        url: `https://${SITES[0]}${path}`,
        host: SITES[0],
        timestamp: toClickHouseTime(start + minute * 60_000),
        visitor_id: String(900_000_000 + k * 10 + visitor),
        session_id: String(k * 10 + visitor),
        country: ['NL', 'US', 'DE'][visitor % 3] as string,
        device: visitor % 2 === 0 ? 'mobile' : 'desktop',
        referrer_source: visitor % 2 === 0 ? 'search' : 'direct',
        ...(visitor % 2 === 0 ? { referrer: 'https://www.google.com/', referrer_host: 'google.com' } : {}),
        ...extra,
      });
    // Custom events on /pricing, no pageview of it: a pageview of /about, two signups on /pricing.
    early.push(event(0, 0, 'pageview', '/about'), event(0, 2, 'signup', '/pricing'), event(0, 3, 'download', '/pricing'));
    // Two pageviews of /pricing: one visit.
    early.push(event(1, 0, 'pageview', '/pricing'), event(1, 4, 'pageview', '/pricing'), event(1, 9, 'pageview', '/docs'));
    // A custom event on /pricing, its pageview of /pricing arriving last (the visit is rewritten).
    early.push(event(2, 0, 'signup', '/pricing'));
    late.push(event(2, 5, 'pageview', '/pricing'));
    // A bounce on /pricing, turned into a longer visit by a late pageview of /blog/one.
    early.push(event(3, 0, 'pageview', '/pricing'));
    late.push(event(3, 12, 'pageview', '/blog/one'));
    // A pageview of /pricing, a later custom event on /pricing and a pageview elsewhere arriving last.
    early.push(event(4, 0, 'pageview', '/pricing'));
    late.push(event(4, 1, 'signup', '/pricing'), event(4, 20, 'pageview', '/'));
  }
  return { early, late };
}

describe.each(['embedded', 'server'] as const)('Query API = reference on random workloads (%s)', (mode) => {
  const database = uniqueName('query_ref');
  const crafted = pricing();
  const all = [...older(), ...crafted.early, ...arrivalOrder(events(), 7, 0.1), ...backdated(), ...crafted.late];
  let client: ClickHouseClient;
  let app: ReturnType<typeof createDashboardApp>;
  let propApp: ReturnType<typeof createDashboardApp>;
  const topics = uniqueTopics('query_ref');

  beforeAll(async () => {
    const config = loadConfig({
      CLICKHOUSE_DATABASE: database,
      ...(mode === 'server' ? { CLICKHOUSE_URL: inject('clickhouseUrl') } : { DATA_DIR: processDataDir() }),
    });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    // No merge folds a rewritten visit's row and its cancel away before the queries: the visit reads
    // that weight rows by their sign, not FINAL, must see both (a merge would hide a wrong weighting).
    await client.command({ query: `SYSTEM STOP MERGES ${database}.visits` });
    const registry = new Registry();
    const log = plainLogger('warn');
    // Nine tenths of the events, then the complete days' visitor counts, then the rest (late and
    // backdated events among them): some counts stay current, others go stale, and every answer
    // below must be the reference's either way.
    const split = Math.floor(all.length * 0.9);
    if (mode === 'embedded') {
      const queue = createMemoryQueue({ maxRows: 97, intervalMs: 50 });
      const ingester = createIngester({ client, database, consumer: queue.consumer, log, metrics: createIngesterMetrics(registry) });
      await ingester.start();
      const send = async (events: StoredEvent[]) => {
        for (let i = 0; i < events.length; i += 40) await queue.producer.send(events.slice(i, i + 40));
        await waitFor(
          async () => queue.size(),
          (n) => n === 0,
          60_000,
          50,
        );
      };
      await send(all.slice(0, split));
      await countVisitors(client, database);
      await send(all.slice(split));
      await ingester.stop();
    } else {
      const brokers = inject('kafkaBrokers');
      const kafka = loadConfig({
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC: topics.topic,
        KAFKA_DLQ_TOPIC: topics.dlqTopic,
        KAFKA_GROUP_ID: topics.groupId,
        KAFKA_PARTITIONS: '3',
      }).kafka;
      await produce(brokers, topics, all.slice(0, split), 3, 50);
      const consumer = await createKafkaQueueConsumer(kafka, log, { maxRows: 120, intervalMs: 100 });
      const ingester = createIngester({ client, database, consumer, log, metrics: createIngesterMetrics(registry) });
      await ingester.start();
      const drained = async (after: number) => {
        const state = await waitFor(
          () => groupState(brokers, topics),
          (s) => s.produced > after && s.lag === 0,
          90_000,
          250,
        );
        expect(state.lag).toBe(0);
        return state.produced;
      };
      const first = await drained(0);
      await countVisitors(client, database);
      await produce(brokers, topics, all.slice(split), 3, 50);
      await drained(first);
      await ingester.stop();
    }
    const access = createAccessRegistry({ client, database, log });
    const options = { client, database, token: null, access, log, now: () => NOW };
    app = createDashboardApp({ ...options, registry: new Registry(), siteGoals: goals });
    propApp = createDashboardApp({ ...options, registry: new Registry(), siteGoals: propGoals });
  });

  afterAll(async () => {
    app?.close();
    propApp?.close();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  async function ask(body: Record<string, unknown>, on = app) {
    const res = await on.request('/api/v2/query', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(json)} for ${JSON.stringify(body)}`);
    return json as { results: unknown[]; totals: unknown[] };
  }

  /** Asks each query and expects the reference's answer; returns the tables that answered them (`meta.tables`). */
  async function answersEqualReference(bodies: Record<string, unknown>[]): Promise<Set<string>> {
    const tables = new Set<string>();
    for (const body of bodies) {
      const got = await ask(body);
      for (const t of (got as unknown as { meta: { tables: string[] } }).meta.tables) tables.add(t.split('.')[1] ?? t);
      const want = referenceQuery(all, parseQuery(body), NOW, goals);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
    }
    return tables;
  }

  it('stores every event once and exactly the reference visits', async () => {
    const result = await client.query({
      query: `SELECT count() AS visits, sum(pageviews) AS pageviews, sum(events) AS custom FROM ${database}.visits FINAL`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<Record<string, string | number>>();
    // Rewritten visits keep their old rows and cancels (merges are stopped): the sign-weighted reads meet them.
    const cancels = await client.query({ query: `SELECT count() AS n FROM ${database}.visits WHERE sign = -1`, format: 'JSONEachRow' });
    const [cancelled] = await cancels.json<{ n: string }>();
    expect(Number(cancelled?.n)).toBeGreaterThan(0);
    const reference = referenceQuery(all, parseQuery({ site: SITES, metrics: ['pageviews', 'events'], dateRange: 'all' }), NOW);
    const { cutVisits } = await import('./reference/visits.ts');
    const visits = cutVisits(all);
    expect({ visits: Number(row?.visits), pageviews: Number(row?.pageviews), custom: Number(row?.custom) }).toEqual({
      visits: visits.length,
      pageviews: reference.totals[0],
      custom: reference.totals[1],
    });
    // The visit rollups (sign-weighted sums of every visit row written, cancels included) equal
    // `visits` FINAL per dimension value, after the late events above rewrote many visits.
    const sums = async (from: string, dimension: string, value: string) => {
      const r = await client.query({
        query: `SELECT ${value} AS value, sum(visits) AS visits, sum(bounces) AS bounces, sum(duration) AS duration, sum(pageviews) AS pageviews
                FROM ${from} GROUP BY value HAVING visits != 0 ORDER BY value`,
        query_params: { dimension },
        format: 'JSONEachRow',
      });
      return r.json();
    };
    const finalVisits = `(SELECT channel, 1 AS visits, toInt64(pageviews = 1 AND events = 0) AS bounces,
      toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at) AS duration, pageviews
      FROM ${database}.visits FINAL WHERE pageviews + events > 0)`;
    // Visitor counts: some days current (their events equal the day rollup's), some stale (late
    // events came after counting) — the queries below sum the first and merge states for the others.
    const counts = await client.query({
      query: `SELECT countIf(c.events = r.e) AS current, countIf(c.events != r.e) AS stale
              FROM (SELECT site, bucket, max(events) AS events FROM ${database}.visitors_1d WHERE dimension = 'page' GROUP BY site, bucket) AS c
              INNER JOIN (SELECT site, bucket, sum(events) AS e FROM ${database}.pages_1d GROUP BY site, bucket) AS r
              ON c.site = r.site AND c.bucket = r.bucket`,
      format: 'JSONEachRow',
      clickhouse_settings: EXACT_64BIT_JSON,
    });
    const [keys] = await counts.json<{ current: string; stale: string }>();
    expect(Number(keys?.current)).toBeGreaterThan(3);
    expect(Number(keys?.stale)).toBeGreaterThan(0);
    const want = await sums(finalVisits, '', 'toString(channel)');
    expect(want.length).toBeGreaterThan(3);
    for (const table of ['visits_15m', 'visits_1d'])
      expect(await sums(`${database}.${table} WHERE dimension = {dimension:String}`, 'channel', 'value')).toEqual(want);
  });

  it('answers the dashboard queries exactly', async () => {
    // A range whose partial quarter-hours at both ends hold a visit's first event (raw events and `visits` read there), with a
    // whole UTC day in it and in the period before it (the whole-site statement answers it).
    const firsts = new Map<string, number>();
    for (const e of all) {
      const key = `${e.site} ${e.visitor_id}`;
      const t = Date.parse(`${e.timestamp.replace(' ', 'T')}Z`);
      if (t < (firsts.get(key) ?? Number.POSITIVE_INFINITY)) firsts.set(key, t);
    }
    const starts = [...firsts.values()].filter((t) => t % 900_000 !== 0).sort((a, b) => a - b);
    const edges = {
      from: starts.find((t) => t >= NOW - 49 * HOUR) ?? NOW - 49 * HOUR,
      to: starts.findLast((t) => t <= NOW - 3 * HOUR) ?? NOW - 3 * HOUR,
    };
    const bodies = [
      {
        site: SITES[0],
        metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'views_per_visit'],
        dateRange: '7d',
        compare: 'previous_period',
      },
      {
        site: SITES[0],
        metrics: ['visitors', 'pageviews'],
        dateRange: ['2026-10-24', '2026-10-27'],
        timezone: 'Europe/Berlin',
        dimensions: ['time:hour'],
      },
      {
        site: SITES,
        metrics: ['visitors', 'visits', 'pageviews', 'events', 'time_on_page'],
        dateRange: ['2026-10-24', '2026-11-02'],
        timezone: 'Asia/Kathmandu',
        dimensions: ['time:day'],
      },
      // The near days, the last of them counted before its late events (stale): its counts must not be read.
      ...['UTC', 'Asia/Kolkata', 'America/New_York'].map((timezone) => ({
        site: SITES,
        metrics: ['visitors', 'visits', 'pageviews', 'events', 'time_on_page'],
        dateRange: NEAR_DAYS,
        timezone,
        dimensions: ['time:day'],
      })),
      { site: SITES, metrics: ['visitors', 'visits', 'pageviews', 'events'], dateRange: NEAR_DAYS },
      // Whole-site totals (site-totals.ts: one statement over site_days, the partial days' quarter-hours and the raw edges),
      // both periods, ranges that end now and start off a quarter-hour, in zones off UTC.
      {
        site: SITES,
        metrics: [
          'visitors',
          'visits',
          'pageviews',
          'events',
          'bounce_rate',
          'visit_duration',
          'views_per_visit',
          'time_on_page',
          'percentage',
        ],
        dateRange: [new Date(edges.from).toISOString(), new Date(edges.to).toISOString()],
        compare: 'previous_period',
      },
      {
        site: SITES[0],
        metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'],
        dateRange: '28d',
        timezone: 'Asia/Kolkata',
        compare: 'previous_period',
      },
      {
        site: SITES[0],
        metrics: ['visitors', 'pageviews', 'visits'],
        dateRange: [new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(), new Date(NOW - 2 * HOUR + 1234).toISOString()],
        compare: 'year_over_year',
      },
      { site: SITES[0], metrics: ['visitors', 'pageviews'], dateRange: NEAR_DAYS, dimensions: ['page'], limit: 100 },
      // UTC buckets: the totals are the sums of the rows (no statement of their own).
      {
        site: SITES,
        metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'views_per_visit'],
        dateRange: ['2026-10-24', '2026-11-02'],
        dimensions: ['time:day'],
      },
      { site: SITES[0], metrics: ['visitors', 'pageviews', 'percentage'], dateRange: '30d', dimensions: ['time:week'] },
      { site: SITES[0], metrics: ['visitors', 'pageviews', 'time_on_page'], dateRange: '7d', dimensions: ['page'], limit: 100 },
      { site: SITES[0], metrics: ['visits', 'visitors', 'bounce_rate'], dateRange: '7d', dimensions: ['entry_page'] },
      { site: SITES[0], metrics: ['visits', 'visitors'], dateRange: '7d', dimensions: ['channel'] },
      {
        site: SITES[0],
        metrics: ['visitors', 'percentage'],
        dateRange: '7d',
        dimensions: ['source'],
        filters: [['contains', 'page', ['/blog/']]],
      },
      { site: SITES[0], metrics: ['visitors', 'conversions', 'conversion_rate'], dateRange: '7d', dimensions: ['goal'] },
      {
        site: SITES[0],
        metrics: ['visitors', 'events'],
        dateRange: '7d',
        dimensions: ['prop:plan'],
        filters: [['is', 'event', ['signup']]],
      },
      {
        site: SITES[0],
        metrics: ['visits', 'bounce_rate'],
        dateRange: '7d',
        dimensions: ['page'],
        filters: [['matches', 'page', ['^/docs']]],
      },
      // A click on a visit attribute (visit-events.ts): event metrics counted from the visits inside
      // the range (and bucket), the events of the visits crossing its edges or a bucket read raw.
      ...[
        { dateRange: NEAR_DAYS, timezone: 'UTC', compare: 'previous_period' },
        { dateRange: [new Date(NOW - 30 * HOUR).toISOString(), new Date(NOW - 2 * HOUR + 1234).toISOString()], timezone: 'Asia/Kolkata' },
      ].flatMap((period) => [
        {
          site: SITES[0],
          metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
          filters: [['is', 'channel', ['Direct', 'Organic Search']]],
          ...period,
        },
        {
          site: SITES,
          metrics: ['visitors', 'pageviews', 'events', 'time_on_page'],
          dimensions: ['time:hour'],
          filters: [
            [
              'or',
              [
                ['is_not', 'country', ['DE']],
                ['contains', 'source', ['o']],
              ],
            ],
          ],
          ...period,
        },
        { site: SITES[0], metrics: ['visitors'], dimensions: ['time:day'], filters: [['is_not', 'channel', ['Direct']]], ...period },
        { site: SITES[0], metrics: ['visitors', 'percentage'], dimensions: ['page'], filters: [['is', 'device', ['desktop']]], ...period },
        {
          site: SITES,
          metrics: ['visitors', 'events'],
          dimensions: ['source'],
          filters: [['not', ['is', 'device', ['mobile']]]],
          ...period,
        },
        // The goals panel under a visit filter: conversions from the visits' pairs where each kind of a visit's events
        // completes one set of goals, raw events for the others (a.example's overlapping globs) and the crossing visits.
        {
          site: SITES[0],
          metrics: ['visitors', 'conversions', 'conversion_rate'],
          dimensions: ['goal'],
          filters: [['is', 'channel', ['Direct', 'Organic Search']]],
          ...period,
        },
        {
          site: SITES,
          metrics: ['visitors', 'pageviews', 'events', 'conversions', 'conversion_rate', 'percentage'],
          dimensions: ['goal'],
          filters: [['is_not', 'country', ['DE']]],
          ...period,
        },
        {
          site: SITES,
          metrics: ['conversions', 'visitors', 'conversion_rate'],
          dimensions: ['time:hour', 'goal'],
          filters: [['contains', 'source', ['o']]],
          ...period,
        },
        {
          site: SITES[1],
          metrics: ['visitors', 'conversions', 'conversion_rate'],
          dimensions: ['goal', 'device'],
          filters: [['not', ['is', 'device', ['mobile']]]],
          ...period,
        },
      ]),
    ];
    // The premise of the near days' queries: some of their whole UTC days have current counts, some stale.
    const [days] = await (
      await client.query({
        query: `SELECT countIf(c.ok = 1) AS current, countIf(c.ok = 0) AS stale
                FROM (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} GROUP BY site, bucket) AS r
                LEFT JOIN (SELECT site, bucket, events, 1 AS ok FROM ${database}.visitors_1d WHERE dimension = '' AND length(pageviews_before) = 96) AS c
                  ON c.site = r.site AND c.bucket = r.bucket AND c.events = r.e`,
        query_params: { from: NEAR_DAYS[0], to: new Date(Date.parse(NEAR_DAYS[1]) + 24 * HOUR).toISOString().slice(0, 10) },
        format: 'JSONEachRow',
      })
    ).json<{ current: string; stale: string }>();
    expect(Number(days?.current)).toBeGreaterThan(0);
    expect(Number(days?.stale)).toBeGreaterThan(0);
    const tables = await answersEqualReference(bodies);
    // Whole UTC days answer from the day rollups, other whole quarter-hours from the quarter-hour
    // ones (events and visits alike); `visits` itself for page filters and partial edges; raw
    // events only where needed.
    expect([...tables].sort()).toEqual([
      'events',
      'events_15m',
      'events_1d',
      'pages_1d',
      'site_days',
      'visitors_1d',
      'visits',
      'visits_15m',
      'visits_1d',
    ]);
  });

  it('reads whole months of pages from their month rows, and a zoned series takes its totals from its rows, exactly', async () => {
    // The premise: some complete months have current per-path month rows (page_visitors_1mo),
    // the backdated events that arrived after the count made the last complete month's stale.
    const [months] = await (
      await client.query({
        query: `SELECT countIf(m.events = r.e) AS current, countIf(m.events != r.e) AS stale
                FROM (SELECT site, bucket, max(events) AS events FROM ${database}.page_visitors_1mo GROUP BY site, bucket) AS m
                INNER JOIN (SELECT site, toDateTime(toStartOfMonth(bucket), 'UTC') AS month, sum(events) AS e FROM ${database}.events_1d GROUP BY site, month) AS r
                ON m.site = r.site AND m.bucket = r.month`,
        format: 'JSONEachRow',
      })
    ).json<{ current: string; stale: string }>();
    expect(Number(months?.current)).toBeGreaterThan(0);
    expect(Number(months?.stale)).toBeGreaterThan(0);
    const bodies = [
      { site: SITES[0], metrics: ['visitors', 'pageviews', 'events', 'time_on_page'], dateRange: '12mo', dimensions: ['page'], limit: 100 },
      { site: SITES, metrics: ['visitors', 'pageviews', 'percentage'], dateRange: 'all', dimensions: ['page'], compare: 'previous_period' },
      {
        site: SITES,
        metrics: ['visitors', 'pageviews'],
        dateRange: ['2026-10-01', new Date(NOW).toISOString().slice(0, 10)],
        dimensions: ['page'],
        filters: [['contains', 'page', ['/']]],
      },
      // Buckets inside UTC days: totals from the rows less the cut days' visitors on both sides (counted days), or a statement (stale ones).
      ...['Asia/Kolkata', 'America/New_York', 'Asia/Kathmandu'].flatMap((timezone) =>
        [['2026-10-24', '2026-11-02'], NEAR_DAYS, '30d'].map((dateRange) => ({
          site: SITES,
          metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'percentage'],
          dateRange,
          timezone,
          dimensions: ['time:day'],
        })),
      ),
      { site: SITES[0], metrics: ['visitors', 'pageviews'], dateRange: '12mo', timezone: 'Asia/Kolkata', dimensions: ['time:week'] },
    ];
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('page_visitors_1mo');
    // A current month every day of which has current whole-site and per-path counts, with partial
    // edges: the rows from the month rows, the totals from the check's numbers summed per site (`partsPerSite`).
    const [folded] = await (
      await client.query({
        query: `SELECT toUInt32(min(m.bucket)) AS month
                FROM (SELECT site, bucket, max(events) AS events FROM ${database}.page_visitors_1mo WHERE site = {site:String} GROUP BY site, bucket) AS m
                INNER JOIN (
                  SELECT r.site AS site, toDateTime(toStartOfMonth(r.bucket), 'UTC') AS month, sum(r.e) AS e,
                         countIf(c.whole AND c.page) = count() AS counted
                  FROM (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE site = {site:String} GROUP BY site, bucket) AS r
                  LEFT JOIN (
                    SELECT site, bucket, max(events) AS ev, maxIf(1, dimension = '') AS whole, maxIf(1, dimension = 'page') AS page
                    FROM ${database}.visitors_1d WHERE site = {site:String} GROUP BY site, bucket, events) AS c
                  ON c.site = r.site AND c.bucket = r.bucket AND c.ev = r.e
                  GROUP BY site, month) AS r
                ON m.site = r.site AND m.bucket = r.month
                WHERE m.events = r.e AND r.counted`,
        query_params: { site: SITES[0] },
        format: 'JSONEachRow',
      })
    ).json<{ month: number }>();
    expect(Number(folded?.month)).toBeGreaterThan(0);
    const m0 = Number(folded?.month) * 1000;
    const m1 = Date.UTC(new Date(m0).getUTCFullYear(), new Date(m0).getUTCMonth() + 1, 1);
    await answersEqualReference([
      {
        site: SITES[0],
        metrics: ['visitors', 'pageviews', 'events', 'time_on_page', 'percentage'],
        dateRange: [new Date(m0 - 5 * HOUR - 1234).toISOString(), new Date(m1 + 3 * HOUR + 4321).toISOString()],
        dimensions: ['page'],
        limit: 100,
      },
    ]);
  });

  it('counts visitors under one visit filter from the visit counts of current days and the visits of the others, exactly', async () => {
    // The premise: some complete days have current visit counts (visit_visitors_1d), and the late
    // and backdated events that arrived after the count made others stale.
    const [days] = await (
      await client.query({
        query: `SELECT countIf(c.ev = r.e) AS current, countIf(c.ev != r.e) AS stale
                FROM (SELECT site, bucket, max(events) AS ev FROM ${database}.visit_visitors_1d WHERE dimension = '' AND held = events GROUP BY site, bucket) AS c
                INNER JOIN (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d GROUP BY site, bucket) AS r
                ON c.site = r.site AND c.bucket = r.bucket`,
        format: 'JSONEachRow',
      })
    ).json<{ current: string; stale: string }>();
    expect(Number(days?.current)).toBeGreaterThan(0);
    expect(Number(days?.stale)).toBeGreaterThan(0);
    // Each site's most common value of a few visit attributes (a dashboard row click), and one no visit has.
    const filters: [string, string, string][] = [];
    for (const site of SITES)
      for (const [dimension, column] of [
        ['channel', 'channel'],
        ['country', 'country'],
        ['source', 'source'],
        ['device', 'device'],
        ['entry_page', 'entry_page'],
        ['utm_source', 'utm_source'],
      ]) {
        const top = await topValue(client, database, site as string, column as string);
        filters.push([site as string, dimension as string, top]);
      }
    filters.push([SITES[0] as string, 'country', 'no such country']);
    const ranges: unknown[] = [NEAR_DAYS, '30d', '7d', ['2026-10-24', '2026-11-02']];
    const ZONES = ['Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'Asia/Kathmandu'];
    const bodies = filters.flatMap(([site, dimension, value], i) => {
      const base = { site, filters: [['is', dimension, [value]]], dateRange: ranges[i % ranges.length] };
      return [
        { ...base, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
        { ...base, metrics: ['visitors', 'pageviews', 'events', 'time_on_page'], dimensions: ['time:day'] },
        { ...base, metrics: ['visitors', 'pageviews'], dimensions: ['time:week'], dateRange: '30d' },
        // A site's own zone, a range of instants: whole UTC days from the counts, the partial ones raw —
        // or, a partial day longer than half a day whose marks are current, its visitors from the marks
        // and its sums the day's counted sums less the rest of the day's (a half- or quarter-hour offset too).
        {
          ...base,
          metrics: ['visitors', 'pageviews', 'events', 'time_on_page', 'visits'],
          timezone: i % 2 ? 'Europe/Berlin' : 'Asia/Kolkata',
        },
        { ...base, metrics: ['visitors', 'pageviews', 'visits'], timezone: ZONES[(i + 3) % ZONES.length] },
        {
          ...base,
          metrics: ['visitors', 'events'],
          dateRange: [new Date(NOW - 9 * 24 * HOUR - 5 * HOUR - 1234).toISOString(), new Date(NOW - HOUR).toISOString()],
        },
        // A chart in a zone off UTC (visitors): each counted UTC day cut at the local midnight from its
        // quarter-hour marks (047) — half- and quarter-hour offsets, the October DST days (the fourth
        // range), a comparison, weeks.
        { ...base, metrics: ['visitors'], dimensions: ['time:day'], timezone: ZONES[i % ZONES.length] },
        {
          ...base,
          metrics: ['visitors', 'visits'],
          dimensions: ['time:day'],
          timezone: ZONES[(i + 1) % ZONES.length],
          compare: 'previous_period',
        },
        { ...base, metrics: ['visitors'], dimensions: ['time:week'], dateRange: '30d', timezone: ZONES[(i + 2) % ZONES.length] },
      ];
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('visit_visitors_1d');
    // Visitors by page: every page with visitors is the reference's. The reference also lists, with
    // 0 visitors, the path of a visit that is an engagement alone (one received after its visit's
    // UTC midnight gets the next day's id): a visit's (name, path) pairs leave engagements out, so
    // neither the counts nor the visits (visit-events.ts, on main as well) see that path.
    for (const [i, [site, dimension, value]] of filters.entries()) {
      const body = {
        site,
        filters: [['is', dimension, [value]]],
        dateRange: ranges[i % ranges.length],
        // Every third in a zone off UTC: the partial UTC days at either end read raw.
        ...(i % 3 === 0 ? { timezone: 'Europe/Berlin' } : {}),
        metrics: ['visitors'],
        dimensions: ['page'],
      };
      const got = await ask(body);
      expect((got as unknown as { meta: { tables: string[] } }).meta.tables.some((t) => t.endsWith('visit_visitors_1d'))).toBe(true);
      const want = referenceQuery(all, parseQuery(body), NOW, goals);
      const seen = (rows: unknown[]) => (rows as { metrics: number[] }[]).filter((r) => (r.metrics[0] ?? 0) > 0);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, results: seen(want.results), totals: want.totals });
    }
  });

  it('counts the goals panel under one visit, goal or event filter from the visit counts when every day is counted, exactly', async () => {
    // Per site, the longest run of consecutive UTC days whose visit counts are all current (the
    // counts answer the goals there) — and '30d', where some days are stale (the visits answer).
    const runs = new Map<string, [string, string]>();
    for (const site of SITES) {
      const days = await (
        await client.query({
          query: `SELECT toString(toDate(r.bucket)) AS day, countIf(c.events = r.e) > 0 AS current
                  FROM (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE site = {site:String} GROUP BY site, bucket) AS r
                  LEFT JOIN (SELECT site, bucket, events FROM ${database}.visit_visitors_1d WHERE dimension = '' AND held = events) AS c
                    ON c.site = r.site AND c.bucket = r.bucket
                  GROUP BY day ORDER BY day`,
          query_params: { site },
          format: 'JSONEachRow',
        })
      ).json<{ day: string; current: boolean | number }>();
      let best: [string, string, number] | null = null;
      let start: string | null = null;
      let prev: string | null = null;
      let length = 0;
      for (const d of days) {
        const next = prev !== null && Date.parse(d.day) - Date.parse(prev) === 86_400_000;
        if (Number(d.current) === 1) {
          if (start === null || !next) [start, length] = [d.day, 0];
          length++;
          if (best === null || length > best[2]) best = [start, d.day, length];
        } else start = null;
        prev = d.day;
      }
      expect(best?.[2] ?? 0).toBeGreaterThan(1);
      if (best) runs.set(site as string, [best[0], best[1]]);
    }
    const lookups: [string, GoalLookup][] = [
      ['every custom event name a goal (b.example), configured goals with pageview globs (a.example)', goals],
      [
        'event goals of two names',
        () => [
          { name: 'Signup', event: 'signup' },
          { name: 'Download', event: 'download' },
          { name: 'Any signup', event: 'signup' },
        ],
      ],
      ['one event goal', () => [{ name: 'Signup', event: 'signup' }]],
    ];
    for (const [, lookup] of lookups) {
      const on = createDashboardApp({
        client,
        database,
        token: null,
        access: createAccessRegistry({ client, database, log: plainLogger('warn') }),
        log: plainLogger('warn'),
        now: () => NOW,
        registry: new Registry(),
        siteGoals: lookup,
      });
      try {
        for (const site of SITES) {
          const filters: unknown[] = [];
          for (const [dimension, column] of [
            ['channel', 'channel'],
            ['country', 'country'],
            ['device', 'device'],
          ]) {
            const top = await topValue(client, database, site as string, column as string);
            filters.push(['is', dimension, [top]]);
          }
          // A goal or custom event row click: the '' rows' event names (goals that are event names), or the visits.
          filters.push(
            ['is', 'goal', ['Signup']],
            ['is', 'goal', ['signup']],
            ['is', 'goal', ['Any signup']],
            ['is', 'event', ['download']],
          );
          for (const filter of filters) {
            // The run's days in a zone off UTC too: its whole UTC days counted, the partial ones raw.
            for (const [dateRange, timezone] of [
              [runs.get(site as string), undefined],
              ['30d', undefined],
              [runs.get(site as string), 'Europe/Berlin'],
              [runs.get(site as string), 'America/New_York'],
            ] as const) {
              const base = { site, filters: [filter], dateRange, ...(timezone ? { timezone } : {}) };
              for (const body of [
                { ...base, metrics: ['visitors', 'conversions', 'conversion_rate'], dimensions: ['goal'] },
                { ...base, metrics: ['visitors', 'events', 'conversions'], dimensions: ['goal'] },
              ]) {
                const got = await ask(body, on);
                const want = referenceQuery(all, parseQuery(body), NOW, lookup);
                expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
              }
            }
          }
        }
      } finally {
        on.close();
      }
    }
  });

  it("answers the goals panel under a filter on its one pageview goal from the top numbers' statement, exactly", async () => {
    // A goals row click on a site whose only pageview goal is that glob (a wildcard one and a
    // literal one; the others event goals): the panel's one row is the top numbers' no-dimension
    // row of the page rollups (`sharedGoalRowStatement`), in UTC and in zones off UTC.
    const lookups: [string, Goal[]][] = [
      [
        'Blog',
        [
          { name: 'Signup', event: 'signup' },
          { name: 'Blog', path: '/blog/*' },
          { name: 'Download', event: 'download' },
        ],
      ],
      [
        'Pricing',
        [
          { name: 'Pricing', path: '/pricing' },
          { name: 'Signup', event: 'signup' },
        ],
      ],
      [
        'Nowhere',
        [
          { name: 'Nowhere', path: '/nowhere/*' },
          { name: 'Signup', event: 'signup' },
        ],
      ],
    ];
    let rows = 0;
    for (const [name, list] of lookups) {
      const lookup: GoalLookup = () => list;
      const on = createDashboardApp({
        client,
        database,
        token: null,
        access: createAccessRegistry({ client, database, log: plainLogger('warn') }),
        log: plainLogger('warn'),
        now: () => NOW,
        registry: new Registry(),
        siteGoals: lookup,
      });
      try {
        for (const site of [SITES[0], SITES])
          for (const dateRange of ['7d', '30d', NEAR_DAYS])
            for (const timezone of [undefined, 'Europe/Berlin', 'Asia/Kolkata']) {
              const base = { site, filters: [['is', 'goal', [name]]], dateRange, dimensions: ['goal'], ...(timezone ? { timezone } : {}) };
              for (const body of [
                { ...base, metrics: ['visitors', 'conversions', 'conversion_rate'] },
                { ...base, metrics: ['visitors', 'pageviews', 'events', 'conversions', 'percentage'] },
              ]) {
                const got = await ask(body, on);
                rows += got.results.length;
                const want = referenceQuery(all, parseQuery(body), NOW, lookup);
                expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
              }
            }
      } finally {
        on.close();
      }
    }
    // The premise: the goals have rows (the workload has pageviews of /blog/… and /pricing).
    expect(rows).toBeGreaterThan(20);
  });

  it('answers region and city breakdowns and filters (is, is not, contains) exactly, from the visit rollups where they hold them', async () => {
    const ranges: unknown[] = [NEAR_DAYS, '7d', '30d', ['2026-10-24', '2026-11-02']];
    const visitMetrics = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'views_per_visit'];
    const bodies: Record<string, unknown>[] = [];
    ranges.forEach((dateRange, i) => {
      const site = SITES[i % SITES.length];
      bodies.push(
        // The Regions and Cities tabs, then a row click on each.
        { site, metrics: ['visitors', 'visits', 'percentage'], dateRange, dimensions: ['region'], limit: 20 },
        { site, metrics: ['visitors', 'visits'], dateRange, dimensions: ['city'], limit: 20 },
        { site, metrics: visitMetrics, dateRange, filters: [['is', 'region', ['Bavaria']]] },
        { site, metrics: ['visitors', 'visits'], dateRange, dimensions: ['city'], filters: [['is', 'region', ['California']]] },
        { site, metrics: ['visits', 'bounce_rate'], dateRange, dimensions: ['region'], filters: [['is_not', 'city', ['Paris']]] },
        { site, metrics: ['visitors', 'pageviews'], dateRange, dimensions: ['page'], filters: [['contains', 'city', ['Par']]], limit: 20 },
        { site, metrics: ['visits'], dateRange, dimensions: ['region'], filters: [['is', 'country', ['US']]] },
        { site, metrics: ['visits', 'visitors'], dateRange, dimensions: ['channel'], filters: [['contains', 'region', ['ali', 'yer']]] },
        // Under a page or goal filter (the per-path and per-name sums hold regions, not cities).
        { site, metrics: ['visits', 'visit_duration'], dateRange, dimensions: ['region'], filters: [['is', 'page', ['/pricing']]] },
        { site, metrics: ['visits', 'visitors'], dateRange, dimensions: ['city'], filters: [['is', 'page', ['/pricing']]] },
        { site, metrics: ['visits', 'bounce_rate'], dateRange, dimensions: ['region'], filters: [['is', 'event', ['signup']]] },
        { site, metrics: ['visits', 'visitors'], dateRange, dimensions: ['city'], filters: [['is', 'goal', ['Signup']]] },
        { site, metrics: ['visitors'], dateRange, dimensions: ['time:day'], filters: [['is', 'city', ['Paris', 'Munich']]] },
      );
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('visits_1d');
    expect(tables).toContain('page_visits_1d');
    // The workload holds the places the queries ask for (so the answers above are not all zeros).
    const regions = referenceQuery(all, parseQuery({ site: SITES, metrics: ['visits'], dateRange: 'all', dimensions: ['region'] }), NOW);
    const cities = referenceQuery(all, parseQuery({ site: SITES, metrics: ['visits'], dateRange: 'all', dimensions: ['city'] }), NOW);
    const named = (r: { results: unknown[] }) => r.results.map((row) => (row as { dimensions: string[] }).dimensions[0]);
    expect(named(regions)).toEqual(expect.arrayContaining(['Bavaria', 'California', 'Île-de-France', '']));
    expect(named(cities)).toEqual(expect.arrayContaining(['Paris', 'Munich', 'Mountain View', '']));
  });

  it('answers visit metrics under one page filter from the per-path visit sums, exactly', async () => {
    // Each site's two most visited paths and one no visit has (a pages row click), over whole UTC days.
    const paths: [string, string][] = [];
    for (const site of SITES) {
      const top = await (
        await client.query({
          query: `SELECT toString(path) AS path FROM ${database}.visits FINAL ARRAY JOIN arrayDistinct(pairs.path) AS path
                  WHERE site = {site:String} GROUP BY path ORDER BY count() DESC, path LIMIT 2`,
          query_params: { site },
          format: 'JSONEachRow',
        })
      ).json<{ path: string }>();
      for (const { path } of top) paths.push([site as string, path]);
    }
    paths.push([SITES[1] as string, '/no/such/page']);
    const ranges: unknown[] = [NEAR_DAYS, '30d', '7d', ['2026-10-24', '2026-11-02']];
    const bodies = paths.flatMap(([site, path], i) => {
      const base = { site, filters: [['is', 'page', [path]]], dateRange: ranges[i % ranges.length] };
      return [
        { ...base, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
        { ...base, metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['channel'] },
        { ...base, metrics: ['visits', 'visit_duration'], dimensions: ['country'], limit: 9 },
        { ...base, metrics: ['visits', 'bounce_rate'], dimensions: ['time:day', 'device'] },
        { ...base, metrics: ['visitors', 'visits'], dimensions: ['time:week'], dateRange: '30d' },
      ];
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('page_visits_1d');
  });

  it('counts visitors under one page, goal or event filter in a zone off UTC from the quarter-hour marks of current days, exactly', async () => {
    // The premise: some complete days have current marks (event_marks_1d, 051), and the late and
    // backdated events that arrived after the count made others stale (their quarter-hours are read).
    const [days] = await (
      await client.query({
        query: `SELECT countIf(c.ev = r.e) AS current, countIf(c.ev != r.e) AS stale
                FROM (SELECT site, bucket, max(events) AS ev FROM ${database}.event_marks_1d WHERE dimension = '' GROUP BY site, bucket) AS c
                INNER JOIN (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d GROUP BY site, bucket) AS r
                ON c.site = r.site AND c.bucket = r.bucket`,
        format: 'JSONEachRow',
      })
    ).json<{ current: string; stale: string }>();
    expect(Number(days?.current)).toBeGreaterThan(0);
    expect(Number(days?.stale)).toBeGreaterThan(0);
    // Each site's two most seen paths and one no event has (a pages row click).
    const paths: [string, string][] = [];
    for (const site of SITES) {
      const top = await (
        await client.query({
          query: `SELECT toString(path) AS path FROM ${database}.events WHERE site = {site:String} AND name != 'engagement'
                  GROUP BY path ORDER BY count() DESC, path LIMIT 2`,
          query_params: { site },
          format: 'JSONEachRow',
        })
      ).json<{ path: string }>();
      for (const { path } of top) paths.push([site as string, path]);
    }
    paths.push([SITES[1] as string, '/no/such/page']);
    // And a goals panel row click: a goal that is an event name (a.example's configured `Signup`,
    // b.example's implicit ones), a custom event, a pageview goal of a literal path (Pricing: its
    // pageview marks, pageview_marks_1d, 053: custom events on /pricing are not its), one no event has.
    const filters: [string, unknown[]][] = [
      ...paths.map(([site, path]) => [site, ['is', 'page', [path]]] as [string, unknown[]]),
      [SITES[0] as string, ['is', 'goal', ['Signup']]],
      [SITES[1] as string, ['is', 'goal', ['signup']]],
      [SITES[0] as string, ['is', 'event', ['download']]],
      [SITES[0] as string, ['is', 'goal', ['Pricing']]],
      [SITES[1] as string, ['is', 'event', ['no such event']]],
    ];
    // Half- and quarter-hour offsets (each UTC day cut at 18:30 or 18:15), a DST zone (the October
    // DST days: the fourth range), a zone behind UTC; ranges ending now (today's quarter-hours).
    const ZONES = ['Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York'];
    const ranges: unknown[] = [NEAR_DAYS, '30d', '7d', ['2026-10-24', '2026-11-02'], 'month'];
    const bodies = filters.flatMap(([site, filter], i) => {
      const base = { site, filters: [filter], dateRange: ranges[i % ranges.length] };
      return ZONES.flatMap((timezone, z) => [
        { ...base, timezone, metrics: ['visitors'], dimensions: ['time:day'] },
        { ...base, timezone, metrics: ['visitors', 'visits'], dimensions: ['time:day'], dateRange: ranges[(i + z + 1) % ranges.length] },
        { ...base, timezone, metrics: ['visitors'], dimensions: ['time:week'], dateRange: '30d' },
        { ...base, timezone, metrics: ['visitors'], dateRange: ranges[(i + z + 2) % ranges.length] },
        { ...base, timezone, metrics: ['visitors'], dimensions: ['time:day'], compare: 'previous_period' },
      ]);
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('event_marks_1d');
    expect(tables).toContain('pageview_marks_1d');
    // The pageview marks' premise: current and stale days there too.
    const [pageviewDays] = await (
      await client.query({
        query: `SELECT countIf(c.ev = r.e) AS current, countIf(c.ev != r.e) AS stale
                FROM (SELECT site, bucket, max(events) AS ev FROM ${database}.pageview_marks_1d WHERE dimension = '' GROUP BY site, bucket) AS c
                INNER JOIN (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d GROUP BY site, bucket) AS r
                ON c.site = r.site AND c.bucket = r.bucket`,
        format: 'JSONEachRow',
      })
    ).json<{ current: string; stale: string }>();
    expect(Number(pageviewDays?.current)).toBeGreaterThan(0);
    expect(Number(pageviewDays?.stale)).toBeGreaterThan(0);
    // The pageview goal in UTC too (whole UTC days: the day rollups), and over both sites (b.example has
    // no configured goals, where Pricing would name a custom event: the rollups), in a zone off UTC.
    const pricing = { filters: [['is', 'goal', ['Pricing']]], metrics: ['visitors'] };
    const more = [
      ...ranges.map((dateRange) => ({ ...pricing, site: SITES[0], dateRange, dimensions: ['time:day'] })),
      ...ranges.map((dateRange) => ({ ...pricing, site: SITES[0], dateRange })),
      { ...pricing, site: SITES, dateRange: '7d', timezone: 'Europe/Berlin', dimensions: ['time:day'] },
      { ...pricing, site: SITES, dateRange: NEAR_DAYS, timezone: 'Asia/Kolkata' },
    ];
    await answersEqualReference(more);
  });

  it('answers visit metrics by one visit attribute under filters on another from the pair sums, exactly', async () => {
    // Each site's two most visited values of a few attributes (a country, channel, device, version … row click),
    // and a value no visit has; grouped by another attribute, over whole UTC days and ranges with partial days.
    const tops: [string, string, string[]][] = [];
    for (const site of SITES)
      for (const [dimension, column] of [
        ['country', 'toString(country)'],
        ['channel', 'toString(channel)'],
        ['device', 'toString(device)'],
        ['source', 'toString(source)'],
        // 035's filter attributes: browser and OS versions.
        ['browser_version', 'toString(browser_version)'],
        ['os_version', 'toString(os_version)'],
        [
          'screen',
          "multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop')",
        ],
      ] as const) {
        const top = await (
          await client.query({
            query: `SELECT ${column} AS value FROM ${database}.visits FINAL WHERE site = {site:String} AND pageviews + events > 0
                    GROUP BY value ORDER BY count() DESC, value LIMIT 2`,
            query_params: { site },
            format: 'JSONEachRow',
          })
        ).json<{ value: string }>();
        tops.push([site as string, dimension, top.map((t) => t.value)]);
      }
    const targets = ['channel', 'country', 'device', 'browser', 'os', 'screen'];
    const partial: [string, string] = [
      new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(),
      new Date(NOW - 2 * HOUR + 1234).toISOString(),
    ];
    const ranges: unknown[] = [NEAR_DAYS, '30d', partial, '7d', ['2026-10-24', '2026-11-02'], 'month'];
    const bodies = tops.flatMap(([site, filter, values], i) => {
      const [first = '', second = first] = values;
      const by = targets.filter((t) => t !== filter);
      const range = (k: number) => ranges[(i + k) % ranges.length];
      return [
        { site, metrics: ['visits'], filters: [['is', filter, [first]]], dimensions: [by[i % by.length]], dateRange: range(0), limit: 9 },
        {
          site,
          metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'],
          filters: [['is', filter, [first]]],
          dimensions: [by[(i + 1) % by.length]],
          dateRange: range(1),
        },
        {
          site,
          metrics: ['visits', 'bounce_rate'],
          filters: [['is', filter, [first, second, 'no such value']]],
          dimensions: [by[(i + 2) % by.length]],
          dateRange: range(2),
        },
        {
          site,
          metrics: ['visits', 'visit_duration'],
          filters: [['is_not', filter, [first]]],
          dimensions: [by[(i + 3) % by.length]],
          dateRange: range(3),
        },
        {
          site,
          // With an event metric: by day, the reference also lists a day holding only events of visits that
          // started the day before (visits 0), which the visit statements alone leave out (on main too).
          metrics: ['visits', 'views_per_visit', 'pageviews'],
          filters: [
            ['contains', filter, [first.slice(0, 2) || 'x']],
            ['is_not', filter, [second]],
          ],
          dimensions: ['time:day', by[(i + 4) % by.length]],
          dateRange: range(4),
        },
        { site, metrics: ['visits'], filters: [['is', filter, ['no such value']]], dimensions: [by[i % by.length]], dateRange: range(5) },
        // A zone off UTC: the range's first and last UTC days are partial (read from the visits).
        {
          site,
          metrics: ['visits', 'visit_duration'],
          filters: [['is', filter, [first]]],
          dimensions: [by[(i + 5) % by.length]],
          dateRange: '7d',
          timezone: i % 2 === 0 ? 'Asia/Kolkata' : 'America/New_York',
        },
      ];
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('attribute_visits_1d');
  });

  it('answers visits by channel under filters on the entry or exit page from their own sums, exactly', async () => {
    // Each site's two most visited entry and exit pages (an entry / exit page row click, then the sources
    // panel by channel), and a page no visit has; over whole UTC days, ranges with partial days and zones off UTC.
    const tops: [string, string, string[]][] = [];
    for (const site of SITES)
      for (const filter of ['entry_page', 'exit_page']) {
        const top = await (
          await client.query({
            query: `SELECT ${filter} AS value FROM ${database}.visits FINAL WHERE site = {site:String} AND pageviews + events > 0
                    GROUP BY value ORDER BY count() DESC, value LIMIT 2`,
            query_params: { site },
            format: 'JSONEachRow',
          })
        ).json<{ value: string }>();
        tops.push([site as string, filter, top.map((t) => t.value)]);
      }
    const partial: [string, string] = [
      new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(),
      new Date(NOW - 2 * HOUR + 1234).toISOString(),
    ];
    const ranges: unknown[] = [NEAR_DAYS, '30d', partial, '7d', ['2026-10-24', '2026-11-02'], 'month'];
    const bodies = tops.flatMap(([site, filter, values], i) => {
      const [first = '', second = first] = values;
      const range = (k: number) => ranges[(i + k) % ranges.length];
      return [
        { site, metrics: ['visits'], filters: [['is', filter, [first]]], dimensions: ['channel'], dateRange: range(0), limit: 9 },
        {
          site,
          metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'],
          filters: [['is', filter, [first]]],
          dimensions: ['channel'],
          dateRange: range(1),
        },
        {
          site,
          metrics: ['visits', 'bounce_rate'],
          filters: [['is', filter, [first, second, '/no/such/page']]],
          dimensions: ['channel'],
          dateRange: range(2),
        },
        {
          site,
          metrics: ['visits', 'visit_duration'],
          filters: [['is_not', filter, [first]]],
          dimensions: ['channel'],
          dateRange: range(3),
        },
        {
          site,
          metrics: ['visits', 'views_per_visit'],
          filters: [
            ['contains', filter, [first.slice(0, 3) || '/']],
            ['is_not', filter, [second]],
          ],
          dimensions: ['time:day', 'channel'],
          dateRange: range(4),
        },
        { site, metrics: ['visits'], filters: [['is', filter, ['/no/such/page']]], dimensions: ['channel'], dateRange: range(5) },
        // A zone off UTC: the range's first and last UTC days are partial (read from the visits).
        {
          site,
          metrics: ['visits', 'visit_duration'],
          filters: [['is', filter, [first]]],
          dimensions: ['channel'],
          dateRange: '7d',
          timezone: i % 2 === 0 ? 'Asia/Kolkata' : 'America/New_York',
        },
        // Not in the table: by country (visits FINAL answers, as before).
        { site, metrics: ['visits', 'bounce_rate'], filters: [['is', filter, [first]]], dimensions: ['country'], dateRange: range(0) },
      ];
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('entry_exit_visits_1d');
    // The table holds the entry and exit pages by the channel only (043).
    const kinds = await (
      await client.query({
        query: `SELECT DISTINCT filter_dimension, dimension FROM ${database}.entry_exit_visits_1d ORDER BY filter_dimension, dimension`,
        format: 'JSONEachRow',
      })
    ).json();
    expect(kinds).toEqual([
      { filter_dimension: 'entry_page', dimension: 'channel' },
      { filter_dimension: 'exit_page', dimension: 'channel' },
    ]);
  });

  it('answers visit metrics under one goal or custom event filter from the per-name visit sums, exactly', async () => {
    // A goals panel row click: a.example's configured event goals (and a pageview goal, which the
    // visits answer), b.example's implicit goals (each custom event name), custom event names, and
    // a goal and a name no visit has; over whole UTC days, partial days and a zone off UTC.
    const filters: [string, string, string][] = [
      [SITES[0] as string, 'goal', 'Signup'],
      [SITES[0] as string, 'goal', 'Download'],
      [SITES[0] as string, 'goal', 'Blog'],
      [SITES[0] as string, 'goal', 'signup'],
      [SITES[0] as string, 'event', 'download'],
      [SITES[1] as string, 'goal', 'signup'],
      [SITES[1] as string, 'goal', 'Outbound Link: Click'],
      [SITES[1] as string, 'event', 'signup'],
      [SITES[1] as string, 'event', 'no such event'],
    ];
    const partial: [string, string] = [
      new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(),
      new Date(NOW - 2 * HOUR + 1234).toISOString(),
    ];
    const ranges: unknown[] = [NEAR_DAYS, '30d', '7d', ['2026-10-24', '2026-11-02'], partial];
    const bodies = filters.flatMap(([site, dimension, value], i) => {
      const base = { site, filters: [['is', dimension, [value]]], dateRange: ranges[i % ranges.length] };
      return [
        { ...base, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
        { ...base, metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['channel'] },
        { ...base, metrics: ['visits', 'visit_duration'], dimensions: ['country'], limit: 9 },
        { ...base, metrics: ['visits'], dimensions: ['device'], dateRange: ranges[(i + 1) % ranges.length] },
        { ...base, metrics: ['visits', 'bounce_rate'], dimensions: ['time:day'], dateRange: '30d' },
        { ...base, metrics: ['visits', 'visit_duration'], dimensions: ['screen'], dateRange: '7d', timezone: 'Asia/Kolkata' },
        // The top numbers and the sources panel in a site's own zone: whole UTC days from the sums, the two partial ones from the visits.
        {
          ...base,
          metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
          dateRange: '30d',
          timezone: 'Europe/Berlin',
        },
        { ...base, metrics: ['visits', 'bounce_rate'], dimensions: ['channel'], dateRange: '7d', timezone: 'America/New_York' },
      ];
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('name_visits_1d');
  });

  it('counts the per-name day counts under one goal or event filter from current days and raw events for the others, exactly', async () => {
    // The premise: some complete days have a current per-name row (its stamp, the day's events in
    // pages_1d when counted, equals the day's events in events_1d), and the late and backdated
    // events that arrived after the count made others stale.
    const dayStates = async () => {
      const [row] = await (
        await client.query({
          query: `SELECT countIf(c.ev = r.e) AS current, countIf(c.ev != r.e) AS stale
                  FROM (SELECT site, bucket, max(events) AS ev FROM ${database}.name_pages_1d GROUP BY site, bucket) AS c
                  INNER JOIN (SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d GROUP BY site, bucket) AS r
                  ON c.site = r.site AND c.bucket = r.bucket`,
          format: 'JSONEachRow',
        })
      ).json<{ current: string; stale: string }>();
      return { current: Number(row?.current), stale: Number(row?.stale) };
    };
    const states = await dayStates();
    expect(states.current).toBeGreaterThan(0);
    expect(states.stale).toBeGreaterThan(0);
    // Partial counts of two current days (taken between the two rollups' writes: a stamp that is
    // not the day's events in events_1d), with numbers that would be wrong: never read. Their stamp
    // is lower, so merges keep the current row.
    const mismatched = async () => {
      const [row] = await (
        await client.query({
          query: `SELECT count() AS n FROM ${database}.name_pages_1d
                  WHERE (site, bucket, events) NOT IN (SELECT site, bucket, sum(events) FROM ${database}.events_1d GROUP BY site, bucket)`,
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      return Number(row?.n);
    };
    const stale = await mismatched();
    await client.command({
      query: `INSERT INTO ${database}.name_pages_1d (site, bucket, events, names, visitors, counts, path_names, paths, path_visitors, path_counts)
              SELECT site, bucket, events - 1, names, arrayMap(x -> x + 1000, visitors), arrayMap(x -> x + 1000, counts), path_names, paths,
                     arrayMap(x -> x + 1000, path_visitors), arrayMap(x -> x + 1000, path_counts)
              FROM ${database}.name_pages_1d
              WHERE (site, bucket, events) IN (SELECT site, bucket, sum(events) FROM ${database}.events_1d GROUP BY site, bucket)
                AND bucket >= {from:DateTime('UTC')}
              LIMIT 1 BY site, bucket LIMIT 2`,
      query_params: { from: `${NEAR_DAYS[0]} 00:00:00` },
    });
    expect(await mismatched()).toBe(stale + 2);
    const filters: [string, unknown][] = [
      // a.example: configured event goals, a pageview goal (the rollups answer), a name no goal has.
      [SITES[0] as string, ['is', 'goal', ['Signup']]],
      [SITES[0] as string, ['is', 'goal', ['Download']]],
      [SITES[0] as string, ['is', 'goal', ['Blog']]],
      [SITES[0] as string, ['is', 'goal', ['signup']]],
      [SITES[0] as string, ['is', 'event', ['download']]],
      // b.example: implicit goals (each custom event name), custom event names, one no event has.
      [SITES[1] as string, ['is', 'goal', ['signup']]],
      [SITES[1] as string, ['is', 'goal', ['Outbound Link: Click']]],
      [SITES[1] as string, ['is', 'event', ['signup']]],
      [SITES[1] as string, ['is', 'event', ['no such event']]],
    ];
    const partial: [string, string] = [
      new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(),
      new Date(NOW - 2 * HOUR + 1234).toISOString(),
    ];
    const ranges: unknown[] = [NEAR_DAYS, '30d', '7d', partial, ['2026-10-24', '2026-11-02']];
    const bodies = filters.flatMap(([site, filter], i) => {
      const base = { site, filters: [filter], dateRange: ranges[i % ranges.length] };
      const other = { dateRange: ranges[(i + 1) % ranges.length] };
      return [
        // The top numbers, the chart, the pages panel (details), the custom events tab and the goals panel of a row click.
        { ...base, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
        { ...base, metrics: ['visitors'], dimensions: ['time:day'], dateRange: '30d', compare: 'previous_period' },
        { ...base, metrics: ['visitors', 'pageviews', 'time_on_page', 'percentage'], dimensions: ['page'], ...other },
        {
          ...base,
          filters: [filter, ['is_not', 'event', ['pageview', 'engagement']]],
          metrics: ['visitors', 'events'],
          dimensions: ['event'],
        },
        { ...base, metrics: ['visitors', 'conversions', 'conversion_rate'], dimensions: ['goal'], ...other },
        { ...base, metrics: ['visitors', 'events', 'conversions', 'conversion_rate'] },
        // Zones off UTC: whole UTC days counted, the partial ones raw (no time dimension); a zoned chart from the rollups.
        { ...base, metrics: ['visitors', 'events'], timezone: 'Asia/Kolkata', dateRange: '7d' },
        { ...base, metrics: ['visitors'], dimensions: ['page'], timezone: 'America/New_York', dateRange: '30d' },
        {
          ...base,
          metrics: ['visitors', 'conversion_rate'],
          dimensions: ['goal'],
          timezone: 'Europe/Berlin',
          dateRange: ['2026-10-24', '2026-11-02'],
        },
        { ...base, metrics: ['visitors'], dimensions: ['time:day'], timezone: 'Asia/Kolkata', dateRange: '7d' },
      ];
    });
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('name_pages_1d');
    // The goals panel without a filter (what a negated property filter's counts subtract from:
    // negated-counts.ts): from every name's counts where each goal is an event name (b.example's
    // implicit goals), from the rollups where a pageview goal is among them (a.example).
    for (const [i, site] of SITES.entries()) {
      const unfiltered = ranges.map((dateRange, j) => ({
        site,
        dateRange,
        metrics: ['visitors', 'events', 'conversions', 'conversion_rate'],
        dimensions: ['goal'],
        ...(j % 2 === 1 ? { timezone: 'Europe/Berlin' } : {}),
      }));
      expect({ site, names: (await answersEqualReference(unfiltered)).has('name_pages_1d') }).toEqual({ site, names: i === 1 });
    }
  });

  it('answers visit metrics under one pageview goal of a literal path from the per-path visit sums, exactly', async () => {
    // A goals panel row click on a pageview goal (Pricing: `/pricing`): the visits holding a pageview of the
    // path, not those holding it among their custom events' paths only (a visit of the crafted ones above), a
    // visit viewing it twice once, visits rewritten by late events as they are last. Over whole UTC days,
    // ranges with partial UTC days (read from the visits), zones off UTC, by channel, country, device, day,
    // week and month.
    // Visits holding /pricing among their custom events' paths only (the crafted ones and the workload's).
    const [counts] = await (
      await client.query({
        query: `SELECT countIf(has(pairs.path, '/pricing') AND NOT has(arrayFilter((p, n) -> n = 'pageview', pairs.path, pairs.name), '/pricing')) AS events_only
                FROM ${database}.visits FINAL WHERE site = {site:String}`,
        query_params: { site: SITES[0] },
        format: 'JSONEachRow',
      })
    ).json<{ events_only: string }>();
    expect(Number(counts?.events_only)).toBeGreaterThan(2);
    // The crafted visits viewing /pricing twice (their pairs hold the pageview once).
    const [twice] = await (
      await client.query({
        query: `SELECT count() AS visits FROM ${database}.visits FINAL
                WHERE site = {site:String} AND visitor_id IN (900000001, 900000011) AND pageviews = 3 AND has(pairs, ('pageview', '/pricing'))`,
        query_params: { site: SITES[0] },
        format: 'JSONEachRow',
      })
    ).json<{ visits: string }>();
    expect(Number(twice?.visits)).toBe(2);
    const partial: [string, string] = [
      new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(),
      new Date(NOW - 2 * HOUR + 1234).toISOString(),
    ];
    const ranges: unknown[] = [NEAR_DAYS, partial, '7d', '30d', ['2026-10-24', '2026-11-02']];
    const bodies: Record<string, unknown>[] = ['UTC', 'Asia/Kolkata', 'America/New_York'].flatMap((timezone, z) =>
      ranges.flatMap((dateRange, i) => {
        const base = { site: SITES[0], filters: [['is', 'goal', ['Pricing']]], dateRange, timezone };
        return [
          { ...base, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
          { ...base, metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['channel'] },
          { ...base, metrics: ['visits', 'visit_duration'], dimensions: ['country'], limit: 9 },
          { ...base, metrics: ['visits', 'bounce_rate', 'views_per_visit'], dimensions: ['device'] },
          ...((i + z) % 2 === 0 ? [{ ...base, metrics: ['visits', 'bounce_rate'], dimensions: ['time:day'] }] : []),
        ];
      }),
    );
    bodies.push(
      {
        site: SITES[0],
        filters: [['is', 'goal', ['Pricing']]],
        metrics: ['visitors', 'visits'],
        dimensions: ['time:week'],
        dateRange: '30d',
      },
      {
        site: SITES[0],
        filters: [['is', 'goal', ['Pricing']]],
        metrics: ['visits', 'visit_duration'],
        dimensions: ['time:month'],
        dateRange: '12mo',
      },
      // Both sites: b.example has no configured goals (Pricing would be a custom event name there): the visits answer.
      { site: SITES, filters: [['is', 'goal', ['Pricing']]], metrics: ['visits', 'bounce_rate'], dimensions: ['channel'], dateRange: '7d' },
    );
    const tables = await answersEqualReference(bodies);
    expect(tables).toContain('page_visits_1d');
  });

  it('answers a view under a wildcard pageview goal filter exactly, its visit statements shared as they run at once', async () => {
    // A goals panel row click on a goal of a glob with wildcards (Blog: `/blog/*`, Any blog: `/blog**`,
    // overlapping; Docs: `/docs**`): every visit holding a pageview of one matching path counts once,
    // whichever and however many. The view's bodies are asked at once, as the dashboard does: their visit
    // statements without a dimension or by channel, country or device are one statement (GROUPING SETS)
    // run once (single-flight), each answer picking its own rows. Also `contains` (several goals), two
    // goals, a goal and a visit filter, both sites (b.example's implicit goals), UTC and zones off UTC.
    const partial: [string, string] = [
      new Date(Date.parse(NEAR_DAYS[0]) - 5 * HOUR - 1234).toISOString(),
      new Date(NOW - 2 * HOUR + 1234).toISOString(),
    ];
    const views: [unknown, unknown[], string, unknown][] = [
      [SITES[0], ['is', 'goal', ['Blog']], 'UTC', '30d'],
      [SITES[0], ['is', 'goal', ['Any blog']], 'Europe/Berlin', '30d'],
      [SITES[0], ['is', 'goal', ['Docs', 'Blog']], 'UTC', NEAR_DAYS],
      [SITES[0], ['contains', 'goal', ['blog']], 'Asia/Kolkata', '7d'],
      [SITES, ['is', 'goal', ['Any blog']], 'UTC', partial],
      [SITES, ['contains', 'goal', ['ign']], 'America/New_York', '7d'],
      [SITES[1], ['is', 'goal', ['signup']], 'UTC', '30d'],
    ];
    const tables = new Set<string>();
    for (const [i, [site, filter, timezone, dateRange]] of views.entries()) {
      const filters = i === 2 ? [filter, ['is', 'device', ['Desktop']]] : [filter];
      const base = { site, filters, dateRange, timezone, include: { totals: false } };
      const bodies: Record<string, unknown>[] = [
        { ...base, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] },
        { ...base, metrics: ['visitors'], dimensions: ['time:day'] },
        { ...base, metrics: ['visitors'], dimensions: ['page'], limit: 9 },
        { ...base, metrics: ['visits'], dimensions: ['channel'], limit: 9 },
        { ...base, metrics: ['visits', 'bounce_rate'], dimensions: ['country'], limit: 300 },
        { ...base, metrics: ['visits', 'visit_duration'], dimensions: ['device'], limit: 9 },
        { ...base, metrics: ['visitors', 'conversions', 'conversion_rate'], dimensions: ['goal'], limit: 9 },
        // Another tab (not shared) and totals (the same statement without a dimension).
        { ...base, metrics: ['visits', 'views_per_visit'], dimensions: ['browser'], include: { totals: true } },
        { ...base, metrics: ['visits', 'bounce_rate'], dimensions: ['channel'], include: { totals: true } },
      ];
      const answers = await Promise.all(bodies.map((body) => ask(body)));
      for (const [j, body] of bodies.entries()) {
        const got = answers[j] as { results: unknown[]; totals: unknown[]; meta: { tables: string[] } };
        for (const t of got.meta.tables) tables.add(t.split('.')[1] ?? t);
        const want = referenceQuery(all, parseQuery(body), NOW, goals);
        // `include.totals: false` (as the dashboard's panels ask): no totals to compare.
        const totals = (body.include as { totals: boolean }).totals;
        expect({ body, results: got.results, totals: totals ? got.totals : null }).toEqual({
          body,
          results: want.results,
          totals: totals ? want.totals : null,
        });
      }
      // Asked alone, the same answers.
      for (const [j, body] of bodies.entries()) expect((await ask(body)).results).toEqual(answers[j]?.results);
    }
    expect(tables).toContain('visits');
  });

  it('refuses what RE2 refuses with a pointer, streams CSV, answers an unknown site with zeros, and matches its OpenAPI document', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      app.request('/api/v2/query', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', ...headers },
      });
    const refused = await post({ site: SITES[0], metrics: ['visitors'], filters: [['matches', 'page', ['^/ok', '(unclosed']]] });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ field: '/filters/0/2/1', error: expect.stringContaining('RE2') });
    const malformed = await app.request('/api/v2/query', {
      method: 'POST',
      body: '{"site":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect({ status: malformed.status, body: await malformed.json() }).toEqual({
      status: 400,
      body: { error: 'body: not valid JSON', field: '' },
    });
    const csv = await post(
      { site: SITES[0], metrics: ['visitors', 'pageviews'], dateRange: '7d', dimensions: ['channel'], compare: 'previous_period' },
      { Accept: 'text/csv' },
    );
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    const json = await ask({
      site: SITES[0],
      metrics: ['visitors', 'pageviews'],
      dateRange: '7d',
      dimensions: ['channel'],
      compare: 'previous_period',
    });
    expect(lines[0]).toBe('channel,visitors,pageviews,visitors_comparison,visitors_change,pageviews_comparison,pageviews_change');
    expect(lines).toHaveLength(json.results.length + 1);
    expect(await ask({ site: 'nobody.example', metrics: ['visitors', 'visits'], dimensions: ['source'] })).toMatchObject({
      results: [],
      totals: [0, 0],
    });
    const check = operationChecker(await (await app.request('/openapi.json')).json());
    const answer = await post({
      site: SITES,
      metrics: ['visitors', 'bounce_rate'],
      dateRange: '12mo',
      dimensions: ['time:month'],
      compare: 'year_over_year',
    });
    expect(check('post', '/api/v2/query', 200, await answer.json())).toEqual([]);
    expect(check('post', '/api/v2/query', 400, await (await post({ site: SITES[0], metrics: [] })).json())).toEqual([]);
  });

  it('answers random queries exactly', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const body = randomQuery(seed, SITES, DATE_RANGES);
      const got = await ask(body);
      const want = referenceQuery(all, parseQuery(body), NOW, goals);
      expect({ seed, body, results: got.results, totals: got.totals }).toEqual({ seed, body, ...want });
    }
  });

  it('answers random funnels exactly (windowFunnel against the reference)', async () => {
    const STEPS: unknown[] = [
      'Signup',
      'Blog',
      'Any blog',
      'Docs',
      'Download',
      'signup',
      ['is', 'page', ['/pricing']],
      ['contains', 'page', ['/docs']],
      ['is', 'event', ['signup', 'download']],
      ['is', 'prop:plan', ['pro']],
      ['matches', 'page', ['^/blog']],
      ['is', 'event', ['pageview']],
      [
        'or',
        [
          ['is', 'page', ['/']],
          ['is', 'goal', ['Download']],
        ],
      ],
    ];
    let nonEmpty = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = prng(seed * 7919);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
      const body = {
        site: rnd() < 0.6 ? SITES[0] : SITES,
        dateRange: pick(DATE_RANGES),
        timezone: pick(['UTC', 'Europe/Berlin', 'Asia/Kolkata']),
        steps: Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => pick(STEPS)),
        within: pick(['30s', '5m', '30m', '2h', '24h']),
      };
      const res = await propApp.request('/api/v2/funnel', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      });
      const got = (await res.json()) as { steps: { visitors: number }[] };
      expect({ seed, status: res.status }).toEqual({ seed, status: 200 });
      const want = referenceFunnel(all, parseFunnel(body), NOW, propGoals);
      expect({ seed, body, steps: got.steps }).toEqual({ seed, body, steps: want });
      if ((want[1]?.visitors ?? 0) > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(5);
    const bad = await app.request('/api/v2/funnel', {
      method: 'POST',
      body: JSON.stringify({ site: SITES[0], steps: ['Signup', ['is', 'country', ['DE']]] }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect({ status: bad.status, body: await bad.json() }).toMatchObject({ status: 400, body: { field: '/steps/1' } });
  });

  it('counts goals with property conditions and conversions exactly', async () => {
    const bodies = [
      { site: SITES, metrics: ['visitors', 'conversions', 'conversion_rate', 'events'], dateRange: '7d', dimensions: ['goal'] },
      { site: SITES[0], metrics: ['conversions', 'conversion_rate'], dateRange: '24h', filters: [['is', 'goal', ['Pro signup']]] },
      {
        site: SITES[0],
        metrics: ['visitors', 'conversions', 'conversion_rate'],
        dateRange: '7d',
        dimensions: ['goal', 'country'],
        filters: [['is_not', 'goal', ['Signup']]],
      },
      { site: SITES[0], metrics: ['pageviews', 'conversions'], dateRange: '7d', dimensions: ['time:day', 'goal'] },
    ];
    for (const body of bodies) {
      const got = await ask(body, propApp);
      const want = referenceQuery(all, parseQuery(body), NOW, propGoals);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
      expect(got.results.length).toBeGreaterThan(0);
    }
  });

  it('answers visit metrics under property goals, properties and event attributes from the visits’ own events, exactly', async () => {
    // A visit passes when one of its own pageviews or custom events passes the whole filter: a
    // property goal, a property, an event's own attribute — each alone, beside a visit filter, by
    // UTC day and by hour in Asia/Kolkata. A pageview goal on a site with property goals (the
    // dashboard's goal row click) is decided from the visits' pairs as before.
    const TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];
    const filters: unknown[] = [
      ['is', 'goal', ['Pro signup']],
      ['is', 'goal', ['Blog']],
      ['is_not', 'goal', ['Pro signup']],
      ['contains', 'goal', ['ign']],
      ['matches', 'goal', ['^(Free|Docs)']],
      ['is', 'prop:plan', ['pro']],
      ['is_not', 'prop:plan', ['free']],
      ['contains', 'prop:plan', ['ea']],
      ['is', 'event', ['signup']],
      ['is', 'event:country', ['DE', 'US']],
      [
        'or',
        [
          ['is', 'prop:plan', ['team']],
          ['is', 'page', ['/pricing']],
        ],
      ],
      ['not', ['is', 'prop:ab', ['x']]],
      [
        'and',
        [
          ['is', 'goal', ['Free download', 'Docs']],
          ['is_not', 'event:device', ['mobile']],
        ],
      ],
    ];
    const site = (i: number) => (i % 3 === 2 ? SITES : SITES[0]);
    const bodies: Record<string, unknown>[] = filters.flatMap((filter, i) => [
      { site: site(i), metrics: TOP, dateRange: '7d', filters: [filter] },
      {
        site: site(i),
        metrics: ['visits', 'bounce_rate', 'visit_duration'],
        dateRange: NEAR_DAYS,
        filters: [filter, ['is_not', 'channel', ['Direct']]],
      },
      { site: site(i), metrics: ['visits', 'views_per_visit'], dateRange: '7d', dimensions: ['time:day'], filters: [filter] },
      {
        site: site(i),
        metrics: ['visitors', 'visits', 'bounce_rate'],
        dateRange: NEAR_DAYS,
        timezone: 'Asia/Kolkata',
        dimensions: ['time:hour'],
        filters: [filter],
      },
    ]);
    bodies.push(
      // The goal, property, event and event-attribute dimensions: a visit under each value its passing events have.
      {
        site: SITES,
        metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'],
        dateRange: '7d',
        dimensions: ['goal'],
      },
      {
        site: SITES[0],
        metrics: ['visits', 'visitors'],
        dateRange: NEAR_DAYS,
        dimensions: ['goal', 'device'],
        filters: [['is_not', 'goal', ['Blog']]],
      },
      { site: SITES, metrics: ['visits', 'bounce_rate'], dateRange: '7d', dimensions: ['prop:plan'] },
      {
        site: SITES[0],
        metrics: ['visits', 'visit_duration'],
        dateRange: NEAR_DAYS,
        dimensions: ['prop:plan', 'time:day'],
        filters: [['is', 'event', ['signup', 'download']]],
      },
      { site: SITES, metrics: ['visits', 'views_per_visit'], dateRange: '7d', dimensions: ['event'] },
      {
        site: SITES[0],
        metrics: ['visits', 'pageviews'],
        dateRange: '7d',
        dimensions: ['event:country'],
        filters: [['is', 'prop:plan', ['pro']]],
      },
      {
        site: SITES[0],
        metrics: ['visits', 'bounce_rate'],
        dateRange: NEAR_DAYS,
        dimensions: ['goal'],
        filters: [
          [
            'or',
            [
              ['is', 'goal', ['Pro signup']],
              ['not', ['contains', 'prop:plan', ['r']]],
            ],
          ],
          ['is', 'device', ['desktop']],
        ],
      },
    );
    const tables = new Set<string>();
    let nonEmpty = 0;
    for (const body of bodies) {
      const got = (await ask(body, propApp)) as { results: { metrics: number[] }[]; totals: number[]; meta: { tables: string[] } };
      for (const t of got.meta.tables) tables.add(t.split('.')[1] ?? t);
      const want = referenceQuery(all, parseQuery(body), NOW, propGoals);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
      const visits = (body as { metrics: string[] }).metrics.indexOf('visits');
      if (visits >= 0 && got.results.some((r) => (r.metrics[visits] ?? 0) > 0)) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(bodies.length * 0.8);
    expect(tables).toContain('events');
    expect(tables).toContain('visits');
  });

  it('counts event metrics under negated property and event-attribute filters from the counts less their positive form’s events, exactly', async () => {
    // negated-counts.ts: pageviews, events, conversions under a negation N are the counts without N less
    // those of the events passing its positive form P; visitors (converters) less those whose events of
    // the group all pass P. By page, goal, event, time (UTC days, hours in Asia/Kolkata), the top
    // numbers with a comparison, beside a visit filter and beside a kept page or event negation.
    const filters: unknown[][] = [
      [['is_not', 'prop:plan', ['free', 'team']]],
      [['contains_not', 'prop:plan', ['e']]],
      [['matches_not', 'prop:plan', ['^p']]],
      [['not', ['is', 'prop:plan', ['pro']]]],
      [['is_not', 'event:device', ['desktop']]],
      [['contains_not', 'event:country', ['D', 'U']]],
      [
        ['is_not', 'prop:plan', ['free']],
        ['is_not', 'event:device', ['mobile']],
      ],
      [
        ['is_not', 'prop:ab', ['x']],
        ['is', 'device', ['desktop']],
      ],
      [
        ['is_not', 'event:browser', ['Chrome']],
        ['is_not', 'page', ['/pricing']],
      ],
      [
        ['is_not', 'prop:plan', ['pro']],
        ['is_not', 'event', ['pageview', 'engagement']],
      ],
    ];
    const TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];
    const site = (i: number) => (i % 3 === 2 ? SITES : SITES[i % 2]);
    const bodies: Record<string, unknown>[] = filters.flatMap((f, i) => [
      { site: site(i), metrics: TOP, dateRange: '7d', filters: f, compare: 'previous_period' as const },
      { site: site(i), metrics: ['visitors', 'pageviews', 'events', 'percentage'], dateRange: '7d', dimensions: ['page'], filters: f },
      { site: site(i), metrics: ['visitors', 'conversions', 'conversion_rate'], dateRange: '7d', dimensions: ['goal'], filters: f },
      { site: site(i), metrics: ['visitors', 'events'], dateRange: NEAR_DAYS, dimensions: ['event'], filters: f },
      { site: site(i), metrics: ['visits', 'bounce_rate', 'visit_duration'], dateRange: '7d', dimensions: ['channel'], filters: f },
      { site: site(i), metrics: ['visitors', 'pageviews'], dateRange: '7d', dimensions: ['time:day'], filters: f },
      {
        site: site(i),
        metrics: ['visitors', 'pageviews', 'events'],
        dateRange: NEAR_DAYS,
        timezone: 'Asia/Kolkata',
        dimensions: ['time:hour'],
        filters: f,
      },
      {
        site: site(i),
        metrics: ['visitors', 'conversions'],
        dateRange: '7d',
        timezone: 'Asia/Kolkata',
        dimensions: ['time:day', 'goal'],
        filters: f,
      },
      {
        site: site(i),
        metrics: ['visitors', 'pageviews', 'bounce_rate'],
        dateRange: NEAR_DAYS,
        timezone: 'Asia/Kolkata',
        dimensions: ['page'],
        filters: f,
      },
      // The dashboard's click in the site's own zone (partial UTC days at both ends): the top numbers,
      // the goals panel and a visit attribute breakdown.
      { site: site(i), metrics: TOP, dateRange: '7d', timezone: 'Europe/Berlin', filters: f },
      {
        site: site(i),
        metrics: ['visitors', 'conversions', 'conversion_rate'],
        dateRange: '7d',
        timezone: 'Europe/Berlin',
        dimensions: ['goal'],
        filters: f,
      },
      { site: site(i), metrics: ['visits'], dateRange: '7d', timezone: 'Europe/Berlin', dimensions: ['device'], filters: f },
      { site: site(i), metrics: ['visits', 'bounce_rate'], dateRange: '7d', dimensions: ['country'], filters: f },
    ]);
    let narrower = 0;
    for (const body of bodies) {
      const got = (await ask(body)) as { results: unknown[]; totals: number[]; meta: { tables: string[] } };
      const want = referenceQuery(all, parseQuery(body), NOW, goals);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
      const unfiltered = referenceQuery(all, parseQuery({ ...body, filters: [] }), NOW, goals);
      if (JSON.stringify(want.totals) !== JSON.stringify(unfiltered.totals)) narrower++;
      // The counts answer (a rollup or count table beside the raw events), not the raw events alone; beside
      // a visit filter only where the visit counts hold the metrics, and visits under a kept page or event
      // negation not at all (no visit sums hold them): the plain statements answer those.
      const filtered = JSON.stringify(body.filters);
      const visitsOnly = (body.metrics as string[]).every((m) => ['visits', 'bounce_rate', 'visit_duration'].includes(m));
      if (!filtered.includes('"device"') && !(visitsOnly && /"(page|event)"/.test(filtered)))
        expect({ body, counted: got.meta.tables.some((t) => /_(15m|1d|1mo)$/.test(t)) }).toEqual({ body, counted: true });
    }
    expect(narrower).toBeGreaterThan(bodies.length * 0.5);
  });

  it('answers visit metrics under negated property and event-attribute filters from the visits’ counts, exactly', async () => {
    // Every event-level filter a negation (matched-visits.ts `negatedSplit`): a visit passes when its
    // pageviews and custom events outnumber its events passing the positive form. Pageviews carry no
    // property (they pass `prop:* is_not`); a desktop visit's events all pass `event:device is desktop`
    // (it fails `is_not`); several values, a `not`, two negations, beside visit filters, by visit
    // attributes and time buckets, over a range longer than the raw events kept (12mo: joined before them).
    const TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];
    const filters: unknown[][] = [
      [['is_not', 'prop:plan', ['free', 'team']]],
      [['contains_not', 'prop:plan', ['e']]],
      [['matches_not', 'prop:plan', ['^p']]],
      [['not', ['is', 'prop:plan', ['pro']]]],
      [['is_not', 'event:device', ['desktop']]],
      [['contains_not', 'event:country', ['D', 'U']]],
      [
        ['is_not', 'prop:plan', ['free']],
        ['is_not', 'event:device', ['mobile']],
      ],
      [
        ['is_not', 'prop:ab', ['x']],
        ['is', 'device', ['desktop']],
        ['is_not', 'channel', ['Direct']],
      ],
      [
        ['is_not', 'event:browser', ['Chrome']],
        ['is_not', 'page', ['/pricing']],
      ],
    ];
    const site = (i: number) => (i % 3 === 2 ? SITES : SITES[0]);
    const bodies: Record<string, unknown>[] = filters.flatMap((f, i) => [
      { site: site(i), metrics: TOP, dateRange: '7d', filters: f },
      { site: site(i), metrics: ['visits', 'bounce_rate', 'visit_duration'], dateRange: NEAR_DAYS, dimensions: ['channel'], filters: f },
      { site: site(i), metrics: ['visits', 'views_per_visit'], dateRange: '7d', dimensions: ['time:day', 'country'], filters: f },
      {
        site: site(i),
        metrics: ['visits', 'bounce_rate'],
        dateRange: NEAR_DAYS,
        timezone: 'Asia/Kolkata',
        dimensions: ['time:hour'],
        filters: f,
      },
      { site: site(i), metrics: ['visits', 'visit_duration'], dateRange: '12mo', filters: f },
    ]);
    // Events stored twice (a replay): a.example's custom events with a property, of the last 8 days,
    // once more straight into `events` (the visits count each once). Every statement here reads raw
    // events, one row per id; the rollups count them twice, which no later test reads (this is the last).
    const week = NOW - 8 * 24 * HOUR;
    const twice = new Map(
      all
        .filter((e) => e.site === SITES[0] && e.props.plan !== undefined && Date.parse(`${e.timestamp.replace(' ', 'T')}Z`) >= week)
        .map((e) => [e.event_id, e]),
    );
    expect(twice.size).toBeGreaterThan(10);
    await client.insert({ table: `${database}.events`, values: [...twice.values()], format: 'JSONEachRow' });
    let narrower = 0;
    for (const body of bodies) {
      const got = (await ask(body, propApp)) as { results: { metrics: number[] }[]; totals: number[] };
      const want = referenceQuery(all, parseQuery(body), NOW, propGoals);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...want });
      // The filter drops some visits (the counting matters), and keeps some.
      const unfiltered = referenceQuery(all, parseQuery({ ...body, filters: [] }), NOW, propGoals);
      const visits = (body.metrics as string[]).indexOf('visits');
      if (want.totals[visits] !== unfiltered.totals[visits]) narrower++;
      expect(want.totals[visits]).toBeGreaterThan(0);
    }
    expect(narrower).toBeGreaterThan(bodies.length * 0.5);
  });
});
