// One source (src/engine.ts), four builds. The feature flags are terser global_defs, so code a
// build does not have is dead and dropped:
//   dist/script.js, dist/script.full.js   the script tag (IIFE, src/script.ts); gzip -9 budgets enforced here
//   dist/index.js, dist/index.dev.js      the npm module (ESM, src/index.ts), production and development
// The module's type declarations come from `tsc -p tsconfig.types.json` (the `build` script).
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

/** gzip -9 budgets of the script tag in bytes (SPEC §3). The module's budget is an app's, in src/size.test.ts. */
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
      console.log(
        `${chunk.fileName.padEnd(15)} ${String(chunk.code.length).padStart(5)} B, gzip -9 ${size} B${limit ? ` (budget ${limit} B)` : ''}`,
      );
      if (limit !== undefined && size > limit) this.error(`${chunk.fileName} is ${size} B gzip -9, over its ${limit} B budget`);
    }
  },
});

const minify = (flags, module) =>
  terser({
    ecma: 2020,
    module,
    toplevel: true,
    compress: { passes: 3, global_defs: flags, unsafe: true, pure_getters: true, keep_fargs: false },
    format: { comments: false },
  });

/** An app's own minification, as a bundler would run it over the module (src/module-size.ts). */
export const appMinify = () => terser({ module: true });

/** The development module stays readable: flags folded, dead code dropped, names and lines kept. */
const readable = (flags) =>
  terser({
    ecma: 2020,
    module: true,
    compress: {
      global_defs: flags,
      defaults: false,
      dead_code: true,
      evaluate: true,
      conditionals: true,
      unused: true,
      side_effects: true,
    },
    mangle: false,
    format: { beautify: true, comments: false },
  });

/** @param {boolean} full @returns {import('rollup').OutputOptions} */
const script = (full) => ({
  file: here(full ? 'dist/script.full.js' : 'dist/script.js'),
  format: 'iife',
  strict: false,
  generatedCode: 'es2015',
  plugins: [minify({ __FULL__: full, __SCRIPT__: true, __DEV__: false }, false), budget()],
});

/** @param {boolean} dev @returns {import('rollup').OutputOptions} */
const module = (dev) => {
  const flags = { __FULL__: true, __SCRIPT__: false, __DEV__: dev };
  return {
    file: here(dev ? 'dist/index.dev.js' : 'dist/index.js'),
    format: 'es',
    generatedCode: 'es2015',
    sourcemap: true,
    plugins: [dev ? readable(flags) : minify(flags, true), budget()],
  };
};

/** @param {boolean} sourceMap */
const compile = (sourceMap) =>
  typescript({
    tsconfig: here('tsconfig.json'),
    compilerOptions: { noEmit: false, allowImportingTsExtensions: false, declaration: false, sourceMap },
    include: [here('src/*.ts')],
    exclude: [here('src/*.test.ts'), here('src/build.ts'), here('src/module-size.ts')],
  });

/** @type {(import('rollup').RollupOptions & { output: import('rollup').OutputOptions[] })[]} */
export default [
  { input: here('src/script.ts'), plugins: [compile(false)], output: [script(false), script(true)] },
  { input: here('src/index.ts'), plugins: [compile(true)], output: [module(false), module(true)] },
];
