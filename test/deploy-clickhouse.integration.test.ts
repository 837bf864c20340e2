/**
 * The production ClickHouse configuration of docker-compose.yml (deploy/clickhouse/users.d and
 * config.d), loaded by the real engine on a private server: the services' user needs the
 * password from the environment, Grafana's user is read-only, `default` answers on the
 * loopback only, and the backup disk of docs/deploy.md takes a BACKUP and gives it back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, uniqueName } from './harness.ts';
import { type PrivateClickHouse, startPrivateClickHouse } from './private-clickhouse.ts';

const PASSWORD = `pw-${uniqueName('tidemark')}`;
const GRAFANA_PASSWORD = `pw-${uniqueName('grafana')}`;
const tidemark = { name: 'tidemark', password: PASSWORD };
const grafana = { name: 'grafana', password: GRAFANA_PASSWORD };

const deployFile = (path: string) => readFileSync(join(ROOT, 'deploy/clickhouse', path), 'utf8');

describe('production ClickHouse users and settings', () => {
  let server: PrivateClickHouse;

  beforeAll(async () => {
    // The backup disk lives on the data volume in the image; here, inside the test's directory.
    const settings = deployFile('config.d/tidemark.xml').replaceAll('/var/lib/clickhouse/backups/', '{{dir}}/backups/');
    server = await startPrivateClickHouse({
      files: { 'users.d/tidemark.xml': deployFile('users.d/tidemark.xml'), 'config.d/tidemark.xml': settings },
      env: { TIDEMARK_CLICKHOUSE_PASSWORD: PASSWORD, GRAFANA_CLICKHOUSE_PASSWORD: GRAFANA_PASSWORD },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('lets the services in with the password from the environment, and nobody without it', async () => {
    expect((await server.query('SELECT currentUser()', tidemark)).trim()).toBe('tidemark');
    await expect(server.query('SELECT 1', { name: 'tidemark', password: 'wrong' })).rejects.toThrow(
      /AUTHENTICATION_FAILED|password is incorrect/,
    );
    await expect(server.query('SELECT 1', { name: 'tidemark', password: '' })).rejects.toThrow(
      /AUTHENTICATION_FAILED|password is incorrect/,
    );
  });

  it('lets the services create, insert and query, and Grafana only read', async () => {
    const db = uniqueName('deploy');
    await server.query(`CREATE DATABASE ${db}`, tidemark);
    await server.query(`CREATE TABLE ${db}.t (n UInt32) ENGINE = MergeTree ORDER BY n`, tidemark);
    await server.query(`INSERT INTO ${db}.t VALUES (1), (2), (3)`, tidemark);
    expect((await server.query(`SELECT sum(n) FROM ${db}.t SETTINGS max_threads = 1`, grafana)).trim()).toBe('6');
    await expect(server.query(`INSERT INTO ${db}.t VALUES (4)`, grafana)).rejects.toThrow(/READONLY|readonly/);
    await expect(server.query(`DROP TABLE ${db}.t`, grafana)).rejects.toThrow(/READONLY|readonly/);
  });

  it('keeps default to the loopback', async () => {
    const [row] = (await server.query(`SELECT host_ip, host_names FROM system.users WHERE name = 'default' FORMAT JSONEachRow`))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { host_ip: string[]; host_names: string[] });
    // ClickHouse folds ::1 and 127.0.0.1 into `localhost`.
    expect(row).toEqual({ host_ip: [], host_names: ['localhost'] });
  });

  it('backs a database up to the backup disk and restores it', async () => {
    const db = uniqueName('backup');
    await server.query(`CREATE DATABASE ${db}`, tidemark);
    await server.query(`CREATE TABLE ${db}.t (n UInt32) ENGINE = MergeTree ORDER BY n`, tidemark);
    await server.query(`INSERT INTO ${db}.t SELECT number FROM numbers(1000)`, tidemark);
    await server.query(`BACKUP DATABASE ${db} TO Disk('backups', '${db}')`, tidemark);
    await server.query(`DROP DATABASE ${db} SYNC`, tidemark);
    await server.query(`RESTORE DATABASE ${db} FROM Disk('backups', '${db}')`, tidemark);
    expect((await server.query(`SELECT count() FROM ${db}.t`, tidemark)).trim()).toBe('1000');
  });
});
