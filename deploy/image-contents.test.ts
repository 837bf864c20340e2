/**
 * What each image's build stage lays out, made here for real: `deploy/docker/assemble.sh` of
 * the service (the Dockerfile's command, offline) into a temporary directory, then started
 * with Node alone as the image's CMD does. Every module loads with Node's own type stripping
 * (none of the TypeScript sits under node_modules/, where Node refuses it), the tracker ships
 * with the collector, and neither tsx nor the embedded ClickHouse engine (chdb, ~550 MB) ships
 * with any of them.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SERVICES } from './test-support.ts';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'tidemark-image-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

async function assemble(service: string): Promise<string> {
  const dir = join(out, service);
  await run('bash', [join(ROOT, 'deploy/docker/assemble.sh'), service, dir, '--offline'], { cwd: ROOT, timeout: 120_000 });
  return dir;
}

/** `node src/main.ts` in the service's directory with an empty environment: it loads every module, then stops at the config. */
function start(dir: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['src/main.ts'], { cwd: dir, env: {}, timeout: 30_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stderr }),
    );
  });
}

const FIRST_STOP: Record<(typeof SERVICES)[number], string> = {
  collector: 'tidemark collector: KAFKA_BROKERS must be set',
  ingester: 'tidemark ingester: KAFKA_BROKERS must be set',
  // Without chdb in the image, the embedded engine is not there to fall back on.
  'dashboard-api': 'tidemark dashboard-api: CLICKHOUSE_URL must be set: this build has no embedded ClickHouse engine',
};

describe.each(SERVICES)('the %s image contents (deploy/docker/assemble.sh)', (service) => {
  it('has its package and the workspace packages it uses in the repository layout, without tsx or chdb', { timeout: 150_000 }, async () => {
    const app = await assemble(service);
    const dir = join(app, 'packages', service);
    expect(existsSync(join(dir, 'src/main.ts'))).toBe(true);
    expect(readdirSync(join(app, 'packages')).sort()).toEqual(
      (service === 'collector' ? ['collector', 'shared', 'tracker'] : [service, 'shared']).sort(),
    );
    // Workspace packages are linked by path, outside node_modules/, where Node strips types.
    expect(realpathSync(join(dir, 'node_modules/@tidemark/shared'))).toBe(join(app, 'packages/shared'));
    expect(existsSync(join(app, 'packages/shared/src/index.ts'))).toBe(true);
    expect(readdirSync(join(app, 'packages/shared/src')).filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    const store = readdirSync(join(app, 'node_modules/.pnpm'));
    expect(store.filter((entry) => /^(chdb|@chdb|tsx|esbuild|@esbuild|typescript|vitest)[@+]/.test(entry))).toEqual([]);
    // kafkajs (patched) finds the native CRC-32C through pnpm's hoisting, as in the workspace
    const fromShared = createRequire(realpathSync(join(app, 'packages/shared/package.json')));
    const kafkajs = createRequire(fromShared.resolve('kafkajs'));
    expect(kafkajs.resolve('@node-rs/crc32')).toContain(join(app, 'node_modules/.pnpm'));
    expect(fromShared.resolve('kafkajs')).toContain('kafkajs@2.2.4_patch_hash=');
    if (service === 'collector') {
      // The built scripts (the tests' global setup builds them, as the image's build stage does).
      for (const file of ['dist/script.js', 'dist/script.full.js'])
        expect(existsSync(join(dir, 'node_modules/@tidemark/tracker', file)), file).toBe(true);
    }

    const started = await start(dir);
    expect(started.code).toBe(1);
    expect(started.stderr.trim().split('\n')).toEqual([expect.stringContaining(FIRST_STOP[service])]);
  });
});
