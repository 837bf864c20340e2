/** `pnpm tidemark keys list|create|revoke` (SPEC §11). */
import { parseArgs } from 'node:util';
import { accessCommand, CliError } from './api.ts';
import { columns, list } from './output.ts';

const KEYS_USAGE = `list
create --name <name> --scope stats:read|sites:admin|events:write [--scope …] [--site <site>]…
revoke <id>`;

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  sites: string[];
  createdAt: string;
  lastUsedAt: string | null;
  key?: string;
}

export const keys = accessCommand('keys', 'API keys: list, create (shown once), revoke', KEYS_USAGE, async (api, args, json, usage) => {
  const [command, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { name: { type: 'string' }, scope: { type: 'string', multiple: true }, site: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  switch (command) {
    case 'list': {
      const { keys: all } = await api.call<{ keys: KeyView[] }>('GET', '/api/v2/keys');
      if (json) return `${JSON.stringify(all, null, 2)}\n`;
      return columns([
        ['ID', 'NAME', 'KEY', 'SCOPES', 'SITES', 'CREATED', 'LAST USED'],
        ...all.map((k) => [k.id, k.name, `${k.prefix}…`, list(k.scopes), list(k.sites, 'all'), k.createdAt, k.lastUsedAt ?? 'never']),
      ]);
    }
    case 'create': {
      if (!values.name || !values.scope) throw new CliError(`give --name and at least one --scope:\n${usage}`);
      const made = await api.call<KeyView>('POST', '/api/v2/keys', { name: values.name, scopes: values.scope, sites: values.site ?? [] });
      if (json) return `${JSON.stringify(made, null, 2)}\n`;
      return `${made.key}\n\nThe key above is shown this once (stored only as a hash): ${made.id}, ${list(made.scopes)} on ${list(made.sites, 'every site')}.\n`;
    }
    case 'revoke': {
      const id = positionals[0];
      if (!id) throw new CliError(usage);
      await api.call('DELETE', `/api/v2/keys/${encodeURIComponent(id)}`);
      return `revoked ${id}: every instance refuses it within 5 s\n`;
    }
    default:
      throw new CliError(usage);
  }
});
