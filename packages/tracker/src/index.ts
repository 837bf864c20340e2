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
import { checkInit, eventProblem, propsProblem } from './check.js';
import { start } from './engine.js';
import type { Props, Tracker, TrackerOptions } from './types.js';

export { fileDownloads, outboundLinks } from './clicks.js';
export { hashRouting, respectDnt } from './features.js';
export type { Feature, Props, Send, TidemarkEvent, Tracker, TrackerOptions as InitOptions } from './types.js';

/**
 * A custom event's name: 1-64 characters of A-Z a-z 0-9 space _ . : - (checked in development
 * builds), never `pageview` or `engagement`, which the tracker sends itself (refused here by the
 * type checker, at no cost to the bundle).
 */
export type CustomName<Name extends string> = Name extends 'pageview' | 'engagement' ? never : Name;

export interface TrackOptions {
  props?: Props;
}

export interface PageviewOptions {
  /** The URL to count, when not `location.href` (e.g. with ids stripped). */
  url?: string;
  props?: Props;
}

let started: unknown;
/** The running tracker, once the initial pageview is sent. */
let running: Tracker | undefined;
/**
 * Calls made before the tracker runs (at most 100), replayed in order after the initial pageview.
 * On the server they are kept too and never run: at most 100 small closures, fewer bytes than a check.
 */
const early: ((tracker: Tracker) => void)[] = [];

const later = (call: (tracker: Tracker) => void) => {
  if (running) call(running);
  else if (early.length < 100) early.push(call);
};

/** The development build's warnings. */
const warn = (...what: unknown[]) => console.warn('tidemark:', ...what);

/**
 * Starts tracking: automatic pageviews (unless `autoPageviews: false`), engagement time, and
 * the features the options name. Call it once, in the browser; later calls are ignored. Bad
 * options throw a `TypeError` in development builds (check.ts). Production builds check only
 * that there is a site and an endpoint that is a URL: otherwise nothing is tracked and one
 * warning is logged — they never throw into the app.
 */
export function init(options: TrackerOptions): void {
  // During server rendering (no document) it does nothing.
  if (!globalThis.document || started) return;
  try {
    const endpoint = __DEV__ ? checkInit(options) : new URL(options.endpoint || '/api/event', location.href);
    // The production build's only check: without a site there is nothing to track.
    if (!__DEV__ && !options.site) throw options;
    started = 1;
    start(options, endpoint, (tracker) => {
      running = tracker;
      early.map((call) => call(tracker));
    });
  } catch (error) {
    if (__DEV__) throw error;
    console.warn('tidemark: bad init options:', error);
  }
}

/**
 * Sends a custom event. The development build checks its name and props as the collector will
 * (SPEC §4) and drops a bad event with one console warning saying why. The production build
 * leaves the checks to the collector, which refuses a bad event (400, nothing stored): it ships
 * lighter and never throws into the app either.
 */
export function track<Name extends string>(name: CustomName<Name>, options?: TrackOptions): void {
  const props = options?.props;
  const problem = __DEV__ && eventProblem(name, props);
  if (problem) warn('event dropped:', name, problem);
  else later((tracker) => tracker.send(name, props));
}

/**
 * Sends a pageview now, for routers that report navigations themselves (with `init({
 * autoPageviews: false })`), optionally with props or another URL. It closes the previous
 * page's engagement, as an automatic pageview does. Checked as `track` is.
 */
export function trackPageview(options?: PageviewOptions): void {
  const props = options?.props;
  const url = options?.url;
  const problem = __DEV__ && (propsProblem(props) || (url !== undefined && typeof url !== 'string' && 'url must be a string'));
  if (problem) warn('pageview dropped:', problem);
  else later((tracker) => tracker.page?.(url || location.href, props));
}
