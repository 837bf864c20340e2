import { join } from 'node:path';
import { mkdtempSync, createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { writePlausibleZip } from './bench/import.ts';
import { startChild, ROOT, freePort } from './bench/lib.ts';
const dir = mkdtempSync('/tmp/i21probe/m-');
const file = join(dir, 'x.zip');
await writePlausibleZip(file, 1024);
const child = startChild(process.execPath, [join(ROOT, '.tmp-child.ts')], { CLICKHOUSE_URL: 'http://127.0.0.1:8123', API_PORT: String(await freePort()), API_TOKEN: 't' });
let url = '';
while (!url) { await new Promise((r) => setTimeout(r, 300)); url = /ready (\S+)/.exec(child.output())?.[1] ?? ''; }
const res = await fetch(`${url}/api/v2/sites/m.example/imports?source=plausible`, { method: 'POST', headers: { Authorization: 'Bearer t' }, body: Readable.toWeb(createReadStream(file)) as ReadableStream, duplex: 'half' } as RequestInit);
console.log(res.status, (await res.text()).slice(0, 200));
child.child.kill('SIGUSR2');
await new Promise((r) => setTimeout(r, 5000));
console.log(child.output().slice(-300));
await child.stop();
