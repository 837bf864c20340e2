// Builds the trackers (the two scripts and the npm module's two files) with the same rollup
// config as `pnpm build`, in memory or to dist/. Type declarations are the build script's (tsc).
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type RollupLog, rollup } from 'rollup';
import config, { BUDGETS } from '../rollup.config.mjs';

export interface BuiltScript {
  fileName: 'script.js' | 'script.full.js' | 'index.js' | 'index.dev.js';
  /** Absolute path the CLI build writes it to. */
  file: string;
  code: string;
  /** Its source map, when the build makes one (the module's files). */
  map: string | null;
  /** gzip -9 size in bytes. */
  gzipBytes: number;
  /** The script tag's budgets; the module has none of its own (an app's bundle has, src/size.test.ts). */
  budgetBytes: number | undefined;
}

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const inputs = ['engine.ts', 'script.ts', 'index.ts', 'check.ts', 'clicks.ts', 'features.ts', 'types.ts', 'env.d.ts'].map((f) =>
  root(`src/${f}`),
);
inputs.push(root('rollup.config.mjs'), root('tsconfig.json'));

const isBudget = (plugin: unknown) =>
  typeof plugin === 'object' && plugin !== null && 'name' in plugin && plugin.name === 'tidemark-budget';

/** Builds every output in memory (nothing written), whatever its size. */
export async function buildTracker(): Promise<BuiltScript[]> {
  const built: BuiltScript[] = [];
  for (const options of config) {
    const warnings: RollupLog[] = [];
    const bundle = await rollup({ ...options, onwarn: (warning) => void warnings.push(warning) });
    try {
      for (const output of options.output) {
        // Without the budget check of the CLI build: callers (the size test) judge the sizes themselves.
        const plugins = [output.plugins].flat().filter((plugin) => !isBudget(plugin));
        const { output: chunks } = await bundle.generate({ ...output, plugins });
        const [chunk] = chunks;
        const fileName = chunk.fileName as BuiltScript['fileName'];
        built.push({
          fileName,
          file: output.file ?? root(`dist/${fileName}`),
          code: chunk.code,
          map: chunk.map ? chunk.map.toString() : null,
          gzipBytes: gzipSync(chunk.code, { level: 9 }).length,
          budgetBytes: (BUDGETS as Record<string, number>)[fileName],
        });
      }
      // A type error is a warning to rollup; here it must not pass silently.
      if (warnings.length > 0) throw new Error(warnings.map((w) => w.message).join('\n'));
    } finally {
      await bundle.close();
    }
  }
  return built;
}

const mtime = async (path: string) => (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;

/**
 * Writes dist/ when a built file is missing or older than the sources (and fails, as the CLI build
 * does, when a script is over budget). Each file is written to a
 * temporary name and renamed, so a server reading dist/ concurrently never sees half a script.
 */
export async function ensureBuilt(): Promise<void> {
  const newest = Math.max(...(await Promise.all(inputs.map(mtime))));
  const outputs = config.flatMap((options) => options.output.map((output) => output.file ?? ''));
  const oldest = Math.min(...(await Promise.all(outputs.map(mtime))));
  if (oldest >= newest) return;
  const built = await buildTracker();
  for (const { fileName, gzipBytes, budgetBytes } of built) {
    if (budgetBytes !== undefined && gzipBytes > budgetBytes)
      throw new Error(`${fileName} is ${gzipBytes} B gzip -9, over its ${budgetBytes} B budget`);
  }
  for (const script of built) {
    await mkdir(dirname(script.file), { recursive: true });
    if (script.map !== null) await writeAtomically(`${script.file}.map`, script.map);
    await writeAtomically(script.file, script.code);
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}
