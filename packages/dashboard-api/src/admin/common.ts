/** What every admin route shares: the JSON body, the audit record, the views of records. */
import { type AccessRegistry, type ApiKey, actorOf, type SharedLink, type Site, type User, ValidationError } from '@tidemark/shared';
import type { ApiContext } from '../auth/context.ts';

export interface AdminContext {
  registry: AccessRegistry;
  now: () => number;
  /** Whether the request reached us over HTTPS (for the links' absolute URLs). */
  https: (c: ApiContext) => boolean;
}

/** The request's JSON body: 415 for another content type, 400 for malformed JSON. */
export async function readJson(c: ApiContext): Promise<unknown> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedType();
  try {
    return await c.req.json();
  } catch {
    throw new ValidationError('body: must be valid JSON', '');
  }
}

export class UnsupportedType extends Error {
  override readonly name = 'UnsupportedType';
  constructor() {
    super('Content-Type must be application/json');
  }
}

export class Conflict extends Error {
  override readonly name = 'Conflict';
}

export class NotFound extends Error {
  override readonly name = 'NotFound';
}

/** Records an admin action (who, what, when); never a key or password. */
export async function audit(
  c: ApiContext,
  { registry, now }: AdminContext,
  action: string,
  entry: { site?: string; target: string; details?: Record<string, unknown> },
): Promise<void> {
  await registry.store.audit({
    at: new Date(now()).toISOString(),
    actor: actorOf(c.var.auth.principal),
    action,
    site: entry.site ?? '',
    target: entry.target,
    details: entry.details ?? {},
    ip: c.var.auth.ip,
  });
}

export function siteView(s: Site) {
  const { version: _, ...view } = s;
  return view;
}

export function keyView(k: ApiKey, lastUsedAt: string | null) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    sites: k.sites,
    createdAt: k.createdAt,
    createdBy: k.createdBy,
    lastUsedAt,
  };
}

export function linkView(l: SharedLink, origin: string) {
  return {
    slug: l.slug,
    url: `${origin}/share/${l.slug}`,
    site: l.site,
    name: l.name,
    hasPassword: l.passwordHash !== '',
    filters: l.filters,
    frameAncestors: l.frameAncestors,
    createdAt: l.createdAt,
    createdBy: l.createdBy,
  };
}

export function userView(u: User) {
  const { version: _, ...view } = u;
  return view;
}

/** The origin browsers reach this API at (for shared links' URLs). */
export function originOf(c: ApiContext, https: boolean): string {
  const url = new URL(c.req.url);
  return `${https ? 'https' : url.protocol.slice(0, -1)}://${c.req.header('host') ?? url.host}`;
}
