/** `pnpm tidemark audit`: the admin actions, newest first (SPEC §11). */
import { parseArgs } from 'node:util';
import { accessCommand } from './api.ts';
import { columns } from './output.ts';

const AUDIT_USAGE = '[--limit 50] [--site <site>] [--before <ISO time>]';

interface Entry {
  at: string;
  actor: string;
  action: string;
  site: string;
  target: string;
  details: unknown;
  ip: string;
}

export const audit = accessCommand('audit', 'the admin actions, newest first', AUDIT_USAGE, async (api, args, json) => {
  const { values } = parseArgs({ args, options: { limit: { type: 'string' }, site: { type: 'string' }, before: { type: 'string' } } });
  const query = new URLSearchParams({ limit: values.limit ?? '50' });
  if (values.site) query.set('site', values.site);
  if (values.before) query.set('before', values.before);
  const { entries } = await api.call<{ entries: Entry[] }>('GET', `/api/v2/audit?${query}`);
  if (json) return `${JSON.stringify(entries, null, 2)}\n`;
  return columns([
    ['AT', 'WHO', 'ACTION', 'SITE', 'TARGET', 'FROM', 'DETAILS'],
    ...entries.map((e) => [e.at, e.actor, e.action, e.site || '–', e.target, e.ip, JSON.stringify(e.details)]),
  ]);
});
