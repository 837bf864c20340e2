/**
 * Who is asking, and what they may do (SPEC §11): a scope on a site.
 *
 * | principal   | scopes                                   | sites                   |
 * |-------------|------------------------------------------|-------------------------|
 * | `token`     | all (API_TOKEN, the bootstrap admin key) | all                     |
 * | `open`      | all (no API_TOKEN, no proxy: loopback)   | all                     |
 * | `key`       | its scopes                               | its sites, or all       |
 * | `user`      | admin: all                               | all                     |
 * |             | viewer: stats:read                       | its sites               |
 * | `share`     | stats:read                               | the link's site         |
 * | `anonymous` | stats:read                               | the public sites        |
 */

import type { Scope } from '../keys.ts';
import type { AccessSnapshot } from './registry.ts';
import type { ApiKey, SharedLink, User } from './types.ts';

export type Principal =
  | { kind: 'token' }
  | { kind: 'open' }
  | { kind: 'key'; key: ApiKey }
  | { kind: 'user'; user: User }
  | { kind: 'share'; link: SharedLink }
  | { kind: 'anonymous' };

const EVERY: readonly Scope[] = ['stats:read', 'sites:admin', 'events:write'];
const READ: readonly Scope[] = ['stats:read'];

export function scopesOf(p: Principal): readonly Scope[] {
  switch (p.kind) {
    case 'token':
    case 'open':
      return EVERY;
    case 'key':
      return p.key.scopes;
    case 'user':
      return p.user.role === 'admin' ? EVERY : READ;
    default:
      return READ;
  }
}

/** The sites `p` may use `scope` on: `'all'`, or a list (possibly empty). */
export function sitesFor(p: Principal, scope: Scope, snapshot: AccessSnapshot): 'all' | readonly string[] {
  if (!scopesOf(p).includes(scope)) return [];
  switch (p.kind) {
    case 'token':
    case 'open':
      return 'all';
    case 'key':
      return p.key.sites.length === 0 ? 'all' : p.key.sites;
    case 'user':
      return p.user.role === 'admin' ? 'all' : p.user.sites;
    case 'share':
      return [p.link.site];
    case 'anonymous':
      return [...snapshot.sites.values()].filter((s) => s.public).map((s) => s.site);
  }
}

export function allows(p: Principal, scope: Scope, site: string, snapshot: AccessSnapshot): boolean {
  const sites = sitesFor(p, scope, snapshot);
  return sites === 'all' || sites.includes(site);
}

/** `scope` on every site (what the admin API's global parts ask for). */
export function allowsAll(p: Principal, scope: Scope, snapshot: AccessSnapshot): boolean {
  return sitesFor(p, scope, snapshot) === 'all';
}

/** How the audit log names a principal (never a secret). */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case 'key':
      return `key:${p.key.id}`;
    case 'user':
      return `user:${p.user.user}`;
    case 'share':
      return `share:${p.link.slug.slice(0, 6)}`;
    default:
      return p.kind;
  }
}
