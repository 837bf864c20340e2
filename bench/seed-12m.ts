/**
 * The 12-month benchmark's data (issue 17), generated inside ClickHouse: visits first, then the
 * events of exactly those visits (the same hashes of the visit number), and the visit rows the
 * ingester would have cut from them — `INSERT … SELECT … FROM numbers()`, through the real
 * materialized views. The ingester cannot take this load itself: the Events API takes
 * `timestamp` at most 30 days old, and events a year old make every batch read their visitors'
 * visits back from ClickHouse. `checkGenerator` shows on a small sample that the generated
 * visits are the ingester's cut (test/reference/visits.ts).
 */
import { readFileSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import { countVisitors, migrate } from '@tidemark/ingester';
import type { ClickHouseClient, Config, StoredEvent } from '@tidemark/shared';
import { startPrivateClickHouse } from '../test/private-clickhouse.ts';
import { cutVisits, visitSignature } from '../test/reference/visits.ts';
import { type Figures, progress } from './lib.ts';

export const SITE = 'bench.example';
const DAY = 86_400_000;
const SPAN_MS = 365 * DAY;
/** Events per visit on average: pageviews [1,1,1,2,2,3,4,6] (2.5), an engagement after each in half the visits, a signup in one in ten. */
export const EVENTS_PER_VISIT = 2.5 * 1.5 + 0.1;

type Source = [string, string, string, string, string, string, string];
const DIRECT: Source = ['', 'direct', '', '', '', 'Direct / None', 'Direct'];
const GOOGLE: Source = ['www.google.com', 'search', '', '', '', 'Google', 'Organic Search'];
/** Where visits come from: (referrer host, referrer class, utm source, medium, campaign, source name, channel), by weight (a row repeated). */
const TRAFFIC: Source[] = [
  DIRECT,
  DIRECT,
  DIRECT,
  GOOGLE,
  GOOGLE,
  GOOGLE,
  ['news.ycombinator.com', 'social', '', '', '', 'Hacker News', 'Organic Social'],
  ['chatgpt.com', 'other', '', '', '', 'ChatGPT', 'AI Assistants'],
  ['t.co', 'social', '', '', '', 'Twitter', 'Organic Social'],
  ['', 'direct', 'newsletter', 'email', 'spring', 'newsletter', 'Email'],
  ['www.google.com', 'search', 'google', 'cpc', 'brand', 'Google', 'Paid Search'],
  ['example.org', 'other', '', '', '', 'example.org', 'Referral'],
];
const AGENTS: [string, string, string, string, string, number][] = [
  ['desktop', 'Chrome', '130', 'Windows', '10', 1920],
  ['desktop', 'Firefox', '132', 'Linux', '', 1440],
  ['mobile', 'Safari', '18', 'iOS', '18.1', 390],
  ['mobile', 'Chrome', '130', 'Android', '14', 412],
  ['tablet', 'Safari', '18', 'iOS', '18.1', 820],
];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA', 'NL', 'ES', 'NP', ''];

const list = (rows: readonly (readonly (string | number)[])[]) =>
  `[${rows.map((r) => `(${r.map((v) => (typeof v === 'number' ? String(v) : `'${v}'`)).join(', ')})`).join(', ')}]`;

/** Visits between two visits of one visitor (per UTC day), out of `total`. */
const revisitPeriod = (total: number) => Math.max(1000, Math.floor(total / 800));

/**
 * One row per visit `v` of [first, first + count) out of `total`: its site, visitor, start, shape
 * and attributes, all functions of `v`. A visitor (per UTC day) comes back every `total / 800`
 * visits, about 11 hours later, so two visits of one visitor never meet within 30 minutes.
 */
export function visitsSql(first: number, count: number, total: number, end: number): string {
  const period = revisitPeriod(total);
  return `
    SELECT v,
      if(v % 5 = 0, concat('site', toString(v % 20), '.example'), '${SITE}') AS site,
      toInt64(${end - SPAN_MS}) + intDiv(toInt64(v) * ${SPAN_MS}, ${total}) + toInt64(cityHash64(v, 2) % 60000) AS t0,
      cityHash64(v % ${period}, toDate(fromUnixTimestamp64Milli(t0, 'UTC'))) AS visitor,
      [1, 1, 1, 2, 2, 3, 4, 6][cityHash64(v, 1) % 8 + 1] AS n,
      toInt64(10000 + cityHash64(v, 3) % 600000) AS g,
      cityHash64(v, 4) % 2 = 0 AS engaged,
      cityHash64(v, 5) % 10 = 0 AS custom,
      arrayMap(i -> concat('/page/', toString(intDiv((cityHash64(v, i, 6) % 1000) * (cityHash64(v, i, 6) % 1000), 2000))), range(n)) AS paths,
      ${list(TRAFFIC)}[cityHash64(v, 7) % ${TRAFFIC.length} + 1] AS traffic,
      ${list(AGENTS)}[cityHash64(v, 8) % ${AGENTS.length} + 1] AS agent,
      [${COUNTRIES.map((c) => `'${c}'`).join(', ')}][cityHash64(v, 9) % ${COUNTRIES.length} + 1] AS country
    FROM (SELECT number + ${first} AS v FROM numbers(${count}))`;
}

/** Each event: (name, offset from the visit's start in ms, page index, duration_ms). */
const EVENTS_OF_VISIT = `arrayConcat(
  arrayMap(i -> ('pageview', i * g, i, toUInt32(0)), range(n)),
  if(engaged, arrayMap(i -> ('engagement', i * g + intDiv(g, 2), i, toUInt32(intDiv(g, 2))), range(n)), []),
  if(custom, [('signup', (n - 1) * g + 1000, n - 1, toUInt32(0))], []))`;

export function eventsInsert(database: string, visits: string): string {
  return `
    INSERT INTO ${database}.events (event_id, site, name, timestamp, visitor_id, url, host, path, referrer, referrer_host,
      referrer_source, utm_source, utm_medium, utm_campaign, country, device, browser, browser_version, os, os_version,
      screen_width, duration_ms)
    SELECT generateUUIDv4(e), site, e.1, fromUnixTimestamp64Milli(t0 + e.2, 'UTC'), visitor,
      concat('https://', site, paths[e.3 + 1]), site, paths[e.3 + 1],
      if(traffic.1 = '', '', concat('https://', traffic.1, '/')), traffic.1, traffic.2, traffic.3, traffic.4, traffic.5,
      country, agent.1, agent.2, agent.3, agent.4, agent.5, agent.6, e.4
    FROM (${visits}) ARRAY JOIN ${EVENTS_OF_VISIT} AS e`;
}

/** The visit rows the ingester writes for those events (version 1, never changed). */
export function visitsInsert(database: string, visits: string): string {
  return `
    INSERT INTO ${database}.visits (site, visitor_id, first_at, last_at, sign, version, host, entry_page, exit_page,
      entry_page_at, exit_page_at, entry_at, referrer_host, referrer_source, source, channel, utm_source, utm_medium,
      utm_campaign, country, device, browser, browser_version, os, os_version, screen_width, pageviews, events,
      engagements, engaged_ms, pairs)
    SELECT site, visitor, fromUnixTimestamp64Milli(t0, 'UTC'),
      fromUnixTimestamp64Milli(t0 + (n - 1) * g + multiIf(engaged, intDiv(g, 2), custom, 1000, 0), 'UTC'), 1, 1, site,
      paths[1], paths[n], fromUnixTimestamp64Milli(t0, 'UTC'), fromUnixTimestamp64Milli(t0 + (n - 1) * g, 'UTC'),
      fromUnixTimestamp64Milli(t0, 'UTC'), traffic.1, traffic.2, traffic.6, traffic.7, traffic.3, traffic.4, traffic.5,
      country, agent.1, agent.2, agent.3, agent.4, agent.5, agent.6, n, toUInt32(custom), if(engaged, n, 0),
      if(engaged, n * intDiv(g, 2), 0),
      arrayDistinct(arrayConcat(arrayMap(p -> ('pageview', p), paths), if(custom, [('signup', paths[n])], [])))
    FROM (${visits})`;
}

/** Visits per insert statement (≈ 1.9 million events), each inserted as one block so every view aggregates whole chunks. */
const CHUNK = 500_000;

/**
 * Inserts visits [0, count) of `total` over a year ending at `end`: per chunk, its events (through every view
 * of `events`), then its visit rows (through the views of `visits`). `streams` chunks are in
 * flight at once: one statement runs its views on about one core, so a server with two cores
 * seeds about twice as fast with two (the in-process engine runs one statement at a time).
 */
export async function seed(
  client: ClickHouseClient,
  database: string,
  { total, count = total, end, streams = 1 }: { total: number; count?: number; end: number; streams?: number },
): Promise<void> {
  const block = String(Math.ceil(CHUNK * EVENTS_PER_VISIT * 1.1));
  const settings = { max_insert_block_size: block, min_insert_block_size_rows: block, max_threads: 2 };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const first = next;
      next += CHUNK;
      const sql = visitsSql(first, Math.min(CHUNK, count - first), total, end);
      await client.command({ query: eventsInsert(database, sql), clickhouse_settings: settings });
      await client.command({ query: visitsInsert(database, sql), clickhouse_settings: settings });
      done += Math.min(CHUNK, count - first);
      progress(`query12m: ${done}/${count} visits seeded`);
    }
  };
  await Promise.all(Array.from({ length: streams }, worker));
}

/**
 * The generated visits equal the reference cut of the generated events, on the first visits of
 * the seed of `total` visits (its own density), enough of them that visitors come back.
 */
export async function checkGenerator(client: ClickHouseClient, database: string, total: number, end: number): Promise<void> {
  await seed(client, database, { total, count: Math.min(total, Math.max(4000, Math.ceil(revisitPeriod(total) * 1.25))), end });
  const exact = { output_format_json_quote_64bit_integers: 1 } as const;
  const events = await (
    await client.query({ query: `SELECT * FROM ${database}.events`, format: 'JSONEachRow', clickhouse_settings: exact })
  ).json<StoredEvent>();
  const expected = cutVisits(events).map(visitSignature).sort();
  const rows = await (
    await client.query({
      query: `SELECT site, visitor_id, first_at, last_at, pageviews, events, engagements, entry_page, exit_page, source, channel
              FROM ${database}.visits FINAL`,
      format: 'JSONEachRow',
      clickhouse_settings: exact,
    })
  ).json<Record<string, string | number>>();
  const actual = rows.map((r) => Object.values(r).join('|')).sort();
  const differ = actual.filter((s, i) => s !== expected[i]);
  if (actual.length !== expected.length || differ.length > 0)
    throw new Error(
      `generated visits differ from the reference cut: ${actual.length} vs ${expected.length}, e.g. ${differ[0]} vs ${expected[actual.indexOf(differ[0] ?? '')]}`,
    );
  progress(`query12m: generator checked: ${events.length} events → ${actual.length} visits, as the reference cuts them`);
}

/** CPU seconds (user + system, every thread) of process `pid` so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Seeds the year into `config`'s database: the generator check (on its own database), the
 * migrations, `rows` events with their visits, and the ingester's start-up count of the year's
 * visitors (visitor counts). Figures: each step's wall time and, given the engine's `pid`, its CPU.
 */
export async function seedYear(
  client: ClickHouseClient,
  config: Config['clickhouse'],
  { rows, end, streams, pid }: { rows: number; end: number; streams: number; pid: number },
): Promise<Figures> {
  const results: Figures = {};
  const step = async (name: string, run: () => Promise<unknown>) => {
    const [started, cpu] = [performance.now(), cpuSeconds(pid)];
    await run();
    const seconds = (performance.now() - started) / 1000;
    results[`${name}: wall / CPU s`] = `${Math.round(seconds)} / ${Math.round(cpuSeconds(pid) - cpu)}`;
    progress(`query12m: ${name}: ${results[`${name}: wall / CPU s`]}`);
    return seconds;
  };
  const visits = Math.round(rows / EVENTS_PER_VISIT);
  // Raw events are kept RETENTION_DAYS (90): the sample keeps all of its days, to cut it whole.
  const sample = { ...config, database: `${config.database}_check`, retentionDays: 400 };
  await migrate(client, sample);
  await checkGenerator(client, sample.database, visits, end);
  await client.command({ query: `DROP DATABASE ${sample.database} SYNC` });
  await migrate(client, config);
  const seconds = await step(`seed (events, visits, every view; ${streams} statements at once)`, () =>
    seed(client, config.database, { total: visits, end, streams }),
  );
  results['seed rate, events/s'] = Math.round(rows / seconds);
  // What an ingester does at start-up: count the complete days' visitors (visitor counts).
  await step('visitor counts (an ingester start-up count of the year)', () => countVisitors(client, config.database));
  return results;
}

/**
 * Runs `run` against a private ClickHouse server (the same engine as chdb, over HTTP) on the data
 * directory `dataPath`, then stops it cleanly, so the in-process engine can open the directory
 * next. Background merges the seed started are waited for (at most `settleMs`), so they do not
 * run under the measured queries. A server runs statements concurrently; the in-process engine
 * one at a time.
 */
export async function withSeedServer<T extends Figures>(
  dataPath: string,
  run: (client: ClickHouseClient, pid: number) => Promise<T>,
  settleMs = 10 * 60_000,
): Promise<Figures> {
  const server = await startPrivateClickHouse({ dataPath });
  // A statement may take minutes on a loaded machine; the project's client gives up after 30 s.
  const client = createClient({ url: server.url, request_timeout: 3_600_000 });
  try {
    const results: Figures = await run(client, server.pid);
    const settling = performance.now();
    const deadline = Date.now() + settleMs;
    let merges = 1;
    while (merges > 0 && Date.now() < deadline) {
      const [row] = await (await client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' })).json<{
        n: string;
      }>();
      merges = Number(row?.n);
      if (merges > 0) await new Promise((r) => setTimeout(r, 2000));
    }
    results['merges after the seed, waited s'] =
      `${Math.round((performance.now() - settling) / 1000)}${merges > 0 ? ` (still ${merges} running)` : ''}`;
    return results;
  } finally {
    await client.close();
    await server.stop();
  }
}
