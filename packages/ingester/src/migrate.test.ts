import { loadConfig } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { loadMigrations, renderMigration } from './migrate.ts';

describe('migrations', () => {
  it('fills the database and retention and splits statements', () => {
    const config = loadConfig({ CLICKHOUSE_DATABASE: 'stats', RETENTION_DAYS: '30' }).clickhouse;
    const sql = '-- comment\nCREATE TABLE {{database}}.a (x UInt8) ENGINE = Memory;\nALTER TABLE {{database}}.a MODIFY TTL d + INTERVAL {{retention_days}} DAY;\n';
    expect(renderMigration(sql, config)).toEqual([
      'CREATE TABLE stats.a (x UInt8) ENGINE = Memory',
      'ALTER TABLE stats.a MODIFY TTL d + INTERVAL 30 DAY',
    ]);
  });

  it('loads the numbered files of clickhouse/ in order, with no placeholder left', async () => {
    const migrations = await loadMigrations(loadConfig({}).clickhouse);
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    for (const m of migrations) for (const s of m.statements) expect(s).not.toMatch(/\{\{/);
  });
});
