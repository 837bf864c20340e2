/**
 * `pnpm tidemark import <site> --source plausible|umami <file> [--timezone Zone] [--url api]`:
 * posts an export to `POST /api/v2/sites/{site}/imports` as a stream, showing the upload's
 * progress, then the import (or the file and line of the first problem).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { type Command, parseOptions } from './command.ts';
import { type ProgressLine, terminalProgress } from './export.ts';
import { apiTarget, megabytes, refusal } from './http.ts';

const USAGE = '<site> --source plausible|umami <file> [--timezone Zone] [--url api]';

export interface ImportAnswer {
  id: string;
  status: string;
  rows: number;
  dateFrom: string;
  dateTo: string;
  tables: string[];
}

export async function importFile(
  options: { site: string; source: string; file: string; timezone?: string; url?: string },
  env: Record<string, string | undefined>,
  progress: ProgressLine,
): Promise<ImportAnswer> {
  const target = apiTarget(env, options.url);
  const { size } = await stat(options.file);
  const query = new URLSearchParams({ source: options.source, file: basename(options.file) });
  if (options.timezone) query.set('timezone', options.timezone);
  let sent = 0;
  const body = createReadStream(options.file);
  body.on('data', (chunk) => {
    sent += chunk.length;
    progress(sent < size ? `import: sent ${megabytes(sent)} of ${megabytes(size)}` : `import: sent ${megabytes(size)}, importing…`);
  });
  const res = await fetch(`${target.url}/api/v2/sites/${encodeURIComponent(options.site)}/imports?${query}`, {
    method: 'POST',
    headers: { ...target.headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    body: Readable.toWeb(body) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!res.ok) throw new Error(await refusal(res));
  const answer = (await res.json()) as ImportAnswer;
  progress(`import: ${answer.rows} rows, ${answer.dateFrom} to ${answer.dateTo}`, true);
  return answer;
}

export const importCommand: Command = {
  name: 'import',
  summary: "Imports Plausible's CSV export (zip) or Umami's data export into a site, all or nothing.",
  usage: USAGE,
  async run(args, env) {
    const [site, ...rest] = args;
    if (site === undefined || site.startsWith('--')) throw new Error(`usage: pnpm tidemark import ${USAGE}`);
    const file = rest.find((arg, i) => !arg.startsWith('--') && !rest[i - 1]?.startsWith('--'));
    if (file === undefined) throw new Error(`usage: pnpm tidemark import ${USAGE}`);
    const options = parseOptions(
      rest.filter((arg) => arg !== file),
      { flags: [], values: ['--source', '--timezone', '--url'] },
    );
    const source = options.get('--source');
    if (source !== 'plausible' && source !== 'umami') throw new Error('--source must be plausible or umami');
    const timezone = options.get('--timezone') as string | undefined;
    const url = options.get('--url') as string | undefined;
    const answer = await importFile({ site, source, file, ...(timezone && { timezone }), ...(url && { url }) }, env, terminalProgress());
    process.stdout.write(`import ${answer.id}: ${answer.status}, ${answer.rows} rows (${answer.tables.join(', ')})\n`);
    return 0;
  },
};
