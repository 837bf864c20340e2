/**
 * Import in bounded memory (SPEC §13): a Plausible export zip of `megabytes` (an imported_pages
 * file of one row per page and day, stored as Plausible writes its zips, plus the visitor totals)
 * is written to disk as it is generated, then posted to a Tidemark started in a child process
 * (`bench/import-child.ts`) — embedded (the ClickHouse engine in that same process) or with a
 * ClickHouse server. Figures: the child's peak resident memory idle and after the import, rows
 * and MB/s. Both processes share the machine with whatever else runs: speeds are noisy.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';
import { type Child, type Figures, freePort, progress, ROOT, round, startChild } from './lib.ts';

/** Writes a stored zip of a Plausible export of about `megabytes` MB; resolves to its page rows. */
export async function writePlausibleZip(path: string, megabytes: number): Promise<number> {
  const out = createWriteStream(path);
  let failed: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failed = error;
    else out.write(chunk);
  });
  const visitors = new ZipPassThrough('imported_visitors_20150101_20241231.csv');
  zip.add(visitors);
  const days: string[] = [];
  for (let d = Date.UTC(2015, 0, 1); d <= Date.UTC(2024, 11, 31); d += 86_400_000) days.push(new Date(d).toISOString().slice(0, 10));
  visitors.push(Buffer.from('date,visitors,pageviews,bounces,visits,visit_duration\n'));
  visitors.push(
    Buffer.from(
      days.map((day, i) => `${day},${100 + (i % 50)},${300 + (i % 90)},${40 + (i % 9)},${120 + (i % 60)},${9000 + i}\n`).join(''),
    ),
    true,
  );
  const pages = new ZipPassThrough('imported_pages_20150101_20241231.csv');
  zip.add(pages);
  pages.push(
    Buffer.from(
      'date,hostname,page,visits,visitors,pageviews,total_scroll_depth,total_scroll_depth_visits,total_time_on_page,total_time_on_page_visits\n',
    ),
  );
  const target = megabytes * 1024 * 1024;
  let written = 0;
  let rows = 0;
  while (written < target) {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++, rows++) {
      lines.push(
        `${days[rows % days.length]},bench.example,"/blog/${Math.floor(rows / days.length)}/a-longer-path-like-real-ones",${rows % 40},${rows % 30},${rows % 90},${rows % 700},${rows % 7},${rows % 900},${rows % 9}`,
      );
    }
    const chunk = Buffer.from(`${lines.join('\n')}\n`);
    written += chunk.length;
    pages.push(chunk, written >= target);
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  zip.end();
  if (failed) throw failed;
  out.end();
  await once(out, 'close');
  return rows + days.length;
}

const BENCH_TOKEN = 'bench-import-token';

interface ChildReport {
  idleRssMb: number;
  peakRssMb: number;
  status: number;
  rows: number;
  seconds: number;
}

/** Starts Tidemark in a child, posts the export from this process as a stream, and reads the child's memory. */
async function importInChild(file: string, env: Record<string, string>): Promise<ChildReport> {
  const port = await freePort();
  // Node itself runs the TypeScript (a wrapper such as tsx would not pass SIGUSR2 on).
  const child = startChild(process.execPath, [join(ROOT, 'bench', 'import-child.ts')], {
    ...env,
    API_PORT: String(port),
    API_TOKEN: BENCH_TOKEN,
  });
  try {
    const ready = await waitForLine(child, /^ready (\S+) (\d+)$/);
    const [, apiUrl, idle] = ready;
    progress(`import: posting to ${apiUrl}`);
    const started = performance.now();
    const res = await fetch(`${apiUrl}/api/v2/sites/bench-import.example/imports?source=plausible&file=export.zip`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${BENCH_TOKEN}`, 'Content-Type': 'application/zip' },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const answer = (await res.json()) as { rows?: number; error?: string };
    const seconds = (performance.now() - started) / 1000;
    if (res.status !== 201) progress(`import answered ${res.status}: ${answer.error}`);
    progress(`import: answered ${res.status} in ${Math.round(seconds)} s`);
    child.child.kill('SIGUSR2');
    const [, report] = await waitForLine(child, /^(\{"peakRssMb".*)$/);
    return {
      idleRssMb: Number(idle),
      peakRssMb: (JSON.parse(report as string) as { peakRssMb: number }).peakRssMb,
      status: res.status,
      rows: answer.rows ?? 0,
      seconds,
    };
  } finally {
    await child.stop();
  }
}

async function waitForLine(child: Child, pattern: RegExp, timeoutMs = 600_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of child.output().split('\n')) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    if (child.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`import child: no line matching ${pattern}:\n${child.output()}`);
}

export async function benchImport({ megabytes, clickhouseUrl }: { megabytes: number; clickhouseUrl?: string }): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-import-'));
  try {
    const file = join(dir, 'plausible-export.zip');
    progress(`import: writing a ${megabytes} MB Plausible export`);
    const rows = await writePlausibleZip(file, megabytes);
    const mb = statSync(file).size / 1024 / 1024;
    const figures: Figures = { 'export size (MB)': round(mb), 'export rows': rows };
    // The embedded child must not inherit a CLICKHOUSE_URL from this process's environment.
    const modes: [string, Record<string, string>][] = [['embedded', { DATA_DIR: join(dir, 'data'), CLICKHOUSE_URL: '' }]];
    if (clickhouseUrl) modes.push(['server', { CLICKHOUSE_URL: clickhouseUrl }]);
    for (const [mode, env] of modes) {
      progress(`import: ${mode}`);
      const report = await importInChild(file, env);
      if (report.status !== 201 || report.rows !== rows)
        throw new Error(`import ${mode}: status ${report.status}, ${report.rows} of ${rows} rows`);
      figures[`${mode}: process RSS idle (MB)`] = report.idleRssMb;
      figures[`${mode}: process peak RSS (MB)`] = report.peakRssMb;
      figures[`${mode}: seconds`] = round(report.seconds);
      figures[`${mode}: MB/s`] = round(mb / report.seconds);
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `tsx bench/import.ts [megabytes]`: the benchmark alone, against $CLICKHOUSE_URL too when set. */
if (process.argv[1]?.endsWith('import.ts')) {
  const megabytes = Number(process.argv[2] ?? 100);
  benchImport({ megabytes, ...(process.env.CLICKHOUSE_URL && { clickhouseUrl: process.env.CLICKHOUSE_URL }) }).then(
    (f) => console.log(f),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
