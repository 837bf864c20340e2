/** `pnpm --filter @tidemark/dashboard-ui build`: dist/ from the sources, sizes printed, budget enforced. */
import { buildUi, writeBuild } from './build.ts';

const files = await buildUi();
for (const f of files) console.log(`${f.fileName.padEnd(12)} ${String(f.source.length).padStart(7)} B, gzip -9 ${f.gzipBytes} B`);
await writeBuild(files);
