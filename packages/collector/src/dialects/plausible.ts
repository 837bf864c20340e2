/**
 * Plausible's event bodies on the Events API (SPEC §13): what `@plausible-analytics/tracker`,
 * the older `plausible-tracker` and Plausible's Events API send, turned into events of SPEC §4
 * and checked by the same schema. Short and long keys are both read (`n`/`name`, `u`/`url`,
 * `d`/`domain`, `r`/`referrer`, `p`/`props` (an object or its JSON text), `w`/`screen_width`,
 * `h`/`hash_mode`, and for `engagement` `e` (engaged ms since the last one) and `sd` (scroll
 * depth, percent)). `d` may list several sites (`a.com,b.com`): the event is stored once for
 * each. Errors name the key the sender used (`u: must be an absolute http(s) URL`).
 */
import {
  checkEvent,
  ENGAGEMENT,
  type ParsedEvent,
  type PropValue,
  SITE_NAME,
  type ValidateOptions,
  ValidationError,
} from '@tidemark/shared';

/** The keys that make an object Plausible's (a Tidemark event has `site` instead). */
export const PLAUSIBLE_SITE_KEYS = ['d', 'domain'] as const;

/** Most sites one event may name in `d`. */
export const MAX_DOMAINS = 10;

/** Each field of the event as [short key, long key]; the short one wins when both are given. */
const KEYS = {
  name: ['n', 'name'],
  url: ['u', 'url'],
  site: ['d', 'domain'],
  referrer: ['r', 'referrer'],
  props: ['p', 'props'],
  screenWidth: ['w', 'screen_width'],
  hash: ['h', 'hash_mode'],
  durationMs: ['e', 'engagement_time'],
  scrollDepth: ['sd', 'scroll_depth'],
  revenue: ['$', 'revenue'],
} as const;
/** Older senders put props under `m` / `meta`. */
const OLD_PROPS_KEYS = ['m', 'meta'] as const;

type Json = Record<string, unknown>;
type Field = keyof typeof KEYS;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether an event object is Plausible's: it names its site with `d` or `domain`. */
export function isPlausibleEvent(input: Json): boolean {
  return PLAUSIBLE_SITE_KEYS.some((key) => input[key] !== undefined);
}

/** The value of a field and the key it came under. */
function read(input: Json, field: Field): { value: unknown; key: string } {
  const [short, long] = KEYS[field];
  if (input[short] !== undefined) return { value: input[short], key: short };
  return { value: input[long], key: long };
}

/** `p` as an object: given as one, or as its JSON text (the older tracker); `null` values are left out. */
function propsOf(input: Json, keyUsed: Record<string, string>, prefix: string): Record<string, unknown> | undefined {
  let { value, key } = read(input, 'props');
  if (value === undefined) {
    const old = OLD_PROPS_KEYS.find((k) => input[k] !== undefined);
    if (old === undefined) return undefined;
    value = input[old];
    key = old;
  }
  keyUsed.props = key;
  if (value === null) return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ValidationError(`${prefix}${key}: must be an object or its JSON text`, `${prefix}${key}`);
    }
  }
  if (!isObject(value)) throw new ValidationError(`${prefix}${key}: must be an object or its JSON text`, `${prefix}${key}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = v;
  return out;
}

/** Revenue (`$: { amount, currency }`) is kept as two props, `revenue_amount` and `revenue_currency`. */
function addRevenue(input: Json, props: Record<string, unknown> | undefined, prefix: string): Record<string, unknown> | undefined {
  const { value, key } = read(input, 'revenue');
  if (value === undefined || value === null) return props;
  if (!isObject(value)) throw new ValidationError(`${prefix}${key}: must be an object with amount and currency`, `${prefix}${key}`);
  const amount = value.amount;
  const currency = value.currency;
  if ((typeof amount !== 'number' && typeof amount !== 'string') || typeof currency !== 'string') {
    throw new ValidationError(`${prefix}${key}: must be an object with amount and currency`, `${prefix}${key}`);
  }
  return { ...props, revenue_amount: amount, revenue_currency: currency };
}

/** The sites of `d`: a host name or a comma list of them, each once. */
function sitesOf(value: unknown, key: string, prefix: string): string[] {
  if (typeof value !== 'string') throw new ValidationError(`${prefix}${key}: must be a string`, `${prefix}${key}`);
  const sites = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (sites.length === 0) throw new ValidationError(`${prefix}${key}: must name a site`, `${prefix}${key}`);
  if (sites.length > MAX_DOMAINS) throw new ValidationError(`${prefix}${key}: at most ${MAX_DOMAINS} sites`, `${prefix}${key}`);
  return sites;
}

/** Plausible's scroll depth can pass 100 when the page shrank while being read: it is the whole page then. */
function clampedDepth(value: unknown): unknown {
  return typeof value === 'number' && Number.isInteger(value) ? Math.min(100, Math.max(0, value)) : value;
}

/** Renames the Tidemark field of a validation error to the key the sender used (`url` → `u`). */
function renamed(error: ValidationError, prefix: string, keyUsed: Record<string, string>): ValidationError {
  const field = error.field ?? '';
  if (!field.startsWith(prefix)) return error;
  const rest = field.slice(prefix.length);
  const dot = rest.indexOf('.');
  const head = dot < 0 ? rest : rest.slice(0, dot);
  const key = keyUsed[head];
  if (key === undefined) return error;
  const name = `${prefix}${key}${dot < 0 ? '' : rest.slice(dot)}`;
  const message = error.message.startsWith(`${field}:`) ? `${name}${error.message.slice(field.length)}` : error.message;
  return new ValidationError(message, name);
}

/**
 * One Plausible event object → one parsed event per site it names. `prefix` names its place in
 * an array (`"3."`). Throws `ValidationError` naming the sender's key.
 */
export function parsePlausibleEvent(input: Json, prefix: string, options: ValidateOptions): ParsedEvent[] {
  const keyUsed: Record<string, string> = {};
  const take = (field: Field): unknown => {
    const { value, key } = read(input, field);
    keyUsed[field] = key;
    return value;
  };
  const name = take('name');
  const site = take('site');
  const sites = sitesOf(site, keyUsed.site as string, prefix);
  const tidemark: Json = { site: sites[0], name, url: take('url') };
  const referrer = take('referrer');
  if (referrer !== undefined && referrer !== null) tidemark.referrer = referrer;
  const width = take('screenWidth');
  if (width !== undefined && width !== null) tidemark.screenWidth = width;
  const props = addRevenue(input, propsOf(input, keyUsed, prefix), prefix);
  if (props !== undefined && Object.keys(props).length > 0) tidemark.props = props as Record<string, PropValue>;
  if (name === ENGAGEMENT) {
    tidemark.durationMs = take('durationMs') ?? 0;
    const depth = take('scrollDepth');
    if (depth !== undefined && depth !== null) tidemark.scrollDepth = clampedDepth(depth);
  }
  let first: ParsedEvent;
  try {
    first = checkEvent(tidemark, prefix, { ...options, engagementWithoutPageview: true });
  } catch (error) {
    if (error instanceof ValidationError) throw renamed(error, prefix, keyUsed);
    throw error;
  }
  const hash = take('hash');
  if (hash === 1 || hash === true) first.path = first.url.pathname + first.url.hash;
  const out = [first];
  for (const other of sites.slice(1)) {
    const lower = other.toLowerCase();
    const key = `${prefix}${keyUsed.site}`;
    if (!SITE_NAME.test(lower)) throw new ValidationError(`${key}: ${other} is not a host name`, key);
    out.push({ ...first, event: { ...first.event, site: lower } });
  }
  return out;
}
