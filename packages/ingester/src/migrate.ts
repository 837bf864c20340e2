/**
 * Applies the numbered SQL files of `clickhouse/` in order, once each, recording them in
 * `<database>.schema_migrations`. Every statement is written to be safe to re-run, so two
 * ingesters starting together, or a crash between a statement and its record, do no harm.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type ClickHouseClient, type Config, TABLES } from '@tidemark/shared';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../clickhouse/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const FILE = /^(\d+)_([a-z0-9_]+)\.sql$/;

/** Fills `{{database}}` and `{{retention_days}}`, drops comments, splits on `;`. */
export function renderMigration(sql: string, config: Config['clickhouse']): string[] {
  return sql
    .replaceAll('{{database}}', config.database)
    .replaceAll('{{retention_days}}', String(config.retentionDays))
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function loadMigrations(config: Config['clickhouse'], dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => FILE.test(f)).sort();
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
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${table} (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version`,
  });
  const done = await client.query({ query: `SELECT DISTINCT version FROM ${table}`, format: 'JSONEachRow' });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
  const now: number[] = [];
  for (const migration of await loadMigrations(config, dir)) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.insert({ table, values: [{ version: migration.version, name: migration.name }], format: 'JSONEachRow' });
    now.push(migration.version);
  }
  return now;
}
