// Builds the trackers with the same rollup config as `pnpm build`, in memory or to dist/.
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type RollupLog, rollup } from 'rollup';
import config, { BUDGETS } from '../rollup.config.mjs';

export interface BuiltScript {
  fileName: 'script.js' | 'script.full.js';
  /** Absolute path the CLI build writes it to. */
  file: string;
  code: string;
  /** gzip -9 size in bytes. */
  gzipBytes: number;
  budgetBytes: number;
}

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const inputs = ['src/tracker.ts', 'src/env.d.ts', 'rollup.config.mjs', 'tsconfig.json'].map(root);

/** Builds both scripts in memory (nothing written), whatever their size. */
export async function buildTracker(): Promise<BuiltScript[]> {
  const warnings: RollupLog[] = [];
  const bundle = await rollup({ ...config, onwarn: (warning) => void warnings.push(warning) });
  try {
    const built: BuiltScript[] = [];
    for (const output of config.output) {
      // Without the budget check of the CLI build: callers (the size test) judge the sizes themselves.
      const plugins = [output.plugins].flat().filter((plugin) => !(plugin && 'name' in plugin && plugin.name === 'tidemark-budget'));
      const { output: chunks } = await bundle.generate({ ...output, plugins });
      const [chunk] = chunks;
      const fileName = chunk.fileName as BuiltScript['fileName'];
      built.push({
        fileName,
        file: output.file ?? root(`dist/${fileName}`),
        code: chunk.code,
        gzipBytes: gzipSync(chunk.code, { level: 9 }).length,
        budgetBytes: BUDGETS[fileName],
      });
    }
    // A type error is a warning to rollup; here it must not pass silently.
    if (warnings.length > 0) throw new Error(warnings.map((w) => w.message).join('\n'));
    return built;
  } finally {
    await bundle.close();
  }
}

const mtime = async (path: string) => (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;

/**
 * Writes dist/ when a built file is missing or older than the sources (and fails, as the CLI build
 * does, when a script is over budget). Each file is written to a
 * temporary name and renamed, so a server reading dist/ concurrently never sees half a script.
 */
export async function ensureBuilt(): Promise<void> {
  const newest = Math.max(...(await Promise.all(inputs.map(mtime))));
  const outputs = config.output.map((output) => output.file ?? '');
  const oldest = Math.min(...(await Promise.all(outputs.map(mtime))));
  if (oldest >= newest) return;
  const built = await buildTracker();
  for (const { fileName, gzipBytes, budgetBytes } of built) {
    if (gzipBytes > budgetBytes) throw new Error(`${fileName} is ${gzipBytes} B gzip -9, over its ${budgetBytes} B budget`);
  }
  for (const script of built) {
    await mkdir(dirname(script.file), { recursive: true });
    const temporary = `${script.file}.${process.pid}.tmp`;
    await writeFile(temporary, script.code);
    await rename(temporary, script.file);
  }
}
