/**
 * A fuzzer nobody here wrote against the Stats and Query APIs: schemathesis (PyPI) reads `/openapi.json`
 * and sends generated requests — valid, invalid, undeclared methods, missing auth — with every
 * check it has (`--checks all`): no 5xx, only documented statuses, content types and answer
 * schemas (the stream's events too), schema-valid requests accepted and invalid ones refused,
 * 405 with `Allow` for other methods, 401 without the token. Over the seeded dataset on the
 * real ClickHouse server. schemathesis must be on PATH (`scripts/prerequisites.sh` installs it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createDashboardApp, type DashboardApp } from '@tidemark/dashboard-api';
import { migrate } from '@tidemark/ingester';
import { type ClickHouseClient, createClickHouse, listening, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seed } from './dashboard-seed.ts';
import { ROOT, uniqueName } from './harness.ts';

const TOKEN = 'schemathesis-token';

function schemathesisVersion(): string | null {
  try {
    return execFileSync('schemathesis', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

describe('schemathesis against the Stats API and the Query API (--checks all)', () => {
  const database = uniqueName('st');
  let client: ClickHouseClient;
  let app: DashboardApp;
  let server: ReturnType<typeof serve>;
  let port = 0;

  beforeAll(async () => {
    const config = loadConfig({ CLICKHOUSE_DATABASE: database, CLICKHOUSE_URL: inject('clickhouseUrl') });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    await seed(client, database);
    app = createDashboardApp({ client, database, token: TOKEN, log: plainLogger('silent'), registry: new Registry() });
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    port = await listening(server as Server);
  });
  afterAll(async () => {
    app?.close();
    await new Promise((resolve) => server?.close(resolve));
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  it('finds no failure in any operation', async () => {
    const version = schemathesisVersion();
    if (version === null) {
      throw new Error('schemathesis is not on PATH: run scripts/prerequisites.sh, or `python3 -m pip install schemathesis` (4.x)');
    }
    const args = [
      '--config-file',
      join(ROOT, 'test', 'schemathesis.toml'),
      'run',
      `http://127.0.0.1:${port}/openapi.json`,
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      '--checks',
      'all',
      '--max-examples',
      '25',
      '--request-timeout',
      '20',
      '--no-color',
      '--generation-database',
      'none',
    ];
    mkdirSync(join(ROOT, '.tmp'), { recursive: true }); // schemathesis writes its reports under its working directory
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      // The hooks hold the Query API's 400s for schema-valid bodies to its rules between fields.
      const env = { ...process.env, SCHEMATHESIS_HOOKS: join(ROOT, 'test', 'schemathesis_hooks.py') };
      execFile('schemathesis', args, { cwd: join(ROOT, '.tmp'), env, maxBuffer: 32 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      });
    });
    expect(code, `${version} failed:\n${output}`).toBe(0);
    // Every operation of the document was selected and exercised.
    const [, selected, total] = /Selected: (\d+)\/(\d+)/.exec(output) ?? [];
    expect(Number(selected)).toBeGreaterThanOrEqual(8);
    expect(selected).toBe(total);
    expect(/Tested: (\d+)/.exec(output)?.[1]).toBe(total);
    expect(output).toMatch(/No issues found/);
  }, 660_000);
});
