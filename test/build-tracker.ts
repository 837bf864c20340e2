/**
 * Global setup of both test projects: the collector serves `packages/tracker/dist/`, so build
 * it when missing or stale. On teardown, remove the embedded-engine data of test processes
 * that are gone (`.tmp/chdb-<pid>`, see harness.ts): their exit handlers do not always run.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from '../packages/tracker/src/build.ts';
import { isAlive } from '../services/process.ts';

export default async function setup(): Promise<() => void> {
  await ensureBuilt();
  return () => {
    const tmp = join(import.meta.dirname, '..', '.tmp');
    let names: string[] = [];
    try {
      names = readdirSync(tmp);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = /^chdb-(\d+)$/.exec(name)?.[1];
      if (pid && !isAlive(Number(pid))) rmSync(join(tmp, name), { recursive: true, force: true });
    }
  };
}
