/** `pnpm tidemark sites list|show|add|update|remove` (SPEC §11). */
import { parseArgs } from 'node:util';
import { accessCommand, CliError } from './api.ts';
import { columns, list } from './output.ts';

const SITES_USAGE = `list
show <site>
add <site> [--timezone Europe/Berlin] [--hostname <host>]… [--exclude-ip <ip|cidr>]…
      [--exclude-path <glob>]… [--exclude-country <CC>]… [--goals '<json>']
      [--umami-website-id <uuid>] [--public]
update <site> [the same options; a list given replaces the stored one] [--private]
remove <site>`;

const OPTIONS = {
  timezone: { type: 'string' },
  hostname: { type: 'string', multiple: true },
  'exclude-ip': { type: 'string', multiple: true },
  'exclude-path': { type: 'string', multiple: true },
  'exclude-country': { type: 'string', multiple: true },
  goals: { type: 'string' },
  'umami-website-id': { type: 'string' },
  public: { type: 'boolean' },
  private: { type: 'boolean' },
} as const;

interface SiteView {
  site: string;
  timezone: string;
  hostnames: string[];
  exclude: { ips: string[]; paths: string[]; countries: string[] };
  goals: unknown[];
  umamiWebsiteId: string | null;
  public: boolean;
}

function fields(values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (values.timezone !== undefined) body.timezone = values.timezone;
  if (values.hostname !== undefined) body.hostnames = values.hostname;
  const exclude: Record<string, unknown> = {};
  if (values['exclude-ip'] !== undefined) exclude.ips = values['exclude-ip'];
  if (values['exclude-path'] !== undefined) exclude.paths = values['exclude-path'];
  if (values['exclude-country'] !== undefined) exclude.countries = values['exclude-country'];
  if (Object.keys(exclude).length > 0) body.exclude = exclude;
  if (values.goals !== undefined) {
    try {
      body.goals = JSON.parse(String(values.goals));
    } catch {
      throw new CliError('--goals must be JSON, like \'[{"path":"/thanks"},{"event":"signup"}]\'');
    }
  }
  if (values['umami-website-id'] !== undefined) body.umamiWebsiteId = values['umami-website-id'] || null;
  if (values.public) body.public = true;
  if (values.private) body.public = false;
  return body;
}

function describe(s: SiteView): string {
  return columns([
    ['site', s.site],
    ['timezone', s.timezone],
    ['hostnames', list(s.hostnames, 'any')],
    ['excluded ips', list(s.exclude.ips)],
    ['excluded paths', list(s.exclude.paths)],
    ['excluded countries', list(s.exclude.countries)],
    ['goals', s.goals.length === 0 ? '–' : JSON.stringify(s.goals)],
    ['umami website id', s.umamiWebsiteId ?? '–'],
    ['public', s.public ? 'yes' : 'no'],
  ]);
}

export const sites = accessCommand(
  'sites',
  'the registered sites: list, show, add, update, remove',
  SITES_USAGE,
  async (api, args, json, usage) => {
    const [command, ...rest] = args;
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true });
    const site = positionals[0];
    const needSite = () => {
      if (!site) throw new CliError(`name the site:\n${usage}`);
      return encodeURIComponent(site);
    };
    const show = (s: SiteView) => (json ? `${JSON.stringify(s, null, 2)}\n` : describe(s));
    switch (command) {
      case 'list': {
        const { sites: all } = await api.call<{ sites: SiteView[] }>('GET', '/api/v2/sites');
        if (json) return `${JSON.stringify(all, null, 2)}\n`;
        return columns([
          ['SITE', 'TIMEZONE', 'HOSTNAMES', 'EXCLUDED (ips/paths/countries)', 'GOALS', 'PUBLIC'],
          ...all.map((s) => [
            s.site,
            s.timezone,
            list(s.hostnames, 'any'),
            `${s.exclude.ips.length}/${s.exclude.paths.length}/${s.exclude.countries.length}`,
            String(s.goals.length),
            s.public ? 'yes' : 'no',
          ]),
        ]);
      }
      case 'show':
        return show(await api.call<SiteView>('GET', `/api/v2/sites/${needSite()}`));
      case 'add':
        return show(await api.call<SiteView>('POST', '/api/v2/sites', { site: site ?? needSite(), ...fields(values) }));
      case 'update':
        return show(await api.call<SiteView>('PATCH', `/api/v2/sites/${needSite()}`, fields(values)));
      case 'remove':
        await api.call('DELETE', `/api/v2/sites/${needSite()}`);
        return `removed ${site} (its events stay stored; its shared links are revoked)\n`;
      default:
        throw new CliError(usage);
    }
  },
);
