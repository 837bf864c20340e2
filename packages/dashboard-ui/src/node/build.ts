/**
 * Builds the dashboard UI with the rollup config of `pnpm build`, to dist/ when a built file is
 * missing or older than the sources (the test setup, `pnpm start` and the bench call it), or in
 * memory for the size test. Files are written under a temporary name and renamed, so a server
 * reading dist/ meanwhile never serves half a file.
 */
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RollupLog, rollup } from 'rollup';
import config, { gzipSize } from '../../rollup.config.mjs';

import { DIST, OUTPUTS } from './paths.ts';

const SOURCES = fileURLToPath(new URL('../app/', import.meta.url));

export interface BuiltFile {
  fileName: string;
  source: string;
  gzipBytes: number;
}

/** Every output in memory, whatever its size; a type error fails the build. */
export async function buildUi(): Promise<BuiltFile[]> {
  const warnings: RollupLog[] = [];
  const { output: outputOptions, ...input } = config;
  const bundle = await rollup({ ...input, onwarn: (warning) => void warnings.push(warning) });
  try {
    const plugins = [outputOptions.plugins]
      .flat()
      .filter((p) => !(p && typeof p === 'object' && 'name' in p && p.name === 'tidemark-budget'));
    const { output } = await bundle.generate({ ...outputOptions, plugins });
    if (warnings.length > 0) throw new Error(warnings.map((w) => w.message).join('\n'));
    return output.map((o) => {
      const source = o.type === 'chunk' ? o.code : typeof o.source === 'string' ? o.source : new TextDecoder().decode(o.source);
      return { fileName: o.fileName, source, gzipBytes: gzipSize(source) };
    });
  } finally {
    await bundle.close();
  }
}

const mtime = async (path: string) => (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;

async function newestSource(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const times = await Promise.all(entries.filter((e) => e.isFile()).map((e) => mtime(join(e.parentPath, e.name))));
  return Math.max(0, ...times, await mtime(fileURLToPath(new URL('../../rollup.config.mjs', import.meta.url))));
}

/** Writes dist/ when it is missing or older than the sources; fails above the JavaScript budget. */
export async function ensureUiBuilt(): Promise<void> {
  const newest = await newestSource(SOURCES);
  const oldest = Math.min(...(await Promise.all(OUTPUTS.map((f) => mtime(join(DIST, f))))));
  if (oldest >= newest) return;
  await writeBuild(await buildUi());
}

export async function writeBuild(files: BuiltFile[]): Promise<void> {
  const { BUDGET_BYTES } = await import('../../rollup.config.mjs');
  for (const f of files)
    if (f.fileName.endsWith('.js') && f.gzipBytes > BUDGET_BYTES)
      throw new Error(`${f.fileName} is ${f.gzipBytes} B gzip -9, over its ${BUDGET_BYTES} B budget`);
  await mkdir(DIST, { recursive: true });
  for (const f of files) {
    const temporary = join(DIST, `${f.fileName}.${process.pid}.tmp`);
    await writeFile(temporary, f.source);
    await rename(temporary, join(DIST, f.fileName));
  }
}
