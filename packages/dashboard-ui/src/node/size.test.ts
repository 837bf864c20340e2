/** The JavaScript of the dashboard's first view stays under its gzip -9 budget (the global test setup builds dist/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUDGET_BYTES, gzipSize } from '../../rollup.config.mjs';
import { DIST } from './paths.ts';

describe('dashboard UI bundle', () => {
  it(`app.js is at most ${BUDGET_BYTES} B gzip -9, and index.html loads no other script`, () => {
    const code = readFileSync(join(DIST, 'app.js'), 'utf8');
    const size = gzipSize(code);
    console.log(`dashboard app.js: ${code.length} B, gzip -9 ${size} B (budget ${BUDGET_BYTES} B)`);
    expect(size).toBeGreaterThan(10_000); // a real build, Preact and uPlot inside
    expect(size).toBeLessThanOrEqual(BUDGET_BYTES);
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    expect([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1])).toEqual(['/assets/app.js']);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('the world map names countries by ISO alpha-2 code', async () => {
    const world = JSON.parse(readFileSync(join(DIST, 'world.json'), 'utf8')) as { version: number; countries: Record<string, string> };
    expect(world.version).toBe(1);
    for (const code of ['DE', 'US', 'BR', 'JP', 'AU', 'FR', 'GB']) expect(world.countries[code]).toMatch(/^M[-\d. MLZ]+Z$/);
    expect(Object.keys(world.countries).length).toBeGreaterThan(150);
    expect(world.countries.AQ).toBeUndefined();
  });
});
