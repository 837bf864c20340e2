// The development build's checks (index.dev.js, the `development` export condition): `track`'s
// and `trackPageview`'s name and props as the collector will check them (SPEC §4; a bad event is
// dropped with one console warning saying why), and `init`'s options (a clear TypeError, thrown at
// the call that made the mistake). The production build ships none of this: the collector refuses
// a bad event (400, nothing stored), and `init` checks only that there is a site.

import type { TrackerOptions } from './types.js';

const NAME = /^[\w .:-]{1,64}$/;

const KEY = /^(?!(__proto__|constructor|prototype)$).{1,64}$/s;

const validValue = (value: unknown) =>
  typeof value === 'string' ? value.length <= 256 : typeof value === 'boolean' || Number.isFinite(value);

/** Props the collector takes: a plain object of at most 30 keys of 1-64 characters, values a short string, a finite number or a boolean. */
export const validProps = (props: unknown): boolean =>
  props === undefined ||
  ((props as object | null)?.constructor === Object &&
    Object.entries(props as object).every(([key, value], i) => i < 30 && KEY.test(key) && validValue(value)));

/** A custom event's name: what the collector takes, less the tracker's own `pageview` and `engagement`. */
const CUSTOM = /^(?!(pageview|engagement)$)[\w .:-]{1,64}$/;

/** A custom event the collector takes. */
export const validEvent = (name: unknown, props: unknown): boolean => typeof name === 'string' && CUSTOM.test(name) && validProps(props);

/** Development build: why a custom event would be refused. */
export function eventProblem(name: unknown, props: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) return 'the name must be 1-64 characters of A-Z a-z 0-9 space _ . : -';
  if (name === 'pageview' || name === 'engagement') return `"${name}" is sent by the tracker itself (use trackPageview())`;
  return propsProblem(props);
}

/** Development build: why props would be refused. */
export function propsProblem(props: unknown): string {
  if (validProps(props)) return '';
  if ((props as object | null)?.constructor !== Object) return 'props must be a plain object';
  const entries = Object.entries(props as object);
  if (entries.length > 30) return 'props may have at most 30 keys';
  for (const [key, value] of entries) {
    if (!KEY.test(key)) return `prop key "${key}" must be 1-64 characters and not a reserved word`;
    if (!validValue(value)) return `prop "${key}" must be a string of at most 256 characters, a finite number or a boolean`;
  }
  return '';
}

const FLAGS = ['allowLocalhost', 'autoPageviews'] as const;
const FEATURES = ['respectDnt', 'hashRouting', 'outboundLinks', 'fileDownloads'] as const;
const KNOWN = ['site', 'endpoint', ...FLAGS, ...FEATURES, 'beforeSend'];

/** Development build: the endpoint `init` will send to, or a `TypeError` naming what is wrong with the options. */
export function checkInit(options: TrackerOptions): URL {
  const fail = (message: string): never => {
    throw new TypeError(`Tidemark init: ${message}`);
  };
  if (typeof options !== 'object' || options === null) return fail('takes an options object, e.g. init({ site: "example.com" })');
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) fail(`unknown option "${key}"; the options are ${KNOWN.join(', ')}`);
  }
  const { site, endpoint, beforeSend } = options;
  if (typeof site !== 'string' || !/^[\w.-]{1,253}$/.test(site))
    fail(`site is required: the site's name in Tidemark, a host name such as "example.com" (got ${String(site)})`);
  let url: URL | null = null;
  if (endpoint === undefined || (typeof endpoint === 'string' && (endpoint.startsWith('/') || /^https?:\/\//i.test(endpoint)))) {
    try {
      url = new URL(endpoint ?? '/api/event', location.href);
    } catch {}
  }
  if (url === null)
    fail(`endpoint must be an http(s) URL or a path starting with /, e.g. "https://stats.example.com/api/event" (got ${String(endpoint)})`);
  for (const flag of FLAGS) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') fail(`${flag} must be true or false`);
  }
  for (const feature of FEATURES) {
    if (options[feature] !== undefined && typeof options[feature] !== 'function')
      fail(
        `${feature} takes the feature itself: import { ${feature} } from '@tidemark/tracker' and pass init({ ${feature} }) (so apps without it do not ship it)`,
      );
  }
  if (beforeSend !== undefined && typeof beforeSend !== 'function') fail('beforeSend must be a function (event) => event | null');
  return url as URL;
}
