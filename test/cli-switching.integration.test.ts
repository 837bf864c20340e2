/**
 * `pnpm tidemark export` and `pnpm tidemark import` against a real embedded stack: the export
 * lands in the file whole (through a `.partial` name) with progress up to 100%, the import
 * posts a Plausible export and reports it, and a refused request is one line naming why.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportEvents } from '../src/cli/export.ts';
import { importFile } from '../src/cli/import.ts';
import { deleteImport, importLines, listImports } from '../src/cli/imports.ts';
import { postEvents, ROOT, type Stack, startStack, uniqueName, waitFor } from './harness.ts';
import { plausibleExport, zip } from './import-fixtures.ts';

const TOKEN = uniqueName('token');
const run = promisify(execFile);

describe('pnpm tidemark export / import', () => {
  let stack: Stack;
  let env: Record<string, string>;
  const site = `${uniqueName('cli')}.example`;
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-cli-'));
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    stack = await startStack({ API_TOKEN: TOKEN });
    env = { TIDEMARK_URL: stack.apiUrl, TIDEMARK_KEY: TOKEN };
    const events = Array.from({ length: 30 }, (_, i) => ({ site, name: 'pageview', url: `https://${site}/p${i}` }));
    expect((await postEvents(stack.collectorUrl, events)).status).toBe(202);
    await waitFor(
      () => stack.query<{ n: string }>('SELECT count() AS n FROM {db}.events WHERE site = {site:String}', { site }),
      (r) => Number(r[0]?.n) === 30,
    );
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports CSV into the file, showing rows of the count up to 100%', async () => {
    const out = join(dir, 'events.csv');
    const lines: string[] = [];
    const { rows } = await exportEvents({ site, from: today, to: today, format: 'csv', out }, env, (line) => lines.push(line));
    expect(rows).toBe(30);
    expect(lines.at(-1)).toMatch(/^export: 30 of 30 rows \(100\.0%\), 0\.0 MB$/);
    const records = parse(readFileSync(out), { columns: true }) as { path: string }[];
    expect(records.map((r) => r.path).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `/p${i}`).sort());
  });

  it('exports Parquet, showing bytes', async () => {
    const out = join(dir, 'events.parquet');
    const lines: string[] = [];
    await exportEvents({ site, from: today, to: today, format: 'parquet', out }, env, (line) => lines.push(line));
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
    expect(lines.at(-1)).toMatch(/^export: \d+\.\d MB( of \d+\.\d MB \(100\.0%\))?, 30 rows$/);
  });

  it('imports a Plausible export and says what came in', async () => {
    const file = join(dir, 'plausible.zip');
    writeFileSync(file, zip(plausibleExport()));
    const lines: string[] = [];
    const answer = await importFile({ site, source: 'plausible', file }, env, (line) => lines.push(line));
    expect(answer).toMatchObject({ status: 'complete', rows: 10, dateFrom: '2024-01-01', dateTo: '2024-01-03' });
    expect(lines.at(-1)).toBe('import: 10 rows, 2024-01-01 to 2024-01-03');
    const listed = await listImports(site, env);
    expect(importLines(listed)).toEqual([`${answer.id}  plausible complete  2024-01-01 to 2024-01-03  10 rows  plausible.zip`]);
    await deleteImport(site, answer.id, env);
    expect(importLines(await listImports(site, env))).toEqual(['no imports']);
    await expect(deleteImport(site, answer.id, env)).rejects.toThrow(/^404: no import/);
  });

  it('runs as a command, and a refusal is one line naming why', async () => {
    const out = join(dir, 'cmd.csv');
    const ok = await run(process.execPath, ['src/cli/main.ts', 'export', site, '--from', today, '--to', today, '--out', out], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    expect(ok.stdout).toBe(`${out}: 30 events, 0.0 MB\n`);
    const refused = await run(process.execPath, ['src/cli/main.ts', 'export', site, '--from', today, '--to', today], {
      cwd: ROOT,
      env: { ...process.env, ...env, TIDEMARK_KEY: 'wrong' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tidemark: 401: .+ \(set TIDEMARK_KEY or API_TOKEN\)\n$/) });
  });
});
