/**
 * Tracker sizes: gzip -9 and brotli of both script builds, and what the npm module costs an app
 * per feature (the budgets are enforced by packages/tracker/src/size.test.ts).
 */
import { brotliCompressSync, constants } from 'node:zlib';
import { buildTracker } from '../packages/tracker/src/build.ts';
import { moduleAppSizes } from '../packages/tracker/src/module-size.ts';
import type { Figures } from './lib.ts';

export async function benchTracker(): Promise<Figures> {
  const built = await buildTracker();
  const figures: Figures = {};
  for (const { fileName, code, gzipBytes } of built) {
    if (!fileName.startsWith('script')) continue;
    figures[`${fileName} gzip -9 (B)`] = gzipBytes;
    figures[`${fileName} brotli (B)`] = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  const module = built.find((b) => b.fileName === 'index.js');
  if (!module) throw new Error('the npm module was not built');
  for (const [app, { gzipBytes }] of Object.entries(await moduleAppSizes(module.code))) {
    figures[`npm module, app with ${app}, gzip -9 (B)`] = gzipBytes;
  }
  return figures;
}
