// The Tidemark browser tracker, shared by every build (rollup.config.mjs):
//   dist/script.js        the script tag, core:  __SCRIPT__, !__FULL__
//   dist/script.full.js   the script tag, full:  __SCRIPT__, __FULL__ (hash routing, outbound links, downloads)
//   dist/index.js         the npm module (`init`, `track`): !__SCRIPT__ (features are imports, features.ts)
//   dist/index.dev.js     the same with __DEV__ (the checks of check.ts: clear errors for bad options and events)
// Contract: SPEC.md §3 (behaviour) and §4 (event fields). No cookies, no storage, no fingerprinting:
// the only thing read from storage is the user's own opt-out flag. Nothing here runs at import:
// `start` touches `window` only when called. Every byte counts (SPEC §3 budgets, and the npm
// module's 1 KB for an app using pageviews and `track`, src/module-size.ts): what only some sites
// use (respecting Do Not Track, hash routing, link clicks) is a feature (features.ts, clicks.ts)
// given to `start`, so a module app that does not import it does not ship it.
// Some shapes here are chosen for the bytes they save; each says so where it is not obvious.

import type { Feature, Props, Send, TidemarkEvent, Tracker, TrackerOptions } from './types.js';

/**
 * What `start` takes: the script tag's attributes, or `init`'s options. Every function among them
 * but `beforeSend` is a feature (features.ts, clicks.ts), started before the first pageview.
 */
export type StartOptions = Omit<TrackerOptions, 'endpoint' | FeatureName> & {
  [F in FeatureName]?: Feature;
} & {
  /** Script tag only: the features its attributes and build turn on; `false` entries are skipped. */
  features?: (Feature | false)[];
};

type FeatureName = 'respectDnt' | 'hashRouting' | 'fileDownloads' | 'outboundLinks';

/**
 * Starts tracking: listeners and features now; the initial pageview, then `ready(tracker)`, once
 * the page is shown (now, or when a prerendered page is activated).
 */
export function start(options: StartOptions, endpoint: URL, ready: (tracker: Tracker) => void): void {
  const { site, beforeSend } = options;
  const auto = __SCRIPT__ || (options.autoPageviews ?? true);

  /** Referrer of the current page: document.referrer, then the previous page after an SPA navigation. */
  let referrer = document.referrer;
  /** URL of the last pageview (without the hash unless hash routing is on). */
  let lastUrl: string | undefined;
  /** eventId of the current pageview while its engagement is still unsent. */
  let pageviewId: string | undefined;
  /** The URL the current pageview was sent with: its engagement is about that page, wherever the visitor is now. */
  let pageviewUrl: string | undefined;
  /** performance.now() when the current pageview became visible; 0 while it has not been visible. */
  let visibleSince = 0;

  /** Sends one event; returns its eventId, or undefined when opted out or dropped by `beforeSend`. */
  const send = (name: string, props?: Props, url = location.href, extra?: object) => {
    // The user's opt-out is read at every send, so setting it takes effect without a reload.
    // localStorage can throw (storage disabled, sandboxed frames): that is "not ignored".
    try {
      if (tracker.off || localStorage.tidemark_ignore === 'true') return;
    } catch {}
    // Whatever fails below drops this one event and never throws into the host page (this may run
    // inside its pushState): a throwing `beforeSend`, props JSON cannot hold (a BigInt, a cycle;
    // the production module does not check props), an endpoint that is not http(s) (sendBeacon throws).
    try {
      // The collector refuses URLs over 2048 characters: a cut URL still counts the view.
      let event: TidemarkEvent | null | undefined = {
        name,
        url: url.slice(0, 2048),
        referrer: referrer.slice(0, 2048) || undefined,
        props,
      };
      if (!__SCRIPT__ && beforeSend) {
        event = beforeSend(event);
        if (!event) return;
      }
      // A random (v4) UUID, in every context: a blob URL ends with one (File API), where
      // crypto.randomUUID exists only in secure contexts. Revoked at once: nothing stays registered.
      const blob = URL.createObjectURL(new Blob());
      URL.revokeObjectURL(blob);
      const eventId = blob.slice(-36);
      const body = JSON.stringify({ site, ...event, eventId, screenWidth: screen.width, ...extra });
      // A string body is sent as text/plain;charset=UTF-8 by both sendBeacon and fetch: a CORS
      // "simple" request, no preflight. sendBeacon returns false when the browser refuses to queue it;
      // fetch keepalive outlives the page too. A failed fetch is ignored (no unhandled rejection
      // reaching the site's error monitoring).
      if (!navigator.sendBeacon?.(endpoint, body)) fetch(endpoint, { method: 'POST', body, keepalive: true }).catch(() => {});
      return eventId;
    } catch (error) {
      if (__DEV__) console.error('tidemark: the event is dropped:', error);
    }
  };

  // Engagement: visible time of the current pageview, sent at most once per pageview, at the first
  // of: the page becoming hidden, pagehide, or an SPA navigation replacing the page. On mobile,
  // pagehide often never fires (the tab is backgrounded, then discarded), so the first hide is the
  // only moment a beacon reliably gets out; waiting for pagehide to send an accumulated total would
  // lose most mobile engagement. The cost: visible time after the user returns to a tab whose
  // engagement was already sent is not counted (the pageview's reported time is a lower bound).
  // Time hidden before the page was first shown (background tabs, prerendering) never counts.
  const engage = () => {
    if (pageviewId)
      // `| 0`: whole milliseconds, shorter than Math.round.
      send('engagement', undefined, pageviewUrl, { pageviewId, durationMs: visibleSince && (performance.now() - visibleSince) | 0 });
    pageviewId = undefined;
  };

  // A navigation counts when the URL changed; the module's `trackPageview()` gives a URL and always counts.
  const view = (url?: string, props?: Props) => {
    // The page's URL: without its hash, or whole with hash routing (tracker.cut undefined).
    const current = location.href.split(__FULL__ ? (tracker.cut as string) : '#')[0];
    // replaceState with the same URL, pushState of a hash (without hash routing), popstate of a fragment: no new view.
    if ((!__SCRIPT__ && url) || current !== lastUrl) {
      engage();
      // After an SPA navigation the previous page is the referrer, as it is for a full page load.
      if (lastUrl) referrer = lastUrl;
      lastUrl = current;
      pageviewUrl = (!__SCRIPT__ && url) || location.href;
      pageviewId = send('pageview', __SCRIPT__ ? undefined : props, pageviewUrl);
      visibleSince = document.hidden ? 0 : performance.now();
    }
  };
  // Listeners pass their event, which is not a URL (the script's `view` reads no arguments).
  const autoView = __SCRIPT__ ? (view as () => void) : () => view();

  const tracker: Tracker = {
    // Static opt-out, decided once: loopback hosts and host-less pages (file:, about:) unless allowLocalhost.
    off: !options.allowLocalhost && /^(localhost|\[::1\]|)$|^127\./.test(location.hostname),
    cut: '#',
    send: send as Send,
    view: autoView,
    page: __SCRIPT__ ? undefined : view,
  };

  if (auto) {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args);
        autoView();
      };
    }
    addEventListener('popstate', autoView);
    // Back-forward-cache restore: the same document again, a new view of it.
    addEventListener('pageshow', (event) => {
      if (event.persisted) {
        lastUrl = undefined;
        autoView();
      }
    });
  }
  addEventListener('pagehide', engage);
  // visibilitychange is fired at the document and bubbles to the window (HTML: "update the
  // visibility state"), so `document.` is not needed to hear it.
  addEventListener('visibilitychange', () => {
    if (document.hidden) engage();
    else if (!visibleSince) visibleSince = performance.now();
  });

  // Features (features.ts, clicks.ts), before the first pageview: the script tag lists them; in
  // the module they are the options that are functions (`?.call`: a function's, every other option
  // is a string, a boolean or undefined), less `beforeSend`. Their order does not matter.
  for (const feature of __SCRIPT__ ? (options.features as Feature[]) : Object.values(options))
    if (__SCRIPT__ ? feature : (feature as Feature | undefined)?.call && feature !== beforeSend) (feature as Feature)(tracker);

  // Order: the initial pageview first, then the calls made before the start, in call order.
  // A prerendered page (speculation rules) does both when the visitor navigates to it.
  const begin = () => {
    if (auto) autoView();
    ready(tracker);
  };
  if (document.prerendering) document.addEventListener('prerenderingchange', begin);
  else begin();
}
