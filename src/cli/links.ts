/** `pnpm tidemark links list|create|revoke` — shared links of a site (SPEC §11). */
import { parseArgs } from 'node:util';
import { accessCommand, CliError } from './api.ts';
import { columns, list } from './output.ts';

const LINKS_USAGE = `list <site>
create <site> [--name <name>] [--password-stdin] [--frame-ancestor <origin>]… [--filters '<json>']
revoke <site> <slug>`;

interface LinkView {
  slug: string;
  url: string;
  name: string;
  hasPassword: boolean;
  frameAncestors: string[];
  filters: unknown[];
  createdAt: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export const links = accessCommand(
  'links',
  'the shared links of a site: list, create, revoke',
  LINKS_USAGE,
  async (api, args, json, usage) => {
    const [command, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'frame-ancestor': { type: 'string', multiple: true },
        filters: { type: 'string' },
      },
      allowPositionals: true,
    });
    const [site, slug] = positionals;
    if (!site) throw new CliError(usage);
    const base = `/api/v2/sites/${encodeURIComponent(site)}/shared-links`;
    switch (command) {
      case 'list': {
        const { links: all } = await api.call<{ links: LinkView[] }>('GET', base);
        if (json) return `${JSON.stringify(all, null, 2)}\n`;
        return columns([
          ['SLUG', 'NAME', 'PASSWORD', 'FRAMED BY', 'FILTERS', 'URL'],
          ...all.map((l) => [
            l.slug,
            l.name || '–',
            l.hasPassword ? 'yes' : 'no',
            list(l.frameAncestors, 'nobody'),
            String(l.filters.length),
            l.url,
          ]),
        ]);
      }
      case 'create': {
        const body: Record<string, unknown> = {};
        if (values.name) body.name = values.name;
        // Read from stdin, never an argument: arguments show in `ps` and shell history.
        if (values['password-stdin']) body.password = await readStdin();
        if (values['frame-ancestor']) body.frameAncestors = values['frame-ancestor'];
        if (values.filters) {
          try {
            body.filters = JSON.parse(values.filters);
          } catch {
            throw new CliError('--filters must be JSON, like \'[["is","country",["DE"]]]\'');
          }
        }
        const made = await api.call<LinkView>('POST', base, body);
        return json ? `${JSON.stringify(made, null, 2)}\n` : `${made.url}\n`;
      }
      case 'revoke':
        if (!slug) throw new CliError(usage);
        await api.call('DELETE', `${base}/${encodeURIComponent(slug)}`);
        return `revoked ${slug}\n`;
      default:
        throw new CliError(usage);
    }
  },
);
