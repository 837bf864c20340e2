/**
 * `pnpm tidemark imports <site> [--delete <id>] [--url api]`: a site's imports (id, source,
 * status, days, rows), or drops one (`DELETE /api/v2/sites/{site}/imports/{id}`).
 */
import { type Command, parseOptions } from './command.ts';
import { apiTarget, refusal } from './http.ts';

const USAGE = '<site> [--delete <id>] [--url api]';

interface Listed {
  id: string;
  source: string;
  status: string;
  dateFrom: string;
  dateTo: string;
  rows: number;
  file: string;
  error: string;
}

/** One line per import, or a sentence when there is none. */
export function importLines(imports: Listed[]): string[] {
  if (imports.length === 0) return ['no imports'];
  return imports.map(
    (i) =>
      `${i.id}  ${i.source.padEnd(9)} ${i.status.padEnd(9)} ${i.dateFrom || '…'} to ${i.dateTo || '…'}  ${i.rows} rows  ${i.file}${i.error ? `  (${i.error})` : ''}`,
  );
}

export async function listImports(site: string, env: Record<string, string | undefined>, url?: string): Promise<Listed[]> {
  const target = apiTarget(env, url);
  const res = await fetch(`${target.url}/api/v2/sites/${encodeURIComponent(site)}/imports`, { headers: target.headers });
  if (!res.ok) throw new Error(await refusal(res));
  return ((await res.json()) as { imports: Listed[] }).imports;
}

export async function deleteImport(site: string, id: string, env: Record<string, string | undefined>, url?: string): Promise<void> {
  const target = apiTarget(env, url);
  const res = await fetch(`${target.url}/api/v2/sites/${encodeURIComponent(site)}/imports/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: target.headers,
  });
  if (!res.ok) throw new Error(await refusal(res));
}

export const importsCommand: Command = {
  name: 'imports',
  summary: "A site's imports, or --delete one (its rows are dropped).",
  usage: USAGE,
  async run(args, env) {
    const [site, ...rest] = args;
    if (site === undefined || site.startsWith('--')) throw new Error(`usage: pnpm tidemark imports ${USAGE}`);
    const options = parseOptions(rest, { flags: [], values: ['--delete', '--url'] });
    const url = options.get('--url') as string | undefined;
    const id = options.get('--delete') as string | undefined;
    if (id !== undefined) {
      await deleteImport(site, id, env, url);
      process.stdout.write(`deleted import ${id}\n`);
      return 0;
    }
    process.stdout.write(`${importLines(await listImports(site, env, url)).join('\n')}\n`);
    return 0;
  },
};
