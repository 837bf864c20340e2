import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltScript, buildTracker } from './build.ts';

// SPEC §3: gzip -9 budgets. Repeated here on purpose: the test is the contract, not the config.
const BUDGETS = { 'script.js': 1024, 'script.full.js': 1536 } as const;

describe('tracker builds', () => {
  let built: Map<string, BuiltScript>;
  const script = (name: keyof typeof BUDGETS) => {
    const found = built.get(name);
    if (!found) throw new Error(`${name} was not built`);
    return found;
  };

  beforeAll(async () => {
    built = new Map((await buildTracker()).map((s) => [s.fileName, s]));
  }, 60_000);

  it.each(Object.entries(BUDGETS) as [keyof typeof BUDGETS, number][])('%s stays within its gzip -9 budget of %i bytes', (name, budget) => {
    const size = gzipSync(script(name).code, { level: 9 }).length;
    console.log(`${name}: ${size} B gzip -9 (budget ${budget} B)`);
    expect(size).toBeLessThanOrEqual(budget);
  });

  it('keeps full-build features out of the core build', () => {
    const core = script('script.js').code;
    const full = script('script.full.js').code;
    for (const feature of ['hashchange', 'outbound', 'download', 'auxclick']) {
      expect(core).not.toContain(feature);
      expect(full).toContain(feature);
    }
    for (const code of [core, full]) {
      expect(code).not.toContain('__FULL__');
      expect(code).toMatch(/^!?\(?(function|\()/); // an IIFE: nothing leaks into the page's globals
      expect(code).toContain('"/api/event"');
    }
  });
});
