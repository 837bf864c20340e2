/**
 * The admin API's request bodies (SPEC §11), checked with zod: a bad body is a 400 whose
 * `field` is the JSON pointer of the first problem (`/exclude/ips/0`). The same schemas
 * generate the OpenAPI document's request bodies.
 */
import { parseAddressRange, ROLES, SCOPES, ValidationError } from '@tidemark/shared';
import { z } from 'zod';
import { SITE_PATTERN } from '../patterns.ts';
import { namedZone, ZONE_NAME_PATTERN, zoneName } from '../v2/zone.ts';
import { Conflict } from './common.ts';
import { checkFilters, MAX_LOCKED_FILTERS } from './filters.ts';

const HOST_LABELS = new RegExp(SITE_PATTERN);

const V4 = `(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}`;
const H = '[0-9A-Fa-f]{1,4}';
const V6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
].join('|');
/** An IPv4 or IPv6 address (hex groups; no zone, no embedded IPv4), with an optional CIDR prefix. */
export const IP_RANGE_PATTERN = `^(?:${V4}(?:/(?:3[0-2]|[12]?[0-9]))?|(?:${V6})(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$`;

export const siteName = z
  .string({ error: 'must be a host name' })
  .max(253, { error: 'must be a host name' })
  .regex(HOST_LABELS, { error: 'must be a host name (example.com)' })
  .transform((s) => s.toLowerCase());

const timezone = z
  .string({ error: 'must be an IANA time zone like Europe/Berlin' })
  .max(64)
  .refine(namedZone, { error: 'must be an IANA time zone like Europe/Berlin' })
  .transform((zone) => zoneName(zone) ?? zone) // as ClickHouse takes it: `europe/berlin` → `Europe/Berlin`
  // The document states a zone name's pattern, not the list of 438 (a fuzzer would try each one); a name
  // this server's time-zone data does not know is a 400.
  .meta({ pattern: ZONE_NAME_PATTERN })
  .describe('IANA time zone of the site’s reports (default UTC).');

const hostname = z
  .string({ error: 'must be a host name or *.host name' })
  .max(253)
  .refine((h) => HOST_LABELS.test(h.startsWith('*.') ? h.slice(2) : h), { error: 'must be a host name or *.host name' })
  .meta({ pattern: `^(?:\\*\\.)?(?:${SITE_PATTERN.slice(1, -1)})$` })
  .transform((s) => s.toLowerCase());

const ipRange = z
  .string({ error: 'must be an IP address or CIDR range' })
  .max(64)
  .refine((s) => parseAddressRange(s) !== null, { error: 'must be an IP address or CIDR range (203.0.113.7, 10.0.0.0/8, 2001:db8::/32)' })
  // The document states the grammar (a fuzzer then sends addresses); the check is Node's `isIP`.
  .meta({ pattern: IP_RANGE_PATTERN });

const pathGlob = z
  .string({ error: 'must be a path glob starting with /' })
  .max(256, { error: 'must be at most 256 characters' })
  .regex(/^\/[^\s]*$/, { error: 'must be a path glob starting with / (e.g. /admin/**)' });

const country = z
  .string({ error: 'must be an ISO 3166-1 alpha-2 code' })
  .regex(/^[A-Za-z]{2}$/, { error: 'must be an ISO 3166-1 alpha-2 code (DE, US, …)' })
  .transform((s) => s.toUpperCase());

const unique = <T extends z.ZodType<string>>(item: T, max: number, what: string, min = 0, fewer = `must have at least ${min} ${what}`) =>
  z
    .array(item, { error: min > 0 ? fewer : `must be a list of ${what}` })
    .min(min, { error: fewer })
    .max(max, { error: `must have at most ${max} ${what}` })
    .transform((list) => [...new Set(list as string[])]);

const goalName = z.string({ error: 'must be a string' }).min(1).max(120, { error: 'must be 1 to 120 characters' });
const pageviewGoal = z.strictObject({ name: goalName.optional(), path: pathGlob });
const eventGoal = z.strictObject({
  name: goalName.optional(),
  event: z
    .string({ error: 'must be an event name' })
    .regex(/^[A-Za-z0-9 _.:-]{1,64}$/, { error: 'must be an event name: 1-64 characters of [A-Za-z0-9 _.:-]' }),
  props: z
    .record(z.string().min(1).max(64), z.string({ error: 'must be a string' }).max(256))
    .refine((p) => Object.keys(p).length <= 10, { error: 'must have at most 10 props' })
    .optional(),
});
export const goal = z.union([pageviewGoal, eventGoal], { error: 'must be { name?, path } or { name?, event, props? }' });

const goals = z
  .array(goal, { error: 'must be a list of goals' })
  .max(100, { error: 'must have at most 100 goals' })
  .describe('Goals; their names (default `Visit <path>` or the event) must differ, else 409.')
  .transform((list) => list.map((g) => ({ ...g, name: g.name ?? ('path' in g ? `Visit ${g.path}` : g.event) })));

/**
 * Two goals of one site may not share a name (reports name them): a `Conflict` (409) naming
 * the second, since JSON Schema cannot say it (the body is otherwise valid).
 */
export function checkGoalNames(goals: readonly { name: string }[] | undefined): void {
  const seen = new Set<string>();
  goals?.forEach((g, i) => {
    if (seen.has(g.name)) throw new Conflict(`/goals/${i}/name: ${g.name} is the name of another goal`);
    seen.add(g.name);
  });
}

const exclude = z.strictObject({
  ips: unique(ipRange, 1000, 'addresses').optional(),
  paths: unique(pathGlob, 200, 'paths').optional(),
  countries: unique(country, 250, 'countries').optional(),
});

const siteFields = {
  timezone: timezone.optional(),
  hostnames: unique(hostname, 100, 'host names')
    .optional()
    .describe('Page hosts accepted besides the site and its subdomains; empty: any.'),
  exclude: exclude.optional().describe('Visitors whose events are dropped before they are queued.'),
  goals: goals.optional(),
  umamiWebsiteId: z
    .uuid({ error: 'must be a UUID' })
    .transform((s) => s.toLowerCase())
    .nullable()
    .optional(),
  public: z.boolean({ error: 'must be true or false' }).optional().describe('Anyone may read its stats without signing in.'),
};

/**
 * A user's name, as the proxy sends it (lower-cased): no white space (JavaScript's and Python's
 * `\s` differ by these four classes, named so the document means one thing to both), commas or semicolons.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the separators Python's \s holds and JavaScript's lacks
export const USER_NAME = /^[^\s,;\x1c-\x1f\x85\ufeff]+$/;
const userName = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'is required' })
  .max(254)
  .regex(USER_NAME, { error: 'must be the name the proxy sends (no spaces)' })
  .transform((s) => s.toLowerCase());

export const BODY = {
  siteCreate: z.strictObject({ site: siteName, ...siteFields }),
  siteUpdate: z.strictObject({ site: siteName.optional().describe('Must be the site of the path, if given.'), ...siteFields }),
  keyCreate: z.strictObject({
    name: z.string({ error: 'must be a string' }).min(1, { error: 'is required' }).max(100, { error: 'must be at most 100 characters' }),
    scopes: z
      .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }), { error: 'must be a list of scopes' })
      .min(1, { error: 'must name at least one scope' })
      .max(3)
      .transform((s) => [...new Set(s)]),
    sites: unique(siteName, 1000, 'sites').optional().describe('The sites the key may act on; absent or empty: every site.'),
  }),
  linkCreate: z.strictObject({
    name: z.string({ error: 'must be a string' }).max(100, { error: 'must be at most 100 characters' }).optional(),
    password: z
      .string({ error: 'must be a string' })
      .min(8, { error: 'must be at least 8 characters' })
      .max(200, { error: 'must be at most 200 characters' })
      .optional(),
    filters: z
      .array(z.unknown(), { error: 'must be a list of filters' })
      .optional()
      // Checked by `checkFilters` (the Query API's parser); the document describes each filter (`queryFilter`).
      .meta({ items: { $ref: '#/components/schemas/queryFilter' }, maxItems: MAX_LOCKED_FILTERS })
      .describe('Query API filters held for every query.'),
    frameAncestors: unique(
      z
        .string({ error: 'must be an origin' })
        .regex(/^(https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?|'self')$/i, { error: "must be an origin like https://example.com, or 'self'" }),
      20,
      'origins',
    )
      .optional()
      .describe('Origins that may show the link in a frame (CSP frame-ancestors); absent: none.'),
  }),
  userCreate: z.discriminatedUnion(
    'role',
    [
      z.strictObject({ user: userName, role: z.literal('admin'), sites: unique(siteName, 1000, 'sites').optional() }),
      z.strictObject({
        user: userName,
        role: z.literal('viewer'),
        sites: unique(siteName, 1000, 'sites', 1, 'a viewer needs at least one site').describe('The sites they may read.'),
      }),
    ],
    { error: `must be one of ${ROLES.join(', ')}` },
  ),
  userUpdate: z.strictObject({
    role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
    sites: unique(siteName, 1000, 'sites', 1, 'a viewer needs at least one site')
      .optional()
      .describe('For viewers: the sites they may read (an admin keeps none). Making an admin a viewer needs them, else 409.'),
  }),
};

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Parses a body against its schema; the first problem is a `ValidationError` with its JSON pointer. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const [issue] = result.error.issues;
    const path = [...(issue?.path ?? [])];
    if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
    const at = pointer(path);
    const message = issue?.code === 'unrecognized_keys' ? 'is not a known field' : (issue?.message ?? 'is invalid');
    throw new ValidationError(`${at || 'body'}: ${message}`, at);
  }
  const data = result.data as z.output<S>;
  if (data && typeof data === 'object' && 'filters' in data && data.filters !== undefined) checkFilters(data.filters, '/filters');
  return data;
}
