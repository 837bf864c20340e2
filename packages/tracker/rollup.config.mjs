// Two IIFE builds of src/tracker.ts; the feature flag __FULL__ is a terser global_def, so the
// full-only code is dead and dropped in dist/script.js. Prints both gzip -9 sizes; a build over
// budget fails (and so does src/size.test.ts).
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

/** gzip -9 budgets in bytes (SPEC §3). */
export const BUDGETS = { 'script.js': 1024, 'script.full.js': 1536 };

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export const gzipSize = (code) => gzipSync(code, { level: 9 }).length;

/** @returns {import('rollup').Plugin} */
const budget = () => ({
  name: 'tidemark-budget',
  generateBundle(_options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const size = gzipSize(chunk.code);
      const limit = BUDGETS[chunk.fileName];
      console.log(`${chunk.fileName.padEnd(15)} ${String(chunk.code.length).padStart(5)} B, gzip -9 ${size} B (budget ${limit} B)`);
      if (limit !== undefined && size > limit) this.error(`${chunk.fileName} is ${size} B gzip -9, over its ${limit} B budget`);
    }
  },
});

/** @param {boolean} full @returns {import('rollup').OutputOptions} */
const output = (full) => ({
  file: here(full ? 'dist/script.full.js' : 'dist/script.js'),
  format: 'iife',
  strict: false,
  generatedCode: 'es2015',
  plugins: [
    terser({
      ecma: 2020,
      toplevel: true,
      compress: { passes: 3, global_defs: { __FULL__: full }, unsafe: true, pure_getters: true },
      format: { comments: false },
    }),
    budget(),
  ],
});

/** @type {import('rollup').RollupOptions & { output: import('rollup').OutputOptions[] }} */
export default {
  input: here('src/tracker.ts'),
  plugins: [
    typescript({
      tsconfig: here('tsconfig.json'),
      compilerOptions: { noEmit: false, allowImportingTsExtensions: false },
      include: [here('src/*.ts')],
    }),
  ],
  output: [output(false), output(true)],
};
