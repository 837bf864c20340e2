/** `node src/node/ensure.ts`: build dist/ only when it is missing or older than the sources (`pnpm start`). */
import { ensureUiBuilt } from './build.ts';

await ensureUiBuilt();
