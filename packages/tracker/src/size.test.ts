import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltScript, buildTracker } from './build.ts';
import { type AppSize, MODULE_BUDGET, moduleAppSizes } from './module-size.ts';

// SPEC §3: gzip -9 budgets of the script tag. Repeated here on purpose: the test is the contract, not the config.
const BUDGETS = { 'script.js': 1024, 'script.full.js': 1536 } as const;

describe('tracker builds: one size test for the script tag and the npm module', () => {
  let built: Map<string, BuiltScript>;
  let apps: Record<string, AppSize>;
  const file = (name: BuiltScript['fileName']) => {
    const found = built.get(name);
    if (!found) throw new Error(`${name} was not built`);
    return found;
  };
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-module-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    built = new Map((await buildTracker()).map((s) => [s.fileName, s]));
    apps = await moduleAppSizes(file('index.js').code);
  }, 60_000);

  it.each(Object.entries(BUDGETS) as [keyof typeof BUDGETS, number][])('%s stays within its gzip -9 budget of %i bytes', (name, budget) => {
    const size = gzipSync(file(name).code, { level: 9 }).length;
    console.log(`${name}: ${size} B gzip -9 (budget ${budget} B)`);
    expect(size).toBeLessThanOrEqual(budget);
  });

  it(`an app using automatic pageviews and track ships at most ${MODULE_BUDGET.bytes} B gzip -9 of the module`, () => {
    for (const [name, { gzipBytes }] of Object.entries(apps)) console.log(`module app "${name}": ${gzipBytes} B gzip -9`);
    expect(apps[MODULE_BUDGET.app]?.gzipBytes).toBeLessThanOrEqual(MODULE_BUDGET.bytes);
  });

  it('tree-shakes: an app ships only the features it imports', () => {
    const code = (name: string) => apps[name]?.code ?? '';
    // Event names and listeners of each feature.
    expect(code('init')).not.toMatch(/"download"|"outbound"|auxclick|doNotTrack|hashchange/);
    expect(code('init + track')).not.toMatch(/doNotTrack|globalPrivacyControl|hashchange/);
    expect(code('+ respectDnt')).toMatch(/globalPrivacyControl/);
    expect(code('+ respectDnt')).not.toMatch(/hashchange/);
    expect(code('+ hashRouting')).toMatch(/hashchange/);
    expect(code('init + track')).not.toMatch(/"download"|"outbound"|auxclick/);
    expect(code('+ fileDownloads')).toMatch(/"download".*auxclick|auxclick.*"download"/s);
    expect(code('+ fileDownloads')).not.toContain('"outbound"');
    expect(code('+ outboundLinks')).toContain('"outbound"');
    // Each feature costs bytes, so each app is larger than the one before it.
    const sizes = Object.values(apps).map((app) => app.gzipBytes);
    expect(sizes.slice(1).every((size, i) => size > (sizes[i] as number))).toBe(true);
  });

  it('keeps full-build features out of the core script, and development checks out of the production module', () => {
    const core = file('script.js').code;
    const full = file('script.full.js').code;
    for (const feature of ['hashchange', 'outbound', 'download', 'auxclick']) {
      expect(core).not.toContain(feature);
      expect(full).toContain(feature);
    }
    for (const code of [core, full]) {
      expect(code).not.toMatch(/__FULL__|__SCRIPT__|__DEV__/);
      expect(code).toMatch(/^!?\(?(function|\()/); // an IIFE: nothing leaks into the page's globals
      expect(code).toContain('"/api/event"');
    }
    // The production module leaves the checks of init's options and of events to the collector.
    for (const check of ['Tidemark init:', 'event dropped', 'pageview dropped', 'at most 30 keys']) {
      expect(file('index.js').code).not.toContain(check);
      expect(file('index.dev.js').code).toContain(check);
    }
  });

  it.each(['index.js', 'index.dev.js'] as const)(
    '%s imports and runs without a browser (server rendering): every call does nothing',
    async (name) => {
      const path = join(dir, name);
      writeFileSync(`${path}.map`, file(name).map ?? '');
      writeFileSync(path, file(name).code);
      const module = await import(pathToFileURL(path).href);
      expect(Object.keys(module).sort()).toEqual([
        'fileDownloads',
        'hashRouting',
        'init',
        'outboundLinks',
        'respectDnt',
        'track',
        'trackPageview',
      ]);
      expect(() => {
        module.init({ site: 'example.com' });
        module.track('signup', { props: { plan: 'pro' } });
        module.trackPageview();
      }).not.toThrow();
    },
  );
});
