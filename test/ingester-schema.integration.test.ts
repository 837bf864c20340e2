/**
 * The schema on the real ClickHouse server: migrations apply once and re-run harmlessly; a
 * batch inserted again with its token doubles neither the raw table nor any rollup; the
 * cluster rendering (CLICKHOUSE_CLUSTER) is SQL the real engine parses, with engines it has.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countVisitors, loadMigrations, MIGRATIONS_DIR, migrate } from '@tidemark/ingester';
import { createClickHouse, EXACT_64BIT_JSON, loadConfig, type StoredEvent, toClickHouseTime } from '@tidemark/shared';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from './harness.ts';
import { rawCount, syntheticEvent, totalsEverywhere } from './ingester-support.ts';
import { cutVisits, rowSignature, SIGNATURE_COLUMNS, visitSignature } from './reference/visits.ts';

describe('ClickHouse schema (server)', () => {
  const config = loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: uniqueName('schema'), RETENTION_DAYS: '30' });
  const client = createClickHouse(config.clickhouse);
  const db = config.clickhouse.database;

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await client.close();
  });

  const one = async <T>(query: string): Promise<T | undefined> =>
    (await (await client.query({ query, format: 'JSONEachRow' })).json<T>())[0];

  it('applies every migration once, records it, and re-running changes nothing', async () => {
    expect(await migrate(client, config.clickhouse)).toEqual([
      1, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55,
    ]);
    expect(await migrate(client, config.clickhouse)).toEqual([]);
    const tables = await (
      await client.query({ query: `SELECT name, engine FROM system.tables WHERE database = '${db}' ORDER BY name`, format: 'JSONEachRow' })
    ).json<{ name: string; engine: string }>();
    expect(Object.fromEntries(tables.map((t) => [t.name, t.engine]))).toEqual({
      alert_deliveries: 'MergeTree',
      alert_lease: 'MergeTree',
      alert_notices: 'MergeTree',
      alert_rules: 'ReplacingMergeTree',
      api_key_uses: 'ReplacingMergeTree',
      api_keys: 'ReplacingMergeTree',
      attribute_visits_1d: 'AggregatingMergeTree',
      attribute_visits_1d_mv: 'MaterializedView',
      attribute_visits_1d_more_mv: 'MaterializedView',
      audit_log: 'MergeTree',
      countries_minute: 'AggregatingMergeTree',
      countries_minute_mv: 'MaterializedView',
      entry_exit_visits_1d: 'AggregatingMergeTree',
      entry_exit_visits_1d_mv: 'MaterializedView',
      events: 'MergeTree',
      events_minute: 'AggregatingMergeTree',
      events_minute_mv: 'MaterializedView',
      events_15m: 'AggregatingMergeTree',
      events_15m_mv: 'MaterializedView',
      events_1d: 'AggregatingMergeTree',
      events_1d_mv: 'MaterializedView',
      event_marks_1d: 'ReplacingMergeTree',
      imported_browsers: 'MergeTree',
      imported_custom_events: 'MergeTree',
      imported_devices: 'MergeTree',
      imported_entry_pages: 'MergeTree',
      imported_exit_pages: 'MergeTree',
      imported_locations: 'MergeTree',
      imported_operating_systems: 'MergeTree',
      imported_pages: 'MergeTree',
      imported_sources: 'MergeTree',
      imported_umami_events: 'MergeTree',
      imported_visitors: 'MergeTree',
      imports: 'ReplacingMergeTree',
      ingest_ranges: 'ReplacingMergeTree',
      name_pages_1d: 'ReplacingMergeTree',
      name_visits_1d: 'AggregatingMergeTree',
      name_visits_1d_mv: 'MaterializedView',
      pages_minute: 'AggregatingMergeTree',
      pages_minute_mv: 'MaterializedView',
      pages_15m: 'AggregatingMergeTree',
      pages_15m_mv: 'MaterializedView',
      pages_1d: 'AggregatingMergeTree',
      pages_1d_mv: 'MaterializedView',
      page_visitors_1mo: 'ReplacingMergeTree',
      page_visits_1d: 'AggregatingMergeTree',
      page_visits_1d_mv: 'MaterializedView',
      page_visits_1d_events_mv: 'MaterializedView',
      pageview_marks_1d: 'ReplacingMergeTree',
      schema_migrations: 'ReplacingMergeTree',
      sessions: 'ReplacingMergeTree',
      site_days: 'AggregatingMergeTree',
      site_days_counts_mv: 'MaterializedView',
      site_days_events_mv: 'MaterializedView',
      site_days_splits_mv: 'MaterializedView',
      site_days_visit_quarters_mv: 'MaterializedView',
      site_days_visits_mv: 'MaterializedView',
      shared_links: 'ReplacingMergeTree',
      sites: 'ReplacingMergeTree',
      users: 'ReplacingMergeTree',
      visitors_1d: 'ReplacingMergeTree',
      visit_visitors_1d: 'ReplacingMergeTree',
      visits: 'VersionedCollapsingMergeTree',
      visits_15m: 'AggregatingMergeTree',
      visits_15m_mv: 'MaterializedView',
      visits_1d: 'AggregatingMergeTree',
      visits_1d_mv: 'MaterializedView',
    });
    const ddl = await one<{ ddl: string }>(
      `SELECT create_table_query AS ddl FROM system.tables WHERE database = '${db}' AND name = 'events'`,
    );
    expect(ddl?.ddl).toMatch(/TTL toDateTime\(timestamp\) \+ toIntervalDay\(30\)/);
    expect(ddl?.ddl).toMatch(/PARTITION BY toYYYYMM\(timestamp\)/);
  });

  it("runs every migration's statements again on the final schema, as an ingester starting beside another does", async () => {
    // Two ingesters starting together each run the migrations the other has not recorded yet: one
    // can run an early backfill after the other added a later migration's columns (021's insert
    // after 027's, once: "Number of columns doesn't match"). Each statement must still run.
    await migrate(client, config.clickhouse);
    const failed: string[] = [];
    for (const migration of await loadMigrations(config.clickhouse)) {
      for (const statement of migration.statements) {
        await client
          .command({ query: statement })
          .catch((error: unknown) => failed.push(`${migration.version}_${migration.name}: ${String(error)}`));
      }
    }
    expect(failed).toEqual([]);
  });

  it('a batch inserted twice with its token is stored once, in the raw table and every rollup', async () => {
    const site = 'token.example';
    const values = Array.from({ length: 500 }, (_, i) => syntheticEvent(site, i));
    for (let attempt = 0; attempt < 3; attempt++) {
      await client.insert({
        table: `${db}.events`,
        values,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'topic:0:0-499', deduplicate_blocks_in_dependent_materialized_views: 1 },
      });
    }
    expect(await rawCount(client, db, site)).toEqual({ rows: 500, ids: 500 });
    const totals = await totalsEverywhere(client, db, site);
    expect(totals.raw).toMatchObject({ views: 350, events: 50 });
    expect(totals.events_minute).toEqual(totals.raw);
    expect(totals.countries_minute).toMatchObject({ views: 350 });
    expect(totals.events_15m).toMatchObject({ views: 350, events: 50 });
  });

  it('backfills the quarter-hour rollups from the raw events an older schema holds', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-old-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_old') };
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => /^00[1-4]_/.test(f))) copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      expect(await migrate(client, older, old)).toEqual([1, 2, 3]);
      const site = 'backfill.example';
      await client.insert({
        table: `${older.database}.events`,
        // Visitor ids as the collector makes them, past 2^53 (each one a different double apart).
        values: Array.from({ length: 400 }, (_, i) => ({
          ...syntheticEvent(site, i),
          visitor_id: (2n ** 63n + BigInt(i % 97) * 1_000_003n).toString(),
        })),
        format: 'JSONEachRow',
      });
      // A complete UTC day of another site, for the visitor counts' backfill (migrations 015, 017, 019).
      const daySite = 'days.example';
      const dayNoon = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2.5 * 86_400_000;
      // Spread over the day's morning (01:00–11:50 UTC), 37 visitors coming back: the day's splits differ per quarter-hour.
      const dayEvents = Array.from({ length: 300 }, (_, i) => ({
        ...syntheticEvent(daySite, i, dayNoon - 11 * 3_600_000 + i * 130_000),
        visitor_id: String(1 + (i % 37)),
      }));
      await client.insert({ table: `${older.database}.events`, values: dayEvents, format: 'JSONEachRow' });
      expect(await migrate(client, older)).toEqual([
        5, 6, 7, 9, 11, 12, 14, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55,
      ]);
      const numbers = (r: Record<string, unknown> | undefined) =>
        Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, Number(v)]));
      const sums = async (table: string) =>
        numbers(
          await one<Record<string, unknown>>(
            `SELECT sumIf(events, name = 'pageview') AS views, uniqMergeIf(visitors, name = 'pageview') AS visitors,
                  sumIf(events, name NOT IN ('pageview', 'engagement')) AS custom FROM ${older.database}.${table} WHERE site = '${site}'`,
          ),
        );
      const raw = numbers(
        await one<Record<string, unknown>>(
          `SELECT countIf(name = 'pageview') AS views, uniqIf(visitor_id, name = 'pageview') AS visitors,
                countIf(name NOT IN ('pageview', 'engagement')) AS custom FROM ${older.database}.events WHERE site = '${site}'`,
        ),
      );
      expect(raw).toEqual({ views: 280, visitors: expect.any(Number), custom: 40 });
      expect(await sums('events_15m')).toEqual(raw);
      expect(await sums('pages_15m')).toEqual(raw);
      expect(await sums('events_1d')).toEqual(raw);
      expect(await sums('pages_1d')).toEqual(raw);
      expect(await migrate(client, older)).toEqual([]); // a re-run backfills nothing twice
      expect(await sums('events_15m')).toEqual(raw);
      // 055: the quarter-hours written before it get the projection ordered by path (MATERIALIZE, a mutation),
      // and a read under a path filter takes it, with the table's own numbers.
      for (let i = 0; i < 100; i++) {
        const pending = await one<{ n: string }>(
          `SELECT count() AS n FROM system.mutations WHERE database = '${older.database}' AND table = 'pages_15m' AND NOT is_done`,
        );
        if (Number(pending?.n) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const parts = await one<{ all: string; projected: string }>(
        `SELECT count() AS all, countIf(has(projections, 'by_path')) AS projected FROM system.parts
         WHERE database = '${older.database}' AND table = 'pages_15m' AND active`,
      );
      expect(Number(parts?.all)).toBeGreaterThan(0);
      expect(parts?.projected).toBe(parts?.all);
      // 200 quarter-hours of 500 paths written since (the view's rows, as inserted): a read of one path takes the projection.
      await client.command({
        query: `INSERT INTO ${older.database}.pages_15m (site, bucket, path, name, events, visitors, duration_ms)
                SELECT 'projection.example', toDateTime('2026-11-01 00:00:00', 'UTC') + intDiv(number, 500) * 900,
                       concat('/x/', toString(number % 500)), 'pageview', 1, arrayReduce('uniqState', [toUInt64(number % 7)]), 0
                FROM numbers(100000)`,
      });
      for (const [where, rows] of [
        [`site = '${site}' AND name = 'pageview' AND startsWith(path, '/p')`, 0],
        ["site = 'projection.example' AND name = 'pageview' AND path = '/x/7'", 200],
      ] as const) {
        const pathRead = `SELECT sum(events) AS views, uniqMerge(visitors) AS visitors FROM ${older.database}.pages_15m WHERE ${where}`;
        if (rows > 0) {
          const plan = await (await client.query({ query: `EXPLAIN ${pathRead}`, format: 'JSONEachRow' })).json<{ explain: string }>();
          expect(plan.map((r) => r.explain).join('\n')).toContain('ReadFromMergeTree (by_path)');
        }
        const read = async (projections: boolean) =>
          numbers(
            (
              await (
                await client.query({
                  query: pathRead,
                  format: 'JSONEachRow',
                  clickhouse_settings: { optimize_use_projections: projections ? 1 : 0 },
                })
              ).json()
            )[0] as Record<string, unknown>,
          );
        if (rows > 0) expect(await read(true)).toEqual({ views: rows, visitors: 7 });
        else expect((await read(true)).views).toBeGreaterThan(0);
        expect(await read(true)).toEqual(await read(false));
      }
      // …and the visits of those events, cut as the ingester cuts them.
      const stored = await (
        await client.query({
          query: `SELECT * FROM ${older.database}.events`,
          format: 'JSONEachRow',
          clickhouse_settings: EXACT_64BIT_JSON,
        })
      ).json<StoredEvent>();
      // Every visit backfilled (both sites) has the signature the reference cuts from the stored events.
      const cut = cutVisits(stored);
      const backfilled = await (
        await client.query({
          query: `SELECT ${SIGNATURE_COLUMNS} FROM ${older.database}.visits FINAL`,
          format: 'JSONEachRow',
          clickhouse_settings: EXACT_64BIT_JSON,
        })
      ).json<Record<string, string | number>>();
      expect(backfilled.map(rowSignature).sort()).toEqual(cut.map(visitSignature).sort());
      const visits = cut.filter((v) => v.site === site);
      const found = numbers(
        await one<Record<string, unknown>>(
          `SELECT count() AS visits, sum(pageviews) AS pageviews, sum(events) AS custom, sum(engagements) AS engagements FROM ${older.database}.visits FINAL WHERE site = '${site}'`,
        ),
      );
      expect(found).toEqual({
        visits: visits.length,
        pageviews: 280,
        custom: 40,
        engagements: visits.reduce((n, v) => n + v.engagements, 0),
      });
      // …and the visit rollups of those visits (migration 009 runs after the visits' backfill).
      const counted = visits.filter((v) => v.counted);
      const rollup = async (table: string) =>
        numbers(
          await one<Record<string, unknown>>(
            `SELECT sum(visits) AS visits, sum(bounces) AS bounces, sum(pageviews) AS pageviews FROM ${older.database}.${table} WHERE dimension = '' AND site = '${site}'`,
          ),
        );
      const want = { visits: counted.length, bounces: counted.filter((v) => v.bounce).length, pageviews: 280 };
      expect(await rollup('visits_15m')).toEqual(want);
      expect(await rollup('visits_1d')).toEqual(want);
      // …and the visitor counts of the complete day (today's events are not counted: the day is not over).
      const counts = await (
        await client.query({
          query: `SELECT site, dimension, toUnixTimestamp(bucket) * 1000 AS day, events, values, visitors, pageviews, customs, engagements,
                         before, after, pageviews_before, customs_before, engagements_before, engaged_ms_before
                  FROM ${older.database}.visitors_1d ORDER BY site, dimension`,
          format: 'JSONEachRow',
          clickhouse_settings: EXACT_64BIT_JSON,
        })
      )
        .json<{
          site: string;
          dimension: string;
          day: string;
          events: string;
          values: string[];
          visitors: string[];
          pageviews: string[];
          before: string[];
          after: string[];
          pageviews_before: string[];
          customs_before: string[];
          engagements_before: string[];
          engaged_ms_before: string[];
        }>()
        .then((rows) =>
          rows.map((r) => ({
            ...r,
            day: Number(r.day),
            events: Number(r.events),
            visitors: r.visitors.map(Number),
            pageviews: r.pageviews.map(Number),
            before: r.before.map(Number),
            after: r.after.map(Number),
            sums: [r.pageviews_before, r.customs_before, r.engagements_before, r.engaged_ms_before].map((a) => a.map(Number)),
          })),
        );
      const distinct = (events: StoredEvent[]) => new Set(events.filter((e) => e.name !== 'engagement').map((e) => e.visitor_id)).size;
      const paths = [...new Set(dayEvents.map((e) => e.path))];
      const byPath = (values: string[], visitors: number[]) => Object.fromEntries(values.map((v, i) => [v, visitors[i]]));
      expect(counts.map((c) => [c.site, c.dimension, c.day, c.events])).toEqual([
        [daySite, '', Math.floor(dayNoon / 86_400_000) * 86_400_000, 300],
        [daySite, 'page', Math.floor(dayNoon / 86_400_000) * 86_400_000, 300],
      ]);
      expect(byPath(counts[0]?.values ?? [], counts[0]?.visitors ?? [])).toEqual({ '': distinct(dayEvents) });
      expect(counts[0]?.pageviews).toEqual([dayEvents.filter((e) => e.name === 'pageview').length]);
      // The whole site's splits (migration 017): distinct visitors before and from each quarter-hour of the day.
      const quarter = (e: StoredEvent) => Math.floor((Date.parse(`${e.timestamp.replace(' ', 'T')}Z`) % 86_400_000) / 900_000);
      const quarters = Array.from({ length: 96 }, (_, q) => q);
      expect(new Set(dayEvents.map(quarter)).size).toBeGreaterThan(30);
      expect(counts[0]?.before).toEqual(quarters.map((q) => distinct(dayEvents.filter((e) => quarter(e) < q))));
      expect(counts[0]?.after).toEqual(quarters.map((q) => distinct(dayEvents.filter((e) => quarter(e) >= q))));
      expect([counts[1]?.before, counts[1]?.after]).toEqual([[], []]);
      // Their sums (migration 019): pageviews, custom events, engagements and engaged time before each quarter-hour.
      const earlier = (q: number) => dayEvents.filter((e) => quarter(e) < q);
      const engaged = (events: StoredEvent[]) => events.filter((e) => e.name === 'engagement');
      expect(counts[0]?.sums).toEqual([
        quarters.map((q) => earlier(q).filter((e) => e.name === 'pageview').length),
        quarters.map((q) => earlier(q).filter((e) => e.name !== 'pageview' && e.name !== 'engagement').length),
        quarters.map((q) => engaged(earlier(q)).length),
        quarters.map((q) => engaged(earlier(q)).reduce((sum, e) => sum + e.duration_ms, 0)),
      ]);
      expect(counts[0]?.sums[0]?.[95]).toBeGreaterThan(0);
      expect(counts[1]?.sums).toEqual([[], [], [], []]);
      expect(byPath(counts[1]?.values ?? [], counts[1]?.visitors ?? [])).toEqual(
        Object.fromEntries(paths.map((p) => [p, distinct(dayEvents.filter((e) => e.path === p))])),
      );
      // …and the whole-site days (migration 021): each day's sums, visit sums and count as the tables it mirrors hold them.
      const mirrored = `
        SELECT site, toUnixTimestamp(day) AS day, sum(events) AS events, sum(pageviews) AS pageviews, sum(customs) AS customs,
               sum(engagements) AS engagements, sum(engaged_ms) AS engaged_ms, sum(visits) AS visits, sum(bounces) AS bounces,
               sum(duration) AS duration, sum(visit_pageviews) AS visit_pageviews, toString(max(counted)) AS counted
        FROM ${older.database}.site_days GROUP BY site, day ORDER BY site, day`;
      const sources = `
        SELECT site, toUnixTimestamp(bucket) AS day, sum(e.events) AS events, sumIf(e.events, e.name = 'pageview') AS pageviews,
               sumIf(e.events, e.name NOT IN ('pageview', 'engagement')) AS customs, sumIf(e.events, e.name = 'engagement') AS engagements,
               sumIf(e.duration_ms, e.name = 'engagement') AS engaged_ms,
               any(v.visits) AS visits, any(v.bounces) AS bounces, any(v.duration) AS duration, any(v.pageviews) AS visit_pageviews,
               toString(any(c.counted)) AS counted
        FROM ${older.database}.events_1d AS e
        LEFT JOIN (SELECT site, bucket, sum(visits) AS visits, sum(bounces) AS bounces, sum(duration) AS duration, sum(pageviews) AS pageviews
                   FROM ${older.database}.visits_1d WHERE dimension = '' GROUP BY site, bucket) AS v USING (site, bucket)
        LEFT JOIN (SELECT site, bucket, max((events, visitors[1])) AS counted FROM ${older.database}.visitors_1d WHERE dimension = '' GROUP BY site, bucket) AS c
          USING (site, bucket)
        GROUP BY site, bucket ORDER BY site, day`;
      const rows = async (query: string) =>
        (await client.query({ query, format: 'JSONEachRow', clickhouse_settings: EXACT_64BIT_JSON })).json<Record<string, unknown>>();
      const days = await rows(mirrored);
      expect(days).toEqual(await rows(sources));
      expect(days.filter((d) => d.counted !== '(0,0)').map((d) => d.site)).toEqual([daySite]);
      // …with their quarter-hours (migration 027): each quarter's visit sums as `visits_15m` holds them, and the whole
      // site's count with its splits and their sums as `visitors_1d` holds it.
      const quartered = `
        SELECT site, toUnixTimestamp(day) AS day, toString(sumMap(visit_quarters)) AS visit_quarters, toString(max(splits)) AS splits
        FROM ${older.database}.site_days GROUP BY site, day ORDER BY site, day`;
      const quarterSources = `
        SELECT site, toUnixTimestamp(dd) AS day, toString(any(v.quarters)) AS visit_quarters, toString(any(c.splits)) AS splits
        FROM (SELECT DISTINCT site, day AS dd FROM ${older.database}.site_days) AS d
        LEFT JOIN (SELECT site, toStartOfDay(bucket) AS dd,
                          sumMap(([toUInt8(intDiv(toUInt32(bucket) % 86400, 900))], [visits], [bounces], [duration], [pageviews])) AS quarters
                   FROM ${older.database}.visits_15m WHERE dimension = '' GROUP BY site, dd) AS v USING (site, dd)
        LEFT JOIN (SELECT site, bucket AS dd,
                          max((events, before, after, pageviews_before, customs_before, engagements_before, engaged_ms_before)) AS splits
                   FROM ${older.database}.visitors_1d WHERE dimension = '' AND length(after) = 96 GROUP BY site, dd) AS c USING (site, dd)
        GROUP BY site, dd ORDER BY site, day`;
      const quarterRows = await rows(quartered);
      expect(quarterRows).toEqual(await rows(quarterSources));
      expect(quarterRows.filter((d) => String(d.splits).length > 30).map((d) => d.site)).toEqual([daySite]);
      expect(quarterRows.some((d) => String(d.visit_quarters).length > 20)).toBe(true);
      // The page months (migration 025): a complete UTC month's paths, summed from its counted days
      // (here the one day), with the month's events; a month not over yet has none.
      const monthOf = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1);
      const months = await (
        await client.query({
          query: `SELECT site, toUnixTimestamp(bucket) * 1000 AS month, path, events, visitors, pageviews
                  FROM ${older.database}.page_visitors_1mo ORDER BY path`,
          format: 'JSONEachRow',
          clickhouse_settings: EXACT_64BIT_JSON,
        })
      ).json<Record<string, string>>();
      const complete = monthOf(dayNoon) < monthOf(Date.now());
      expect(months.map((m) => ({ ...m, month: Number(m.month) }))).toEqual(
        complete
          ? [...paths].sort().map((path) => ({
              site: daySite,
              month: monthOf(dayNoon),
              path,
              events: '300',
              visitors: String(distinct(dayEvents.filter((e) => e.path === path))),
              pageviews: String(dayEvents.filter((e) => e.path === path && e.name === 'pageview').length),
            }))
          : [],
      );
      // The per-name day counts (migration 039): the complete day's custom event names, overall and
      // per path, stamped with the day's events in pages_1d.
      const customs = dayEvents.filter((e) => e.name !== 'pageview' && e.name !== 'engagement');
      const named = await one<Record<string, unknown>>(
        `SELECT events, names, visitors, counts, arraySort(arrayZip(path_names, paths, path_visitors, path_counts)) AS per_path
         FROM ${older.database}.name_pages_1d WHERE site = '${daySite}'`,
      );
      const customPaths = [...new Set(customs.map((e) => e.path))].sort();
      expect(JSON.parse(JSON.stringify(named), (_, v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))).toEqual({
        events: 300,
        names: ['signup'],
        visitors: [distinct(customs)],
        counts: [customs.length],
        per_path: customPaths.map((path) => {
          const on = customs.filter((e) => e.path === path);
          return ['signup', path, distinct(on), on.length];
        }),
      });
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('a database that ran every migration up to 010 applies the imports, scroll depth, alerts, visitor counts and whole-site days (011, 012, 014, 015, 017, 019, 021, 023, 025, 027) next', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-010-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_010') };
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) <= 10))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      expect(await migrate(client, older, old)).toEqual([1, 2, 3, 5, 6, 7, 9]);
      expect(await migrate(client, older)).toEqual([
        11, 12, 14, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55,
      ]);
      const columns = await (
        await client.query({
          query: `SELECT table, name FROM system.columns WHERE database = '${older.database}' AND (name = 'scroll_depth' OR table = 'imports') AND name IN ('scroll_depth', 'id')`,
          format: 'JSONEachRow',
        })
      ).json<{ table: string; name: string }>();
      expect(columns.map((c) => `${c.table}.${c.name}`).sort()).toEqual(['events.scroll_depth', 'imports.id']);
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it("a database that ran every migration before 023 keeps its visits' pages, now LowCardinality (023)", async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-022-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_022') };
    const pairsType = async () =>
      (
        await one<{ type: string }>(
          `SELECT type FROM system.columns WHERE database = '${older.database}' AND table = 'visits' AND name = 'pairs'`,
        )
      )?.type;
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) < 23))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      await migrate(client, older, old);
      expect(await pairsType()).toBe('Array(Tuple(name String, path String))');
      const pairs = [
        { name: 'pageview', path: '/' },
        { name: 'pageview', path: '/pricing?plan=pro' },
        { name: 'signup', path: '/pricing?plan=pro' },
        { name: 'pageview', path: 'caf\u00e9/\u{1F30A}' },
      ];
      await client.insert({
        table: `${older.database}.visits`,
        values: [
          {
            site: 'pairs.example',
            visitor_id: '1',
            first_at: '2026-11-01 10:00:00.000',
            last_at: '2026-11-01 10:05:00.000',
            sign: 1,
            version: 1,
            pageviews: 3,
            events: 1,
            pairs,
          },
        ],
        format: 'JSONEachRow',
      });
      expect(await migrate(client, older)).toEqual([23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55]);
      expect(await pairsType()).toBe('Array(Tuple(name LowCardinality(String), path LowCardinality(String)))');
      const read = async () =>
        (
          await one<{ pairs: { name: string; path: string }[] }>(
            `SELECT pairs FROM ${older.database}.visits FINAL WHERE site = 'pairs.example'`,
          )
        )?.pairs;
      expect(await read()).toEqual(pairs);
      // 049: the row written before has the hashes of its distinct pageview paths (not the custom event's),
      // materialized or computed as read, and so has a row written after it (the column named by no insert).
      const viewed = ['/', '/pricing?plan=pro', 'caf\u00e9/\u{1F30A}'];
      const hashes = async (visitor: string, site = 'pairs.example') =>
        await one<{ got: string[]; want: string[] }>(
          `SELECT arrayMap(h -> toString(h), arraySort(pageview_paths)) AS got,
                  arrayMap(h -> toString(h), arraySort(arrayMap(p -> cityHash64(p), [${viewed.map(quote).join(', ')}]))) AS want
           FROM ${older.database}.visits FINAL WHERE site = '${site}' AND visitor_id = ${visitor}`,
        );
      const before = await hashes('1');
      expect(before?.got).toHaveLength(3);
      expect(before?.got).toEqual(before?.want);
      // The rewrite of the old part, done or not, reads the same; a re-run changes nothing.
      await client.command({ query: `OPTIMIZE TABLE ${older.database}.visits FINAL` });
      expect(await read()).toEqual(pairs);
      for (const statement of (await loadMigrations(older)).find((m) => m.version === 23)?.statements ?? [])
        await client.command({ query: statement });
      for (const statement of (await loadMigrations(older)).find((m) => m.version === 49)?.statements ?? [])
        await client.command({ query: statement });
      expect(await read()).toEqual(pairs);
      expect(await hashes('1')).toEqual(before);
      await client.insert({
        table: `${older.database}.visits`,
        values: [
          {
            site: 'hashes.example',
            visitor_id: '2',
            first_at: '2026-11-01 11:00:00.000',
            last_at: '2026-11-01 11:05:00.000',
            sign: 1,
            version: 1,
            pageviews: 3,
            events: 1,
            pairs,
          },
        ],
        format: 'JSONEachRow',
      });
      expect(await hashes('2', 'hashes.example')).toEqual(before);
      // 035 and 037 backfilled the visit written before them (its versions: ''; its custom event name:
      // signup, once), and a re-run of their statements (the backfills included) adds nothing.
      const sums = async () => ({
        names: await one<{ rows: number; visits: number }>(
          `SELECT count() AS rows, sum(visits) AS visits FROM ${older.database}.name_visits_1d
           WHERE site = 'pairs.example' AND name = 'signup' AND dimension = ''`,
        ),
        versions: await one<{ rows: number; visits: number }>(
          `SELECT uniqExact(dimension) AS rows, sum(visits) AS visits FROM ${older.database}.attribute_visits_1d
           WHERE site = 'pairs.example' AND filter_dimension = 'browser_version' AND filter_value = ''`,
        ),
      });
      const backfilled = { names: { rows: 1, visits: 1 }, versions: { rows: 6, visits: 6 } };
      expect(await sums()).toEqual(backfilled);
      for (const version of [35, 37])
        for (const statement of (await loadMigrations(older)).find((m) => m.version === version)?.statements ?? [])
          await client.command({ query: statement });
      expect(await sums()).toEqual(backfilled);
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('a database that ran every migration before 041 gets the page visit sums of the visits holding a path among custom events only, once', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-040-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_040') };
    const visit = (visitor: string, sign: number, version: number, pairs: { name: string; path: string }[], minutes: number) => ({
      site: 'goals.example',
      visitor_id: visitor,
      first_at: '2026-11-01 10:00:00.000',
      last_at: `2026-11-01 10:${String(minutes).padStart(2, '0')}:00.000`,
      sign,
      version,
      channel: 'Direct',
      pageviews: pairs.filter((p) => p.name === 'pageview').length,
      events: pairs.filter((p) => p.name !== 'pageview').length,
      pairs,
    });
    const viewed = { name: 'pageview', path: '/pricing' };
    const signup = { name: 'signup', path: '/pricing' };
    const about = { name: 'pageview', path: '/about' };
    // The sums of /pricing by channel: all its visits' (031), those holding it among custom events only (041).
    const sums = async () =>
      one<Record<string, number>>(
        `SELECT sum(visits) AS visits, sum(ev_visits) AS ev_visits, sum(ev_bounces) AS ev_bounces, sum(ev_duration) AS ev_duration,
                sum(ev_pageviews) AS ev_pageviews
         FROM ${older.database}.page_visits_1d WHERE site = 'goals.example' AND path = '/pricing' AND dimension = 'channel'`,
      );
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) < 41))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      await migrate(client, older, old);
      // 1: a signup on /pricing only; 2: a pageview of /pricing and a signup there; 3: a signup on /pricing
      // and a pageview of /about, rewritten (its cancel, then a pageview of /pricing joins it).
      await client.insert({
        table: `${older.database}.visits`,
        values: [
          visit('1', 1, 1, [about, signup], 3),
          visit('2', 1, 1, [viewed, signup], 4),
          visit('3', 1, 1, [signup, about], 2),
          visit('3', -1, 1, [signup, about], 2),
          visit('3', 1, 2, [signup, about, viewed], 9),
        ],
        format: 'JSONEachRow',
      });
      expect(
        await one<{ visits: number }>(
          `SELECT sum(visits) AS visits FROM ${older.database}.page_visits_1d WHERE site = 'goals.example' AND path = '/pricing' AND dimension = 'channel'`,
        ),
      ).toEqual({ visits: 3 });
      expect(await migrate(client, older)).toEqual([41, 43, 45, 47, 49, 51, 53, 55]);
      const backfilled = { visits: 3, ev_visits: 1, ev_bounces: 0, ev_duration: 180_000, ev_pageviews: 1 };
      expect(await sums()).toEqual(backfilled);
      // A re-run of its statements (the backfill included) adds nothing.
      for (const statement of (await loadMigrations(older)).find((m) => m.version === 41)?.statements ?? [])
        await client.command({ query: statement });
      expect(await sums()).toEqual(backfilled);
      // From now on the view adds them: another visit with a signup on /pricing only, one rewritten to hold a pageview of it.
      await client.insert({
        table: `${older.database}.visits`,
        values: [
          visit('4', 1, 1, [signup], 1),
          visit('5', 1, 1, [signup], 1),
          visit('5', -1, 1, [signup], 1),
          visit('5', 1, 2, [signup, viewed], 6),
        ],
        format: 'JSONEachRow',
      });
      expect(await sums()).toEqual({ visits: 5, ev_visits: 2, ev_bounces: 0, ev_duration: 240_000, ev_pageviews: 1 });
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('a database that ran every migration before 043 gets the visit sums per entry and exit page and channel, once, and the view keeps them', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-042-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_042') };
    const visit = (visitor: string, sign: number, version: number, entry: string, exit: string, channel: string, pageviews: number) => ({
      site: 'pages.example',
      visitor_id: visitor,
      first_at: '2026-11-01 10:00:00.000',
      last_at: `2026-11-01 10:0${pageviews}:00.000`,
      sign,
      version,
      entry_page: entry,
      exit_page: exit,
      channel,
      pageviews,
      events: 0,
    });
    // Per (page kind, page, channel): visits, bounces, duration, pageviews; rows whose sums cancelled out left out.
    const sums = async () =>
      (
        await client.query({
          query: `SELECT filter_dimension, filter_value, value, sum(visits) AS visits, sum(bounces) AS bounces, sum(duration) AS duration,
                         sum(pageviews) AS pageviews
                  FROM ${older.database}.entry_exit_visits_1d WHERE site = 'pages.example' AND dimension = 'channel'
                  GROUP BY filter_dimension, filter_value, value HAVING visits != 0 OR pageviews != 0
                  ORDER BY filter_dimension, filter_value, value`,
          format: 'JSONEachRow',
          clickhouse_settings: EXACT_64BIT_JSON,
        })
      )
        .json<Record<string, string | number>>()
        .then((rows) =>
          rows.map((r) => `${r.filter_dimension} ${r.filter_value} ${r.value}: ${r.visits} ${r.bounces} ${r.duration} ${r.pageviews}`),
        );
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) < 43))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      await migrate(client, older, old);
      // 1: a bounce on / from Direct; 2: / to /pricing from Direct, rewritten (its cancel, then a third pageview
      // ending on /docs, now from Search: the cancel takes back what it added).
      await client.insert({
        table: `${older.database}.visits`,
        values: [
          visit('1', 1, 1, '/', '/', 'Direct', 1),
          visit('2', 1, 1, '/', '/pricing', 'Direct', 2),
          visit('2', -1, 1, '/', '/pricing', 'Direct', 2),
          visit('2', 1, 2, '/', '/docs', 'Organic Search', 3),
        ],
        format: 'JSONEachRow',
      });
      expect(await migrate(client, older)).toEqual([43, 45, 47, 49, 51, 53, 55]);
      const backfilled = [
        'entry_page / Direct: 1 1 60000 1',
        'entry_page / Organic Search: 1 0 180000 3',
        'exit_page / Direct: 1 1 60000 1',
        'exit_page /docs Organic Search: 1 0 180000 3',
      ];
      expect(await sums()).toEqual(backfilled);
      // A re-run of its statements (the backfill included) adds nothing.
      for (const statement of (await loadMigrations(older)).find((m) => m.version === 43)?.statements ?? [])
        await client.command({ query: statement });
      expect(await sums()).toEqual(backfilled);
      // From now on the view adds them: visit 1 rewritten to end on /pricing (two pageviews).
      await client.insert({
        table: `${older.database}.visits`,
        values: [visit('1', -1, 1, '/', '/', 'Direct', 1), visit('1', 1, 2, '/', '/pricing', 'Direct', 2)],
        format: 'JSONEachRow',
      });
      expect(await sums()).toEqual([
        'entry_page / Direct: 1 0 120000 2',
        'entry_page / Organic Search: 1 0 180000 3',
        'exit_page /docs Organic Search: 1 0 180000 3',
        'exit_page /pricing Direct: 1 0 120000 2',
      ]);
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('a database that ran every migration before 045 gets region and city in events and visits, and the visit rollups read them from then on', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-044-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_044') };
    const visit = (visitor: string, place: Record<string, string>) => ({
      site: 'places.example',
      visitor_id: visitor,
      first_at: '2026-11-01 10:00:00.000',
      last_at: '2026-11-01 10:03:00.000',
      sign: 1,
      version: 1,
      country: 'US',
      ...place,
      pageviews: 1,
      events: 1,
      pairs: [
        { name: 'pageview', path: '/pricing' },
        { name: 'signup', path: '/pricing' },
      ],
    });
    const placed = { region: 'California', city: 'Mountain View' };
    /** Visits per (table, dimension, value) of the site, in the rollups fed by the changed views. */
    const sums = async () => {
      const rows = await (
        await client.query({
          query: `SELECT t, dimension, value, toUInt32(sum(visits)) AS visits FROM (
                    SELECT 'visits_1d' AS t, dimension, value, visits FROM ${older.database}.visits_1d WHERE site = 'places.example'
                    UNION ALL SELECT 'page_visits_1d', dimension, value, visits FROM ${older.database}.page_visits_1d WHERE site = 'places.example' AND path = '/pricing'
                    UNION ALL SELECT 'name_visits_1d', dimension, value, visits FROM ${older.database}.name_visits_1d WHERE site = 'places.example' AND name = 'signup')
                  WHERE dimension IN ('region', 'city') GROUP BY t, dimension, value ORDER BY t, dimension, value`,
          format: 'JSONEachRow',
        })
      ).json<{ t: string; dimension: string; value: string; visits: number }>();
      return rows.map((r) => `${r.t} ${r.dimension}=${r.value}: ${r.visits}`);
    };
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) < 45))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      await migrate(client, older, old);
      await client.insert({ table: `${older.database}.visits`, values: [visit('1', {})], format: 'JSONEachRow' });
      expect(await migrate(client, older)).toEqual([45, 47, 49, 51, 53, 55]);
      const columns = await (
        await client.query({
          query: `SELECT table, name, type FROM system.columns WHERE database = '${older.database}' AND table IN ('events', 'visits') AND name IN ('region', 'city') ORDER BY table, name`,
          format: 'JSONEachRow',
        })
      ).json<{ table: string; name: string; type: string }>();
      expect(columns.map((c) => `${c.table}.${c.name} ${c.type}`)).toEqual([
        'events.city LowCardinality(String)',
        'events.region LowCardinality(String)',
        'visits.city LowCardinality(String)',
        'visits.region LowCardinality(String)',
      ]);
      // The events columns are the last two, in the order of schema version 3 (docs/topic.md).
      const eventColumns = await (
        await client.query({
          query: `SELECT name FROM system.columns WHERE database = '${older.database}' AND table = 'events' ORDER BY position`,
          format: 'JSONEachRow',
        })
      ).json<{ name: string }>();
      expect(eventColumns.slice(-3).map((c) => c.name)).toEqual(['scroll_depth', 'region', 'city']);
      await client.insert({ table: `${older.database}.visits`, values: [visit('2', placed)], format: 'JSONEachRow' });
      // The visit written before 045 keeps its '' rows; the one after is counted by its region and city,
      // except city in the per-path and per-name rollups (045 says why).
      const expected = [
        'name_visits_1d region=: 1',
        'name_visits_1d region=California: 1',
        'page_visits_1d region=: 1',
        'page_visits_1d region=California: 1',
        'visits_1d city=: 1',
        'visits_1d city=Mountain View: 1',
        'visits_1d region=: 1',
        'visits_1d region=California: 1',
      ];
      const before045 = ['name_visits_1d city=: 1', 'page_visits_1d city=: 1'];
      expect(await sums()).toEqual([...before045, ...expected].sort());
      // A re-run of its statements changes nothing, and the views go on reading the columns.
      for (const statement of (await loadMigrations(older)).find((m) => m.version === 45)?.statements ?? [])
        await client.command({ query: statement });
      await client.insert({ table: `${older.database}.visits`, values: [visit('3', placed)], format: 'JSONEachRow' });
      expect(await sums()).toEqual(
        [...before045, ...expected.map((line) => (/=[A-Z]/.test(line) ? line.replace(/1$/, '2') : line))].sort(),
      );
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('a database that ran every migration before 047 gets the quarter-hour marks of its counted days, once', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-046-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_046') };
    const site = 'marks.example';
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
    const at = (quarter: number, minute = 1) => toClickHouseTime(day + quarter * 900_000 + minute * 60_000);
    // Visitor 1: pageviews in quarter-hours 40 and 41 (one visit); visitor 2: a pageview in 95 and an
    // engagement after it (not a visitor's event); both from Direct. Visitor 3: a pageview in 2, from Search.
    const event = (visitor: string, name: string, timestamp: string): StoredEvent => ({
      ...syntheticEvent(site, 0, day),
      visitor_id: visitor,
      name,
      timestamp,
    });
    const events = [
      event('1', 'pageview', at(40)),
      event('1', 'pageview', at(41)),
      event('2', 'pageview', at(95, 1)),
      event('2', 'engagement', at(95, 3)),
      event('3', 'pageview', at(2)),
    ];
    const visit = (visitor: string, first: string, last: string, channel: string, pageviews: number, engagements = 0) => ({
      site,
      visitor_id: visitor,
      first_at: first,
      last_at: last,
      sign: 1,
      version: 1,
      channel,
      pageviews,
      events: 0,
      engagements,
      pairs: [{ name: 'pageview', path: '/' }],
    });
    const marks = async () =>
      (
        await (
          await client.query({
            query: `SELECT dimension, value, quartered, quarters, upto, since FROM ${older.database}.visit_visitors_1d FINAL
                    WHERE site = '${site}' AND dimension IN ('', 'channel') ORDER BY dimension, value`,
            format: 'JSONEachRow',
          })
        ).json<Record<string, unknown>>()
      ).map((r) => `${r.dimension}=${r.value} ${r.quartered}: ${JSON.stringify([r.quarters, r.upto, r.since])}`);
    const rows = async () => Number((await one<{ n: string }>(`SELECT count() AS n FROM ${older.database}.visit_visitors_1d`))?.n);
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) < 47))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      await migrate(client, older, old);
      await client.insert({ table: `${older.database}.events`, values: events, format: 'JSONEachRow' });
      await client.insert({
        table: `${older.database}.visits`,
        values: [
          visit('1', at(40), at(41), 'Direct', 2),
          visit('2', at(95, 1), at(95, 3), 'Direct', 1, 1),
          visit('3', at(2), at(2), 'Organic Search', 1),
        ],
        format: 'JSONEachRow',
      });
      // Counted as the ingester did before 047: no marks.
      await countVisitors(client, older.database, { quartered: false, marks: false });
      const before = await one<{ n: string }>(
        `SELECT count() AS n FROM ${older.database}.visit_visitors_1d WHERE site = '${site}' AND dimension IN ('', 'channel') AND held = events`,
      );
      expect(Number(before?.n)).toBe(3);
      expect(await migrate(client, older)).toEqual([47, 49, 51, 53, 55]);
      const want = [
        '= 1: [[2,40,41,95],[1,2,2,3],[3,2,2,1]]',
        'channel=Direct 1: [[40,41,95],[1,1,2],[2,2,1]]',
        'channel=Organic Search 1: [[2],[1],[1]]',
      ];
      expect(await marks()).toEqual(want);
      // 051's backfill: the path's marks of the same pageviews (the engagement in 95 is no visitor's event), the day's '' row, both stamped with its 5 events.
      const pathMarks = async () =>
        (
          await (
            await client.query({
              query: `SELECT dimension, value, events, visitors, quarters, upto, since FROM ${older.database}.event_marks_1d FINAL
                      WHERE site = '${site}' ORDER BY dimension, value`,
              format: 'JSONEachRow',
            })
          ).json<Record<string, unknown>>()
        ).map((r) => `${r.dimension}=${r.value} ${r.events} ${r.visitors}: ${JSON.stringify([r.quarters, r.upto, r.since])}`);
      const path = events[0]?.path;
      const wantPaths = ['= 5 0: [[],[],[]]', `page=${path} 5 3: [[2,40,41,95],[1,2,2,3],[3,2,2,1]]`];
      expect(await pathMarks()).toEqual(wantPaths);
      // Counting again (the ingester's next round) finds no day to count.
      const counted = await rows();
      await countVisitors(client, older.database);
      expect(await rows()).toBe(counted);
      expect(await marks()).toEqual(want);
      expect(await pathMarks()).toEqual(wantPaths);
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('a database that ran every migration before 053 gets the pageview marks of its counted days, once, apart from the custom events', async () => {
    const old = mkdtempSync(join(tmpdir(), 'tidemark-052-schema-'));
    const older = { ...config.clickhouse, database: uniqueName('schema_052') };
    const site = 'pageview-marks.example';
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
    const at = (quarter: number, minute = 1) => toClickHouseTime(day + quarter * 900_000 + minute * 60_000);
    const event = (visitor: string, name: string, path: string, timestamp: string): StoredEvent => ({
      ...syntheticEvent(site, 0, day),
      visitor_id: visitor,
      name,
      path,
      url: `https://${site}${path}`,
      timestamp,
    });
    // On /pricing: visitor 1 views it in quarter-hours 3 and 50; visitor 2 signs up there in 10 (no
    // pageview of it) and views /about in 60; visitor 3 views it in 95, then engages (no visitor's event).
    const events = [
      event('1', 'pageview', '/pricing', at(3)),
      event('1', 'pageview', '/pricing', at(50)),
      event('2', 'signup', '/pricing', at(10)),
      event('2', 'pageview', '/about', at(60)),
      event('3', 'pageview', '/pricing', at(95, 1)),
      event('3', 'engagement', '/pricing', at(95, 3)),
    ];
    const marksOf = async (table: string) =>
      (
        await (
          await client.query({
            query: `SELECT dimension, value, events, visitors, quarters, upto, since FROM ${older.database}.${table} FINAL
                    WHERE site = '${site}' ORDER BY dimension, value`,
            format: 'JSONEachRow',
          })
        ).json<Record<string, unknown>>()
      ).map((r) => `${r.dimension}=${r.value} ${r.events} ${r.visitors}: ${JSON.stringify([r.quarters, r.upto, r.since])}`);
    const rows = async () => Number((await one<{ n: string }>(`SELECT count() AS n FROM ${older.database}.pageview_marks_1d`))?.n);
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 3)) < 53))
        copyFileSync(join(MIGRATIONS_DIR, f), join(old, f));
      await migrate(client, older, old);
      await client.insert({ table: `${older.database}.events`, values: events, format: 'JSONEachRow' });
      // Counted as the ingester did before 053: the path's marks of its pageviews and custom events alike.
      await countVisitors(client, older.database, { pageviewMarks: false });
      const eventMarks = [
        '= 6 0: [[],[],[]]',
        'event=signup 6 1: [[10],[1],[1]]',
        'page=/about 6 1: [[60],[1],[1]]',
        'page=/pricing 6 3: [[3,10,50,95],[1,2,2,3],[3,3,2,1]]',
      ];
      expect(await marksOf('event_marks_1d')).toEqual(eventMarks);
      expect(await migrate(client, older)).toEqual([53, 55]);
      // 053's backfill: the paths' marks of their pageviews alone (visitor 2's signup on /pricing is not one), the day's '' row, all stamped with its 6 events.
      const want = ['= 6 0: [[],[],[]]', 'page=/about 6 1: [[60],[1],[1]]', 'page=/pricing 6 2: [[3,50,95],[1,1,2],[2,2,1]]'];
      expect(await marksOf('pageview_marks_1d')).toEqual(want);
      // Counting again (the ingester's next round) finds no day to count; 051's marks are as they were.
      const counted = await rows();
      await countVisitors(client, older.database);
      expect(await rows()).toBe(counted);
      expect(await marksOf('pageview_marks_1d')).toEqual(want);
      expect(await marksOf('event_marks_1d')).toEqual(eventMarks);
      // A late pageview of /pricing (visitor 2, quarter-hour 70) makes the day stale: the next round counts it again.
      await client.insert({
        table: `${older.database}.events`,
        values: [event('2', 'pageview', '/pricing', at(70))],
        format: 'JSONEachRow',
      });
      await countVisitors(client, older.database);
      expect(await marksOf('pageview_marks_1d')).toEqual([
        '= 7 0: [[],[],[]]',
        'page=/about 7 1: [[60],[1],[1]]',
        'page=/pricing 7 3: [[3,50,70,95],[1,1,2,3],[3,3,2,1]]',
      ]);
    } finally {
      rmSync(old, { recursive: true, force: true });
      await client.command({ query: `DROP DATABASE IF EXISTS ${older.database}` });
    }
  });

  it('renders for a cluster as SQL the engine parses, with engines it has', async () => {
    const cluster = await loadMigrations({ ...config.clickhouse, cluster: 'tidemark' });
    const engines = new Set(
      (await (await client.query({ query: 'SELECT name FROM system.table_engines', format: 'JSONEachRow' })).json<{ name: string }>()).map(
        (e) => e.name,
      ),
    );
    let checked = 0;
    for (const statement of cluster.flatMap((m) => m.statements)) {
      const parsed = await one<{ f: string }>(`SELECT formatQuery(${quote(statement)}) AS f`);
      // DDL runs ON CLUSTER; a backfill (INSERT … SELECT) is data, written where the ingester runs it.
      if (!statement.startsWith('INSERT')) expect(parsed?.f).toMatch(/ON CLUSTER tidemark/);
      const engine = /ENGINE = (\w+)/.exec(statement)?.[1];
      if (engine) expect(engines.has(engine), engine).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});

function quote(sql: string): string {
  return `'${sql.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
