/** `pnpm tidemark users list|add|update|remove` — who the reverse proxy signs in (SPEC §11). */
import { parseArgs } from 'node:util';
import { type Api, CliError } from './api.ts';
import { columns, list } from './output.ts';

export const USERS_USAGE = `pnpm tidemark users list
pnpm tidemark users add <name> --role viewer|admin [--site <site>]…
pnpm tidemark users update <name> [--role viewer|admin] [--site <site>]…
pnpm tidemark users remove <name>`;

interface UserView {
  user: string;
  role: string;
  sites: string[];
  createdAt: string;
}

export async function users(api: Api, args: string[], json: boolean): Promise<string> {
  const [command, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { role: { type: 'string' }, site: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  const name = positionals[0];
  const path = () => {
    if (!name) throw new CliError(USERS_USAGE);
    return `/api/v2/users/${encodeURIComponent(name)}`;
  };
  const show = (u: UserView) =>
    json ? `${JSON.stringify(u, null, 2)}\n` : `${u.user}: ${u.role}${u.role === 'viewer' ? ` of ${list(u.sites)}` : ''}\n`;
  switch (command) {
    case 'list': {
      const { users: all } = await api.call<{ users: UserView[] }>('GET', '/api/v2/users');
      if (json) return `${JSON.stringify(all, null, 2)}\n`;
      return columns([
        ['USER', 'ROLE', 'SITES', 'ADDED'],
        ...all.map((u) => [u.user, u.role, u.role === 'admin' ? 'all' : list(u.sites), u.createdAt]),
      ]);
    }
    case 'add':
      if (!name || !values.role) throw new CliError(USERS_USAGE);
      return show(
        await api.call<UserView>('POST', '/api/v2/users', { user: name, role: values.role, ...(values.site && { sites: values.site }) }),
      );
    case 'update':
      return show(
        await api.call<UserView>('PATCH', path(), {
          ...(values.role && { role: values.role }),
          ...(values.site && { sites: values.site }),
        }),
      );
    case 'remove':
      await api.call('DELETE', path());
      return `removed ${name}\n`;
    default:
      throw new CliError(USERS_USAGE);
  }
}
