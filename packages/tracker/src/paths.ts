// Where the built trackers live, for the collector to serve (`pnpm --filter @tidemark/tracker build`).
import { fileURLToPath } from 'node:url';

/** Absolute path of dist/script.js (core build). */
export const scriptPath = fileURLToPath(new URL('../dist/script.js', import.meta.url));

/** Absolute path of dist/script.full.js (core + hash routing, outbound links, downloads). */
export const fullScriptPath = fileURLToPath(new URL('../dist/script.full.js', import.meta.url));
