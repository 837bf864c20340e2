/**
 * Storage per event after merges: seeds synthetic but varied events into the embedded
 * engine (materialized views fill the rollups), merges (OPTIMIZE FINAL), and reads the
 * compressed bytes of the active parts of every table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countVisitors, createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import { type ClickHouseClient, createClickHouse, createMemoryQueue, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { workload } from '../test/reference/workload.ts';
import { type Figures, progress, round } from './lib.ts';

/** The per-visit tables, measured on the workload's visits: `visits` and the rollups its views feed (009, 031, 033, 037, 043). */
const VISIT_TABLES = [
  'visits',
  'visits_15m',
  'visits_1d',
  'page_visits_1d',
  'attribute_visits_1d',
  'entry_exit_visits_1d',
  'name_visits_1d',
];

/** An INSERT … SELECT generating `count` events spread over the last day. */
export function syntheticEventsSql(database: string, count: number, offset: number): string {
  return `
    INSERT INTO ${database}.events (event_id, site, name, timestamp, visitor_id, session_id, url, host, path, referrer_host, referrer_source, utm_source, country, device, browser, browser_version, os, os_version, screen_width, duration_ms)
    SELECT
      generateUUIDv4(number) AS event_id,
      'bench.example' AS site,
      if(number % 5 = 4, 'engagement', if(number % 50 = 3, 'signup', 'pageview')) AS name,
      now64(3) - toIntervalMillisecond(intDiv((number + ${offset}) * 86400000, ${count + offset})) AS timestamp,
      cityHash64(number % 200000) AS visitor_id,
      cityHash64(number % 200000, intDiv(number, 50000)) AS session_id,
      concat('https://bench.example/', ['', 'pricing', 'blog', 'docs', 'about'][number % 5 + 1], '/', toString(number % 300)) AS url,
      'bench.example' AS host,
      concat('/', ['', 'pricing', 'blog', 'docs', 'about'][number % 5 + 1], '/', toString(number % 300)) AS path,
      ['', 'google.com', 'news.ycombinator.com', 'twitter.com', 'github.com'][number % 5 + 1] AS referrer_host,
      ['direct', 'search', 'social', 'social', 'other'][number % 5 + 1] AS referrer_source,
      ['', '', 'newsletter', 'twitter'][number % 4 + 1] AS utm_source,
      ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'NL'][cityHash64(number % 200000) % 8 + 1] AS country,
      ['desktop', 'mobile', 'tablet'][number % 3 + 1] AS device,
      ['Chrome', 'Firefox', 'Safari', 'Edge'][number % 4 + 1] AS browser,
      toString(120 + number % 10) AS browser_version,
      ['Windows', 'Mac OS', 'Linux', 'iOS', 'Android'][number % 5 + 1] AS os,
      toString(10 + number % 5) AS os_version,
      [1920, 1440, 390, 768][number % 4 + 1] AS screen_width,
      if(number % 5 = 4, toUInt32(1000 + cityHash64(number) % 120000), 0) AS duration_ms
    FROM numbers(${count})`;
}

export async function benchStorage({ rows }: { rows: number }): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-storage-'));
  const config = loadConfig({ DATA_DIR: dataDir, CLICKHOUSE_DATABASE: 'storage_bench' }).clickhouse;
  const client = createClickHouse(config);
  try {
    await migrate(client, config);
    const batch = 500_000;
    for (let done = 0; done < rows; done += batch) {
      const n = Math.min(batch, rows - done);
      await client.command({ query: syntheticEventsSql(config.database, n, done) });
      progress(`storage: ${done + n}/${rows} events seeded`);
    }
    const tables = ['events', 'events_minute', 'pages_minute', 'countries_minute', 'events_15m', 'pages_15m', 'events_1d', 'pages_1d'];
    for (const table of tables) await client.command({ query: `OPTIMIZE TABLE ${config.database}.${table} FINAL` });
    const result = await client.query({
      query: `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
              FROM system.parts WHERE database = {db:String} AND active GROUP BY table`,
      query_params: { db: config.database },
      format: 'JSONEachRow',
    });
    const parts = await result.json<{ table: string; rows: string; compressed: string; uncompressed: string }>();
    const figures: Figures = { 'events stored': rows };
    let total = 0;
    for (const table of tables) {
      const part = parts.find((p) => p.table === table);
      const bytes = Number(part?.compressed ?? 0);
      total += bytes;
      figures[`${table} bytes/event (compressed)`] = round(bytes / rows, 2);
      if (table === 'events') figures['events compression ratio'] = round(Number(part?.uncompressed ?? 0) / Math.max(bytes, 1), 1);
    }
    figures['all tables but visits bytes/event (compressed)'] = round(total / rows, 2);
    const names = await namePagesBytes(client, config.database);
    figures['name_pages_1d bytes/event (compressed)'] = round(names, 4);
    const visits = await visitsBytes(client, config.database, rows >= 1_000_000 ? 200_000 : 20_000);
    const perEvent = VISIT_TABLES.reduce((n, t) => n + Number(visits[`${t} bytes/event (compressed)`]), 0);
    return { ...figures, ...visits, 'all tables bytes/event (compressed)': round(total / rows + names + perEvent, 2) };
  } finally {
    await client.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchStorage({ rows: Number(process.argv[2] ?? 1_000_000) }).then((f) => console.table(f));
}

/**
 * The per-name day counts (`name_pages_1d`, clickhouse/039) per event they counted: the ingester's
 * count of the complete UTC days (the synthetic events' day before today), after merges. Its rows'
 * stamps are the days' events, so the bytes are per event of the days it holds.
 */
async function namePagesBytes(client: ClickHouseClient, database: string): Promise<number> {
  await countVisitors(client, database);
  await client.command({ query: `OPTIMIZE TABLE ${database}.name_pages_1d FINAL` });
  const result = await client.query({
    query: `SELECT (SELECT sum(data_compressed_bytes) FROM system.parts WHERE database = {db:String} AND table = 'name_pages_1d' AND active) AS bytes,
                   (SELECT sum(events) FROM ${database}.name_pages_1d) AS events`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ bytes: string; events: string }>();
  return Number(row?.bytes ?? 0) / Math.max(Number(row?.events ?? 0), 1);
}

/**
 * The `visits` table per event, on visits that look like a site's (the synthetic events above are
 * one per visitor and day, which would make every event a visit): the property tests' workload
 * (visitors with gaps around 30 minutes, SPA pageviews, engagements, custom events) through the
 * real ingester, into a table of its own, after merges.
 */
async function visitsBytes(client: ClickHouseClient, database: string, target: number): Promise<Figures> {
  const tables = VISIT_TABLES;
  for (const t of tables) await client.command({ query: `TRUNCATE TABLE ${database}.${t}` });
  const events = workload({
    seed: 1,
    sites: ['bench.example'],
    visitors: Math.ceil(target / 6),
    start: Date.now() - 7 * 86_400_000,
    spanMs: 7 * 86_400_000,
  });
  const queue = createMemoryQueue({ maxRows: 10_000, intervalMs: 100 });
  const ingester = createIngester({
    client,
    database,
    consumer: queue.consumer,
    log: plainLogger('warn'),
    metrics: createIngesterMetrics(new Registry()),
  });
  await ingester.start();
  for (let i = 0; i < events.length; i += 5000) {
    while (queue.size() > 50_000) await new Promise((r) => setTimeout(r, 50));
    await queue.producer.send(events.slice(i, i + 5000));
  }
  while (queue.size() > 0) await new Promise((r) => setTimeout(r, 100));
  await ingester.stop();
  for (const t of tables) await client.command({ query: `OPTIMIZE TABLE ${database}.${t} FINAL` });
  const result = await client.query({
    query: `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS bytes FROM system.parts
            WHERE database = {db:String} AND table IN {tables:Array(String)} AND active GROUP BY table`,
    query_params: { db: database, tables },
    format: 'JSONEachRow',
  });
  const parts = await result.json<{ table: string; rows: string; bytes: string }>();
  const of = (t: string) => parts.find((p) => p.table === t);
  progress(`storage: ${events.length} workload events → ${of('visits')?.rows} visits`);
  const figures: Figures = {
    'visits: workload events': events.length,
    'visits: rows (one per visit, after merges)': Number(of('visits')?.rows ?? 0),
  };
  for (const t of tables) figures[`${t} bytes/event (compressed)`] = round(Number(of(t)?.bytes ?? 0) / events.length, 2);
  return figures;
}
