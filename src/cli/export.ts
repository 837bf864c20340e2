/**
 * `pnpm tidemark export <site> --from <day|time> --to <day|time> [--format csv|parquet]
 * [--timezone Zone] [--out file] [--url api]`: a site's raw events into a file, streamed from
 * `GET /api/v2/sites/{site}/export`, with progress on stderr — rows for CSV (of the count the
 * API sends first), bytes of the whole for Parquet when the size is known.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { type Command, parseOptions } from './command.ts';
import { apiTarget, megabytes, refusal } from './http.ts';

const USAGE =
  '<site> --from <YYYY-MM-DD|ISO time> --to <YYYY-MM-DD|ISO time> [--format csv|parquet] [--timezone Zone] [--out file] [--url api]';

export type ProgressLine = (line: string, final?: boolean) => void;

/** Progress on a terminal: one line rewritten in place, at most every 200 ms. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  let last = 0;
  return (line, final = false) => {
    const now = Date.now();
    if (!final && now - last < 200) return;
    last = now;
    stream.write(stream.isTTY ? `\r${line}\u001b[K${final ? '\n' : ''}` : `${line}\n`);
  };
}

const NEWLINE = 0x0a;

/** Runs an export; resolves to the rows the API counted and the bytes written. */
export async function exportEvents(
  options: { site: string; from: string; to: string; format: string; timezone?: string; out: string; url?: string },
  env: Record<string, string | undefined>,
  progress: ProgressLine,
): Promise<{ rows: number; bytes: number }> {
  const target = apiTarget(env, options.url);
  const query = new URLSearchParams({ from: options.from, to: options.to, format: options.format });
  if (options.timezone) query.set('timezone', options.timezone);
  const res = await fetch(`${target.url}/api/v2/sites/${encodeURIComponent(options.site)}/export?${query}`, { headers: target.headers });
  if (!res.ok || res.body === null) throw new Error(await refusal(res));
  const rows = Number(res.headers.get('x-tidemark-export-rows') ?? 0);
  const total = Number(res.headers.get('content-length') ?? 0);
  const csv = options.format === 'csv';
  let bytes = 0;
  let lines = 0;
  const show = (final = false) => {
    const done = csv ? Math.max(0, lines - 1) : bytes;
    const whole = csv ? rows : total;
    const share = whole > 0 ? ` (${((100 * Math.min(done, whole)) / whole).toFixed(1)}%)` : '';
    progress(
      csv
        ? `export: ${done} of ${rows} rows${share}, ${megabytes(bytes)}`
        : `export: ${megabytes(bytes)}${total ? ` of ${megabytes(total)}` : ''}${share}, ${rows} rows`,
      final,
    );
  };
  // Written under a temporary name, renamed when complete: a cut-off export never looks whole.
  const partial = `${options.out}.partial`;
  const file = createWriteStream(partial);
  try {
    await res.body
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.length;
            if (csv) for (const byte of chunk) if (byte === NEWLINE) lines++;
            show();
            controller.enqueue(chunk);
          },
        }),
      )
      .pipeTo(Writable.toWeb(file));
  } catch (error) {
    await unlink(partial).catch(() => {});
    throw error;
  }
  await rename(partial, options.out);
  show(true);
  return { rows, bytes };
}

export const exportCommand: Command = {
  name: 'export',
  summary: "A site's raw events for a range as CSV or Parquet, streamed from the dashboard API, with progress.",
  usage: USAGE,
  async run(args, env) {
    const [site, ...rest] = args;
    if (site === undefined || site.startsWith('--')) throw new Error(`usage: pnpm tidemark export ${USAGE}`);
    const options = parseOptions(rest, { flags: [], values: ['--from', '--to', '--format', '--timezone', '--out', '--url'] });
    const from = options.get('--from');
    const to = options.get('--to');
    if (typeof from !== 'string' || typeof to !== 'string') throw new Error('--from and --to are required');
    const format = (options.get('--format') as string | undefined) ?? 'csv';
    const out = (options.get('--out') as string | undefined) ?? `${site}-${from.slice(0, 10)}-${to.slice(0, 10)}.${format}`;
    const timezone = options.get('--timezone') as string | undefined;
    const url = options.get('--url') as string | undefined;
    const { rows, bytes } = await exportEvents(
      { site, from, to, format, out, ...(timezone && { timezone }), ...(url && { url }) },
      env,
      terminalProgress(),
    );
    process.stdout.write(`${out}: ${rows} events, ${megabytes(bytes)}\n`);
    return 0;
  },
};
