/**
 * The admin API's and sign-in's answers (SPEC §11), as zod schemas: `/openapi.json` is generated
 * from them, and the integration tests check real answers against that document.
 */
import { ROLES, SCOPES } from '@tidemark/shared';
import { z } from 'zod';
import { BODY, goal } from './schemas.ts';

const time = z.string().describe('ISO 8601, UTC');
const scopes = z.array(z.enum(SCOPES));

const site = z.object({
  site: z.string(),
  timezone: z.string(),
  hostnames: z.array(z.string()).describe('Page hosts accepted besides the site and its subdomains; empty: any host.'),
  exclude: z.object({ ips: z.array(z.string()), paths: z.array(z.string()), countries: z.array(z.string()) }),
  goals: z.array(goal.and(z.object({ name: z.string() }))),
  umamiWebsiteId: z.string().nullable(),
  public: z.boolean(),
  createdAt: time,
  updatedAt: time,
});

const key = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The key’s first 12 characters, to tell keys apart.'),
  scopes,
  sites: z.array(z.string()).describe('Empty: every site.'),
  createdAt: time,
  createdBy: z.string(),
  lastUsedAt: time.nullable(),
});

const link = z.object({
  slug: z.string(),
  url: z.string().describe('The link to hand out: /share/<slug> on this API’s origin.'),
  site: z.string(),
  name: z.string(),
  hasPassword: z.boolean(),
  filters: z.array(z.unknown()).describe('Query API filters held for every query through the link.'),
  frameAncestors: z.array(z.string()),
  createdAt: time,
  createdBy: z.string(),
});

const user = z.object({ user: z.string(), role: z.enum(ROLES), sites: z.array(z.string()), createdAt: time, createdBy: z.string() });

const auditEntry = z.object({
  at: time,
  actor: z.string().describe('token, key:<id>, user:<name>, open'),
  action: z
    .string()
    .describe(
      'site.create, site.update, site.delete, site.export, import.create, import.delete, key.create, key.revoke, link.create, link.revoke, user.create, …',
    ),
  site: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
  ip: z.string(),
});

export const ADMIN_ANSWER = {
  site,
  sites: z.object({ sites: z.array(site) }),
  key,
  keys: z.object({ keys: z.array(key) }),
  keyCreated: key.extend({ key: z.string().describe('The key itself: shown in this answer only.') }),
  link,
  links: z.object({ links: z.array(link) }),
  user,
  users: z.object({ users: z.array(user) }),
  audit: z.object({ entries: z.array(auditEntry) }),
  session: z.object({
    kind: z.enum(['token', 'open', 'key', 'user', 'share', 'anonymous']),
    via: z.enum(['bearer', 'proxy', 'share', 'session', 'none']),
    scopes,
    sites: z.record(z.string(), z.union([z.literal('all'), z.array(z.string())])).describe('Per scope: the sites it reaches.'),
    csrf: z.string().nullable().describe('Send it in X-CSRF-Token with every change made with a cookie session or through the proxy.'),
    id: z.string().optional(),
    name: z.string().optional(),
    prefix: z.string().optional(),
    role: z.enum(ROLES).optional(),
    site: z.string().optional(),
    filters: z.array(z.unknown()).optional(),
  }),
  unlock: z.object({ site: z.string(), proof: z.string().describe('Send it in X-Tidemark-Share.'), expiresAt: time }),
};

export const ADMIN_BODY = {
  ...BODY,
  signIn: z.object({ key: z.string().min(1).max(512).describe('An API key or API_TOKEN.') }),
  unlock: z.object({ password: z.string() }),
};
