// The dashboard UI: src/app/main.tsx (Preact + uPlot, TypeScript) → dist/app.js, one ES module,
// minified; dist/app.css (ours + uPlot's), dist/index.html and dist/world.json (the map, fetched
// when the map is shown) are emitted beside it. The JavaScript of the first view has a gzip -9
// budget, enforced here and in src/node/size.test.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

export const BUDGET_BYTES = 60 * 1024;
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const require = createRequire(import.meta.url);
export const gzipSize = (code) => gzipSync(code, { level: 9 }).length;

/** @returns {import('rollup').Plugin} */
const assets = () => ({
  name: 'tidemark-assets',
  async generateBundle() {
    const { worldMap } = await import('./src/node/world.ts');
    const css = [readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'), readFileSync(here('src/app/app.css'), 'utf8')];
    this.emitFile({ type: 'asset', fileName: 'app.css', source: css.join('\n') });
    this.emitFile({ type: 'asset', fileName: 'index.html', source: readFileSync(here('src/app/index.html'), 'utf8') });
    this.emitFile({ type: 'asset', fileName: 'world.json', source: JSON.stringify(worldMap()) });
  },
});

/** @returns {import('rollup').Plugin} */
const budget = () => ({
  name: 'tidemark-budget',
  generateBundle(_options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const size = gzipSize(chunk.code);
      console.log(`${chunk.fileName} ${chunk.code.length} B, gzip -9 ${size} B (budget ${BUDGET_BYTES} B)`);
      if (size > BUDGET_BYTES) this.error(`${chunk.fileName} is ${size} B gzip -9, over its ${BUDGET_BYTES} B budget`);
    }
  },
});

/** @type {import('rollup').RollupOptions & { output: import('rollup').OutputOptions }} */
export default {
  input: here('src/app/main.tsx'),
  plugins: [
    nodeResolve({ browser: true }),
    typescript({
      tsconfig: here('tsconfig.json'),
      compilerOptions: { noEmit: false, allowImportingTsExtensions: false, declaration: false, sourceMap: false },
      include: [here('src/app/**/*.ts'), here('src/app/**/*.tsx')],
      exclude: [here('src/app/**/*.test.ts')],
    }),
    assets(),
  ],
  output: {
    file: here('dist/app.js'),
    format: 'es',
    generatedCode: 'es2015',
    plugins: [terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } }), budget()],
  },
};
