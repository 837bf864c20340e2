/**
 * Umami's `POST /api/send` (SPEC §13): `{ type: "event", payload: { website, hostname, url,
 * referrer, title, name, data, screen, language } }` from Umami's tracker or `@umami/node`, and
 * `type: "identify"`, accepted and not stored. `website` is an Umami website id, mapped to a site
 * through the site's settings (`umamiWebsiteId`); an unknown id is refused (403). A `name` makes
 * a custom event, none a pageview; `data` becomes props (nested objects flattened to dotted keys,
 * arrays kept as their JSON text); `url` may be a path (resolved on `hostname`, else on the site);
 * `screen` (`1920x1080`) gives the screen width. `title`, `language`, `tag` and `id` are not kept.
 * With an API key holding `events:write` (SPEC §11), `ip`, `userAgent` and `timestamp` (Unix
 * seconds) are the visitor's, as Tidemark's own `ip`, `userAgent` and `timestamp`; without one
 * they are ignored, as Tidemark's browsers cannot set them.
 */
import {
  type AccessRegistry,
  checkEvent,
  ENGAGEMENT,
  PAGEVIEW,
  type ParsedEvent,
  type ValidateOptions,
  ValidationError,
} from '@tidemark/shared';

/** Umami website id → site, backed by the sites registry (`umamiWebsiteId` of a site's settings). */
export interface UmamiWebsites {
  /** The site whose `umamiWebsiteId` is `websiteId` (lower-case UUID), or `null`. */
  siteOf(websiteId: string): string | null | Promise<string | null>;
}

/** No registry: no website id is known. */
export const NO_UMAMI_WEBSITES: UmamiWebsites = { siteOf: () => null };

/** The sites registry's website ids (stored lower-case), as it holds them now: a change reaches the collector within seconds. */
export function registryUmamiWebsites(access: AccessRegistry): UmamiWebsites {
  return { siteOf: (websiteId) => access.current().umamiSites.get(websiteId.toLowerCase()) ?? null };
}

/** The website id is valid but no site has it: answered 403. */
export class UnknownWebsiteError extends Error {
  override readonly name = 'UnknownWebsiteError';
  readonly field = 'payload.website';
}

export type UmamiBody = { type: 'event'; parsed: ParsedEvent } | { type: 'identify'; site: string };

type Json = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCREEN = /^(\d{1,5})x(\d{1,5})$/;
const TYPES = ['event', 'identify'];
/** Deepest nesting of `data` that is flattened (Umami's own limit is about the same). */
const MAX_DEPTH = 5;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, field);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(field, 'must be a string');
  return value;
}

/** `data` → flat props: `{ a: { b: 1 } }` → `{ 'a.b': 1 }`, arrays as JSON text, nulls left out. */
function flatten(value: Json, prefix: string, out: Json, depth: number): Json {
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    const name = prefix + key;
    if (isObject(v) && depth < MAX_DEPTH) flatten(v, `${name}.`, out, depth + 1);
    else if (isObject(v) || Array.isArray(v)) out[name] = JSON.stringify(v);
    else out[name] = v;
  }
  return out;
}

/** The page URL: absolute as given, or a path on `hostname` (else on the site). */
function pageUrl(url: string | undefined, hostname: string | undefined, site: string): string {
  const base = `https://${hostname ?? site}`;
  if (url === undefined) return `${base}/`;
  if (/^https?:\/\//i.test(url)) return url;
  return `${base}${url.startsWith('/') ? '' : '/'}${url}`;
}

/** A path-only referrer (Umami's tracker sends full URLs; others may not) resolved on the page's origin. */
function referrerUrl(referrer: string | undefined, page: string): string | undefined {
  if (referrer === undefined || /^[a-z][a-z0-9+.-]*:/i.test(referrer)) return referrer;
  const resolved = URL.parse(referrer, page);
  return resolved ? resolved.href : referrer;
}

/** The server-side fields Umami carries in its payload, as Tidemark's (read only with a key). */
function serverFields(payload: Json, tidemark: Json): void {
  if (payload.ip !== undefined) tidemark.ip = payload.ip;
  if (payload.userAgent !== undefined) tidemark.userAgent = payload.userAgent;
  if (payload.timestamp !== undefined) {
    const seconds = payload.timestamp;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) fail('payload.timestamp', 'must be Unix seconds');
    tidemark.timestamp = new Date(seconds * 1000).toISOString();
  }
}

/** Renames Tidemark's fields in a validation error to the payload's (`url` → `payload.url`). */
const PAYLOAD_FIELD: Record<string, string> = {
  site: 'payload.website',
  name: 'payload.name',
  url: 'payload.url',
  referrer: 'payload.referrer',
  props: 'payload.data',
  screenWidth: 'payload.screen',
  timestamp: 'payload.timestamp',
  ip: 'payload.ip',
  userAgent: 'payload.userAgent',
};

function renamed(error: ValidationError): ValidationError {
  const field = error.field ?? '';
  const dot = field.indexOf('.');
  const head = dot < 0 ? field : field.slice(0, dot);
  const mapped = PAYLOAD_FIELD[head];
  if (mapped === undefined) return error;
  const name = mapped + (dot < 0 ? '' : field.slice(dot));
  return new ValidationError(error.message.startsWith(`${field}:`) ? name + error.message.slice(field.length) : error.message, name);
}

/**
 * Parses and validates an Umami body. Throws `ValidationError` (400) naming the payload's field,
 * or `UnknownWebsiteError` (403) when no site has the website id.
 */
export async function parseUmamiBody(body: string, websites: UmamiWebsites, options: ValidateOptions = {}): Promise<UmamiBody> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('body: must be valid JSON', 'body');
  }
  if (!isObject(json)) fail('body', 'must be an object { type, payload }');
  const { type, payload } = json;
  if (typeof type !== 'string' || !TYPES.includes(type)) fail('type', `must be one of ${TYPES.join(', ')}`);
  if (!isObject(payload)) fail('payload', 'must be an object');
  const website = payload.website;
  if (typeof website !== 'string' || !UUID.test(website)) fail('payload.website', 'must be an Umami website id (a UUID)');
  const site = await websites.siteOf(website.toLowerCase());
  if (site === null) throw new UnknownWebsiteError(`payload.website: no site has the Umami website id ${website} in its settings`);
  if (type === 'identify') return { type, site };

  const name = optionalString(payload.name, 'payload.name');
  if (name === PAGEVIEW || name === ENGAGEMENT) fail('payload.name', `${name} is Tidemark's own name: leave name out for a pageview`);
  const hostname = optionalString(payload.hostname, 'payload.hostname');
  const url = pageUrl(optionalString(payload.url, 'payload.url'), hostname, site);
  const tidemark: Json = { site, name: name ?? PAGEVIEW, url };
  const referrer = referrerUrl(optionalString(payload.referrer, 'payload.referrer'), url);
  if (referrer !== undefined) tidemark.referrer = referrer;
  const screen = optionalString(payload.screen, 'payload.screen');
  if (screen !== undefined) {
    const match = SCREEN.exec(screen);
    if (!match) fail('payload.screen', 'must be WIDTHxHEIGHT, e.g. 1920x1080');
    tidemark.screenWidth = Number(match[1]);
  }
  if (payload.data !== undefined && payload.data !== null) {
    if (!isObject(payload.data)) fail('payload.data', 'must be an object');
    const props = flatten(payload.data, '', {}, 0);
    if (Object.keys(props).length > 0) tidemark.props = props;
  }
  if (options.server === true) serverFields(payload, tidemark);
  try {
    return { type: 'event', parsed: checkEvent(tidemark, '', options) };
  } catch (error) {
    if (error instanceof ValidationError) throw renamed(error);
    throw error;
  }
}
