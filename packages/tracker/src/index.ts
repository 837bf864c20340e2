/**
 * `@tidemark/tracker` for apps built with a bundler (React, Next.js, Vue, Svelte, Astro, …):
 *
 *   import { init, track } from '@tidemark/tracker';
 *   init({ site: 'example.com', endpoint: 'https://stats.example.com/api/event' });
 *   track('signup', { props: { plan: 'pro' } });
 *
 * Importing it touches no browser global, so server rendering imports it safely; on the server
 * every function does nothing. The same tracker as the script tag (`engine.ts`), configured by
 * options instead of `data-*` attributes. Every export is independent (tree-shakable): an app
 * ships only what it imports.
 */
import { checkInit, eventProblem, propsProblem, validEvent, validProps } from './check.js';
import { start } from './engine.js';
import type { Props, Tracker, TrackerOptions } from './types.js';

export { fileDownloads, outboundLinks } from './clicks.js';
export { hashRouting, respectDnt } from './features.js';
export type { Feature, Props, Send, TidemarkEvent, Tracker, TrackerOptions as InitOptions } from './types.js';

export interface TrackOptions {
  props?: Props;
}

export interface PageviewOptions {
  /** The URL to count, when not `location.href` (e.g. with ids stripped). */
  url?: string;
  props?: Props;
}

/** False during server rendering: then every function does nothing. */
const browser = typeof window !== 'undefined';
let started: unknown;
/** The running tracker, once the initial pageview is sent. */
let running: Tracker | undefined;
/** Calls made before the tracker runs (at most 100), replayed in order after the initial pageview. */
const early: ((tracker: Tracker) => void)[] = [];

const later = (call: (tracker: Tracker) => void) => {
  if (running) call(running);
  else if (browser && early.length < 100) early.push(call);
};

const warn = (...what: unknown[]) => console.warn('tidemark:', ...what);

/**
 * Starts tracking: automatic pageviews (unless `autoPageviews: false`), engagement time, and
 * the features the options name. Call it once, in the browser; later calls are ignored. Bad
 * options throw a `TypeError` in development builds; in production builds nothing is tracked
 * and one warning is logged — it never throws into the app.
 */
export function init(options: TrackerOptions): void {
  if (!browser || started) return;
  try {
    const endpoint = __DEV__ ? checkInit(options) : new URL(options.endpoint || '/api/event', location.href);
    if (!__DEV__ && !(options.site && /^https?:$/.test(endpoint.protocol))) throw options;
    started = 1;
    const { respectDnt, hashRouting, fileDownloads, outboundLinks } = options;
    start({ ...options, endpoint, features: [respectDnt, hashRouting, fileDownloads, outboundLinks] }, (tracker) => {
      running = tracker;
      for (const call of early.splice(0)) call(tracker);
    });
  } catch (error) {
    if (__DEV__) throw error;
    warn('bad init options:', error);
  }
}

/** Sends a custom event. A bad name or props drops it with one console warning. */
export function track(name: string, options?: TrackOptions): void {
  const props = options?.props;
  if (validEvent(name, props)) later((tracker) => tracker.send(name, props));
  else warn('event dropped:', name, __DEV__ ? eventProblem(name, props) : props);
}

/**
 * Sends a pageview now, for routers that report navigations themselves (with `init({
 * autoPageviews: false })`), optionally with props or another URL. It closes the previous
 * page's engagement, as an automatic pageview does.
 */
export function trackPageview(options?: PageviewOptions): void {
  const props = options?.props;
  const url = options?.url;
  if ((url === undefined || typeof url === 'string') && validProps(props)) later((tracker) => tracker.page?.(url || location.href, props));
  else warn('pageview dropped:', __DEV__ ? propsProblem(props) || 'url must be a string' : options);
}
