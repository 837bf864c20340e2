import { appendFileSync } from 'node:fs';
setInterval(() => { const m = process.memoryUsage(); appendFileSync('/tmp/i21probe/mem1g.log', `${new Date().toISOString().slice(11,19)} rss ${Math.round(m.rss/1e6)} heap ${Math.round(m.heapUsed/1e6)} total ${Math.round(m.heapTotal/1e6)} ext ${Math.round(m.external/1e6)} ab ${Math.round(m.arrayBuffers/1e6)}\n`); }, 3000).unref();
await import('./bench/import-child.ts');
