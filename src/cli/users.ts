/** `pnpm tidemark users list|add|update|remove` — who the reverse proxy signs in (SPEC §11). */
import { parseArgs } from 'node:util';
import { accessCommand, CliError } from './api.ts';
import { columns, list } from './output.ts';

const USERS_USAGE = `list
add <name> --role viewer|admin [--site <site>]…
update <name> [--role viewer|admin] [--site <site>]…
remove <name>`;

interface UserView {
  user: string;
  role: string;
  sites: string[];
  createdAt: string;
}

export const users = accessCommand(
  'users',
  'who the reverse proxy signs in: list, add, update, remove',
  USERS_USAGE,
  async (api, args, json, usage) => {
    const [command, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      options: { role: { type: 'string' }, site: { type: 'string', multiple: true } },
      allowPositionals: true,
    });
    const name = positionals[0];
    const path = () => {
      if (!name) throw new CliError(usage);
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
        if (!name || !values.role) throw new CliError(usage);
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
        throw new CliError(usage);
    }
  },
);
