/**
 * Applies the numbered SQL files of `clickhouse/` in order, once each, recording them in
 * `<database>.schema_migrations`. Every statement is written to be safe to re-run, so two
 * ingesters starting together, or a crash between a statement and its record, do no harm.
 *
 * One set of files serves a single server and a cluster (`CLICKHOUSE_CLUSTER`): the
 * placeholders render as below, and `NNN_name.cluster.sql` files run only on a cluster.
 *
 * | placeholder              | single server          | cluster `c`                                                               |
 * |--------------------------|------------------------|---------------------------------------------------------------------------|
 * | `{{database}}`           | `analytics`            | `analytics`                                                               |
 * | `{{retention_days}}`     | `90`                   | `90`                                                                      |
 * | `{{on_cluster}}`         | (nothing)              | `ON CLUSTER c`                                                            |
 * | `{{cluster}}`            | (nothing)              | `c`                                                                       |
 * | `{{engine:XMergeTree(a)}}` | `XMergeTree(a)`      | `ReplicatedXMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', a)` |
 * | `{{global_engine:XMergeTree(a)}}` | `XMergeTree(a)` | `ReplicatedXMergeTree('/clickhouse/tables/global/{database}/{table}', '{replica}', a)`: one copy on every node of every shard (small settings tables) |
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type ClickHouseClient, type Config, TABLES } from '@tidemark/shared';
import { countVisitors } from './visitor-counts.ts';
import { backfillVisits } from './visits/backfill.ts';

/** The migration that creates `visits`: its visits are backfilled from the raw events right after it. */
const VISITS_MIGRATION = 5;
/**
 * Gives `visitors_1d` (015) its day splits (017) and their sums (019), and `page_visitors_1mo`
 * (025) its months: the backfill counts every complete day the day rollups hold (or whose
 * whole-site row has no splits or no split sums), then every complete month of counted days, once
 * the last of the tables and columns it writes exist (the later migrations read those counts).
 */
const VISITOR_COUNTS_MIGRATION = 25;
/** Gives `visit_visitors_1d` (029) its days: the same count again, now with the visit counts. */
const VISIT_COUNTS_MIGRATION = 29;
/**
 * Gives `name_pages_1d` (039) its days: the same count again, now with the per-name counts. These
 * counts run before `visits` has its region and city (045): they count those as '' (`placed: false`).
 */
const NAME_COUNTS_MIGRATION = 39;
/** Gives `visit_visitors_1d` its quarter-hour marks (047): every day counted before is counted again, once. */
const VISIT_QUARTERS_MIGRATION = 47;

/** Gives `event_marks_1d` (051) its days: the same count again, now with the per-path quarter-hour marks. */
const EVENT_MARKS_MIGRATION = 51;
/** Gives `pageview_marks_1d` (053) its days: the same count again, now with the per-path pageview marks. */
const PAGEVIEW_MARKS_MIGRATION = 53;

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../clickhouse/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const FILE = /^(\d+)_([a-z0-9_]+)(\.cluster)?\.sql$/;
const ENGINE = /\{\{(engine|global_engine):(\w*MergeTree)(?:\(([^)]*)\))?\}\}/g;
/** ClickHouse's own macros: each replica fills its shard and name from its config. */
const REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'";
/** One replica set across the whole cluster: every node holds the table, whatever its shard. */
const GLOBAL_REPLICA_PATH = "'/clickhouse/tables/global/{database}/{table}', '{replica}'";

function engine(cluster: string | null, name: string, args: string | undefined, path = REPLICA_PATH): string {
  if (cluster === null) return args === undefined ? name : `${name}(${args})`;
  return `Replicated${name}(${[path, args].filter(Boolean).join(', ')})`;
}

/** Fills the placeholders, drops comments, splits on `;`. */
export function renderMigration(sql: string, config: Config['clickhouse']): string[] {
  const cluster = config.cluster;
  return sql
    .replaceAll('{{database}}', config.database)
    .replaceAll('{{retention_days}}', String(config.retentionDays))
    .replaceAll('{{on_cluster}}', cluster === null ? '' : `ON CLUSTER ${cluster}`)
    .replaceAll('{{cluster}}', cluster ?? '')
    .replace(ENGINE, (_, kind: string, name: string, args: string | undefined) =>
      engine(cluster, name, args, kind === 'global_engine' ? GLOBAL_REPLICA_PATH : REPLICA_PATH),
    )
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/[ \t]+\n/g, '\n').trim())
    .filter(Boolean);
}

export async function loadMigrations(config: Config['clickhouse'], dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const clustered = config.cluster !== null;
  const files = (await readdir(dir))
    .filter((f) => {
      const match = FILE.exec(f);
      return match !== null && (match[3] === undefined || clustered);
    })
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const [, version = '0', name = ''] = FILE.exec(file) ?? [];
      return { version: Number(version), name, statements: renderMigration(await readFile(`${dir}/${file}`, 'utf8'), config) };
    }),
  );
}

/** Returns the versions it applied now (empty when the schema was up to date). */
export async function migrate(client: ClickHouseClient, config: Config['clickhouse'], dir = MIGRATIONS_DIR): Promise<number[]> {
  const db = config.database;
  const table = `${db}.${TABLES.migrations}`;
  const cluster = config.cluster;
  const onCluster = cluster === null ? '' : ` ON CLUSTER ${cluster}`;
  const engineSql = engine(cluster, 'ReplacingMergeTree', undefined);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${table}${onCluster} (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ${engineSql} ORDER BY version`,
  });
  const done = await client.query({ query: `SELECT DISTINCT version FROM ${table}`, format: 'JSONEachRow' });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
  const now: number[] = [];
  for (const migration of await loadMigrations(config, dir)) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    if (migration.version === VISITS_MIGRATION) await backfillVisits(client, db);
    if (migration.version === VISITOR_COUNTS_MIGRATION) await countVisitors(client, db, { visits: false, names: false, marks: false });
    if (migration.version === VISIT_COUNTS_MIGRATION)
      await countVisitors(client, db, { names: false, placed: false, quartered: false, marks: false });
    if (migration.version === NAME_COUNTS_MIGRATION) await countVisitors(client, db, { placed: false, quartered: false, marks: false });
    if (migration.version === VISIT_QUARTERS_MIGRATION) await countVisitors(client, db, { marks: false });
    if (migration.version === EVENT_MARKS_MIGRATION) await countVisitors(client, db, { pageviewMarks: false });
    if (migration.version === PAGEVIEW_MARKS_MIGRATION) await countVisitors(client, db);
    await client.insert({ table, values: [{ version: migration.version, name: migration.name }], format: 'JSONEachRow' });
    now.push(migration.version);
  }
  return now;
}
