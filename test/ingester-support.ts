/**
 * Helpers of the ingester's integration tests (test/ingester-*.integration.test.ts):
 * synthetic enriched events, producing them straight to Kafka in big batches (the
 * collector is not under test here), the counts every test compares, and a private
 * ClickHouse server on its own port and data directory that a test may stop and restart
 * while the shared one on :8123 keeps serving everybody else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClickHouseClient,
  createKafkaQueueProducer,
  loadConfig,
  plainLogger,
  type StoredEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { findLibchdb } from '../services/clickhouse.ts';
import { ROOT, uniqueName } from './harness.ts';
import { freePort } from './processes.ts';

/**
 * `KAFKA_CLIENT` and `KAFKA_PRODUCERS` from the environment, so a whole run can use either client
 * or several producers per collector (docs/kafka-client.md).
 */
export const CLIENT: Record<string, string> = Object.fromEntries(
  ['KAFKA_CLIENT', 'KAFKA_PRODUCERS'].flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
);

const PATHS = ['/', '/pricing', '/docs', '/blog/a', '/blog/b', '/about', '/signup'];
const COUNTRIES = ['DE', 'US', 'FR', 'NL', 'GB', ''];
/** Each country's region and city (none for ''). */
const PLACES: Record<string, [string, string]> = {
  DE: ['Berlin', 'Berlin'],
  US: ['California', 'Mountain View'],
  FR: ['Île-de-France', 'Paris'],
  NL: ['North Holland', 'Amsterdam'],
  GB: ['England', 'London'],
};
const SOURCES = ['direct', 'search', 'social', 'email', 'other'];

/** Event `i` of a synthetic stream: mostly pageviews, some engagements and custom events. */
export function syntheticEvent(site: string, i: number, at = Date.now()): StoredEvent {
  const kind = i % 10;
  const name = kind < 7 ? 'pageview' : kind < 9 ? 'engagement' : 'signup';
  const path = PATHS[i % PATHS.length] ?? '/';
  return {
    event_id: randomUUID(),
    site,
    name,
    timestamp: toClickHouseTime(at - (i % 180) * 1000),
    visitor_id: String(1 + (i % 997)),
    session_id: String(1 + (i % 1499)),
    pageview_id: randomUUID(),
    url: `https://${site}${path}`,
    host: site,
    path,
    query: '',
    referrer: '',
    referrer_host: i % 3 === 0 ? 'google.com' : '',
    referrer_source: SOURCES[i % SOURCES.length] ?? 'direct',
    utm_source: i % 4 === 0 ? 'news' : '',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    click_id: '',
    country: COUNTRIES[i % COUNTRIES.length] ?? '',
    region: PLACES[COUNTRIES[i % COUNTRIES.length] ?? '']?.[0] ?? '',
    city: PLACES[COUNTRIES[i % COUNTRIES.length] ?? '']?.[1] ?? '',
    device: i % 2 ? 'desktop' : 'mobile',
    browser: 'Chrome',
    browser_version: '130',
    os: 'Windows',
    os_version: '10',
    screen_width: 1440,
    duration_ms: name === 'engagement' ? 1000 + (i % 50) * 100 : 0,
    props: name === 'signup' ? { plan: 'pro' } : {},
    scroll_depth: name === 'engagement' ? (i * 7) % 101 : 0,
  };
}

export interface Topics {
  topic: string;
  dlqTopic: string;
  groupId: string;
  database: string;
}

export function uniqueTopics(prefix: string): Topics {
  return {
    topic: uniqueName(`${prefix}_events`),
    dlqTopic: uniqueName(`${prefix}_dlq`),
    groupId: uniqueName(`${prefix}_group`),
    database: uniqueName(prefix),
  };
}

/** The environment of an ingester process on these topics and database. */
export function ingesterEnv(brokers: string, clickhouseUrl: string, t: Topics, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    CLICKHOUSE_URL: clickhouseUrl,
    CLICKHOUSE_DATABASE: t.database,
    KAFKA_TOPIC: t.topic,
    KAFKA_DLQ_TOPIC: t.dlqTopic,
    KAFKA_GROUP_ID: t.groupId,
    KAFKA_PARTITIONS: '6',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...CLIENT,
    ...extra,
  };
}

/** Produces events through the project's own Kafka producer, in batches of `chunk`. */
export async function produce(brokers: string, t: Topics, events: StoredEvent[], partitions = 6, chunk = 5000): Promise<void> {
  const config = loadConfig({ KAFKA_BROKERS: brokers, KAFKA_TOPIC: t.topic, KAFKA_PARTITIONS: String(partitions), ...CLIENT }).kafka;
  const producer = await createKafkaQueueProducer(config, plainLogger());
  try {
    for (let i = 0; i < events.length; i += chunk) await producer.send(events.slice(i, i + chunk));
  } finally {
    await producer.close();
  }
}

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** Raw rows of a site, and distinct event ids among them. */
export async function rawCount(client: ClickHouseClient, db: string, site: string): Promise<{ rows: number; ids: number }> {
  const [r] = await rows<{ rows: string; ids: string }>(
    client,
    `SELECT count() AS rows, uniqExact(event_id) AS ids FROM ${db}.events WHERE site = {site:String}`,
    { site },
  );
  return { rows: Number(r?.rows ?? 0), ids: Number(r?.ids ?? 0) };
}

export interface Totals {
  views: number;
  visitors: number;
  sessions: number;
  events: number;
  avgDuration: number;
}

/** The same totals computed from the raw table and from each rollup; all must agree. */
export async function totalsEverywhere(
  client: ClickHouseClient,
  db: string,
  site: string,
): Promise<Record<string, Totals | Record<string, number>>> {
  const p = { site };
  const [raw] = await rows<Record<string, number>>(
    client,
    `SELECT countIf(name = 'pageview') AS views, uniqIf(visitor_id, name = 'pageview') AS visitors,
            uniqIf(session_id, name = 'pageview') AS sessions, countIf(name NOT IN ('pageview', 'engagement')) AS events,
            round(avgIf(duration_ms, name = 'engagement'), 3) AS avgDuration
     FROM ${db}.events WHERE site = {site:String}`,
    p,
  );
  const [minute] = await rows<Record<string, number>>(
    client,
    `SELECT sum(views) AS views, uniqMerge(visitors) AS visitors, uniqMerge(sessions) AS sessions, sum(events) AS events,
            round(avgMerge(duration), 3) AS avgDuration
     FROM ${db}.events_minute WHERE site = {site:String}`,
    p,
  );
  const [pages] = await rows<Record<string, number>>(
    client,
    `SELECT sum(views) AS views, uniqMerge(visitors) AS visitors, round(avgMerge(duration), 3) AS avgDuration
     FROM ${db}.pages_minute WHERE site = {site:String}`,
    p,
  );
  const [countries] = await rows<Record<string, number>>(
    client,
    `SELECT sum(views) AS views, uniqMerge(visitors) AS visitors FROM ${db}.countries_minute WHERE site = {site:String}`,
    p,
  );
  const [quarter] = await rows<Record<string, number>>(
    client,
    `SELECT sumIf(q.events, name = 'pageview') AS views, uniqMergeIf(q.visitors, name = 'pageview') AS visitors,
            sumIf(q.events, name NOT IN ('pageview', 'engagement')) AS events
     FROM ${db}.events_15m AS q WHERE site = {site:String}`,
    p,
  );
  const numeric = (r: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, Number(v)]));
  return {
    raw: numeric(raw) as unknown as Totals,
    events_minute: numeric(minute) as unknown as Totals,
    pages_minute: numeric(pages),
    countries_minute: numeric(countries),
    events_15m: numeric(quarter),
  };
}

/** Per-minute and per-path views from raw rows and from the rollups, for a row-by-row comparison. */
export async function breakdownsAgree(client: ClickHouseClient, db: string, site: string): Promise<{ raw: string; rollup: string }[]> {
  const p = { site };
  const pairs: [string, string][] = [
    [
      `SELECT toStartOfMinute(timestamp) AS k, countIf(name = 'pageview') AS v, uniqIf(visitor_id, name = 'pageview') AS u FROM ${db}.events WHERE site = {site:String} GROUP BY k HAVING v > 0 ORDER BY k`,
      `SELECT minute AS k, sum(views) AS v, uniqMerge(visitors) AS u FROM ${db}.events_minute WHERE site = {site:String} GROUP BY k HAVING v > 0 ORDER BY k`,
    ],
    [
      `SELECT path AS k, countIf(name = 'pageview') AS v, uniqIf(visitor_id, name = 'pageview') AS u FROM ${db}.events WHERE site = {site:String} GROUP BY k ORDER BY k`,
      `SELECT path AS k, sum(views) AS v, uniqMerge(visitors) AS u FROM ${db}.pages_minute WHERE site = {site:String} GROUP BY k ORDER BY k`,
    ],
    [
      `SELECT country AS k, count() AS v, uniq(visitor_id) AS u FROM ${db}.events WHERE site = {site:String} AND name = 'pageview' GROUP BY k ORDER BY k`,
      `SELECT country AS k, sum(views) AS v, uniqMerge(visitors) AS u FROM ${db}.countries_minute WHERE site = {site:String} GROUP BY k ORDER BY k`,
    ],
    [
      `SELECT toStartOfFifteenMinutes(timestamp) AS k, countIf(name = 'pageview') AS v, uniqIf(visitor_id, name = 'pageview') AS u FROM ${db}.events WHERE site = {site:String} GROUP BY k HAVING v > 0 ORDER BY k`,
      `SELECT bucket AS k, sumIf(events, name = 'pageview') AS v, uniqMergeIf(visitors, name = 'pageview') AS u FROM ${db}.events_15m WHERE site = {site:String} GROUP BY k HAVING v > 0 ORDER BY k`,
    ],
  ];
  const out: { raw: string; rollup: string }[] = [];
  for (const [raw, rollup] of pairs) {
    out.push({ raw: JSON.stringify(await rows(client, raw, p)), rollup: JSON.stringify(await rows(client, rollup, p)) });
  }
  return out;
}

/** A ClickHouse HTTP server of this test alone: own port, own data directory; stop() is a hard kill. */
export interface PrivateClickHouse {
  url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** Kills it and removes its data directory. */
  dispose(): Promise<void>;
}

export async function privateClickHouse(): Promise<PrivateClickHouse> {
  const [http, tcp] = [await freePort(), await freePort()];
  const dir = join(ROOT, '.tmp', uniqueName('clickhouse'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const url = `http://127.0.0.1:${http}`;
  let child: ChildProcess | null = null;
  const ping = async () => {
    try {
      return (await fetch(`${url}/ping`)).ok;
    } catch {
      return false;
    }
  };
  const server: PrivateClickHouse = {
    url,
    async start() {
      const log = openSync(join(dir, 'clickhouse.log'), 'a');
      child = spawn(
        'python3',
        [
          join(ROOT, 'services', 'clickhouse-launcher.py'),
          findLibchdb(),
          `--path=${join(dir, 'data')}/`,
          '--listen_host=127.0.0.1',
          `--http_port=${http}`,
          `--tcp_port=${tcp}`,
          '--log-level=warning',
          '--query=SYSTEM START LISTEN QUERIES ALL; SELECT sleepEachRow(0.1) FROM system.numbers SETTINGS max_execution_time = 0, max_block_size = 1 FORMAT Null',
        ],
        { stdio: ['ignore', log, log] },
      );
      const deadline = Date.now() + 60_000;
      while (!(await ping())) {
        if (child.exitCode !== null) throw new Error(`private clickhouse exited (${child.exitCode}), see ${dir}/clickhouse.log`);
        if (Date.now() > deadline) throw new Error(`private clickhouse not ready, see ${dir}/clickhouse.log`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await exited;
    },
    async dispose() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A consumer group as the broker describes it, and its lag on the test topic. */
export interface GroupState {
  members: number;
  /** Members holding at least one partition (a member that just joined holds none until the rebalance ends). */
  assigned: number;
  stable: boolean;
  lag: number;
  produced: number;
}

/**
 * The consumer group as the broker sees it: members, and messages not yet committed. Right
 * after a topic is created the broker may still answer "not the leader": such retriable
 * answers are asked again.
 */
export async function groupState(brokers: string, t: Topics): Promise<GroupState> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await readGroupState(brokers, t);
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function readGroupState(brokers: string, t: Topics): Promise<GroupState> {
  const kafka = new Kafka({ clientId: 'ingester-test-admin', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [groups, latest, committed] = await Promise.all([
      admin.describeGroups([t.groupId]),
      admin.fetchTopicOffsets(t.topic),
      admin.fetchOffsets({ groupId: t.groupId, topics: [t.topic] }),
    ]);
    const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    let lag = 0;
    let produced = 0;
    for (const p of latest) {
      produced += Number(p.high);
      lag += Number(p.high) - Math.max(done.get(p.partition) ?? 0, 0);
    }
    const group = groups.groups[0];
    const assigned = (group?.members ?? []).filter((m) => {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return Object.values(decoded?.assignment ?? {}).some((partitions) => partitions.length > 0);
    }).length;
    return { members: group?.members.length ?? 0, assigned, stable: group?.state === 'Stable', lag, produced };
  } finally {
    await admin.disconnect();
  }
}

/** Reads one counter or gauge sample from a Prometheus text page (0 when absent). */
export async function metric(url: string, sample: string): Promise<number> {
  try {
    const text = await fetch(url).then((r) => r.text());
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line ? Number(line.slice(sample.length + 1)) : 0;
  } catch {
    return 0;
  }
}
