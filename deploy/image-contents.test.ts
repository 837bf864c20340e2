/**
 * What each image's build stage copies into the image, made here for real: `pnpm deploy
 * --prod --offline` of the service (the Dockerfile's command) into a temporary directory.
 * The start command's file and runtime are there, the tracker ships with the collector,
 * and the embedded ClickHouse engine (chdb, ~550 MB) ships with none of them.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, repoPathExists, SERVICES } from './test-support.ts';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'tidemark-deploy-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

async function deploy(service: string): Promise<string> {
  const dir = join(out, service);
  await run('pnpm', ['--filter', `@tidemark/${service}`, 'deploy', '--prod', '--offline', dir], { cwd: ROOT, timeout: 120_000 });
  return dir;
}

describe.each(SERVICES)('pnpm deploy --prod of %s (the image contents)', (service) => {
  it('has the start file and tsx, and no chdb', { timeout: 150_000 }, async () => {
    const dir = await deploy(service);
    expect(existsSync(join(dir, 'src/main.ts'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/tsx/package.json'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/@tidemark/shared/src/index.ts'))).toBe(true);
    const store = readdirSync(join(dir, 'node_modules/.pnpm'));
    expect(store.filter((entry) => /^(chdb|@chdb)/.test(entry))).toEqual([]);
    // kafkajs (patched) finds the native CRC-32C through pnpm's hoisting, as in the workspace
    const fromShared = createRequire(realpathSync(join(dir, 'node_modules/@tidemark/shared/package.json')));
    const kafkajs = createRequire(fromShared.resolve('kafkajs'));
    expect(kafkajs.resolve('@node-rs/crc32')).toContain(join(dir, 'node_modules/.pnpm'));
    if (service === 'collector') {
      expect(existsSync(join(dir, 'node_modules/@tidemark/tracker/package.json'))).toBe(true);
      // The built scripts ship when they are built (`pnpm build`, as the image's build stage does).
      for (const file of ['dist/script.js', 'dist/script.full.js']) {
        if (repoPathExists(`packages/tracker/${file}`))
          expect(existsSync(join(dir, 'node_modules/@tidemark/tracker', file)), file).toBe(true);
      }
    }
  });
});
