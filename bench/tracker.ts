/** Tracker sizes: gzip -9 and brotli of both builds (the budgets are enforced by a test). */
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fullScriptPath, scriptPath } from '@tidemark/tracker';
import { ensureBuilt } from '@tidemark/tracker/build';
import type { Figures } from './lib.ts';

export async function benchTracker(): Promise<Figures> {
  await ensureBuilt();
  const figures: Figures = {};
  for (const [name, path] of [
    ['script.js', scriptPath],
    ['script.full.js', fullScriptPath],
  ] as const) {
    const raw = readFileSync(path);
    figures[`${name} gzip -9 (B)`] = gzipSync(raw, { level: 9 }).length;
    figures[`${name} brotli (B)`] = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return figures;
}
