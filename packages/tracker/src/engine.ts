// The Tidemark browser tracker, shared by every build (rollup.config.mjs):
//   dist/script.js        the script tag, core:  __SCRIPT__, !__FULL__
//   dist/script.full.js   the script tag, full:  __SCRIPT__, __FULL__ (hash routing, outbound links, downloads)
//   dist/index.js         the npm module (`init`, `track`): !__SCRIPT__ (features are imports, features.ts)
//   dist/index.dev.js     the same with __DEV__ (clear errors for bad options)
// Contract: SPEC.md §3 (behaviour) and §4 (event fields). No cookies, no storage, no fingerprinting:
// the only thing read from storage is the user's own opt-out flag. Nothing here runs at import:
// `start` touches `window` only when called. Every byte counts (SPEC §3 budgets, and the npm
// module's 1 KB for an app using pageviews and `track`): what only some sites use (respecting Do
// Not Track, hash routing, link clicks) is a feature (features.ts, clicks.ts) given to `start`,
// so a module app that does not import it does not ship it.

import type { Props, Send, TidemarkEvent, Tracker } from './types.js';

/** What `start` takes: the script tag's attributes, or `init`'s options. */
export interface StartOptions {
  site: string;
  endpoint: URL;
  allowLocalhost?: boolean | undefined;
  /** Module only: `false` when the app calls `trackPageview()` itself. */
  autoPageviews?: boolean | undefined;
  /** Module only: sees every event; returns it (changed or not), or null to drop it. */
  beforeSend?: ((event: TidemarkEvent) => TidemarkEvent | null | undefined) | undefined;
  /** Features to start (respect DNT, hash routing, clicks), in this order; `false` entries are skipped. */
  features?: readonly (((tracker: Tracker) => void) | false | undefined)[];
}

/**
 * Starts tracking: listeners and features now; the initial pageview, then `ready(tracker)`, once
 * the page is shown (now, or when a prerendered page is activated).
 */
export function start(options: StartOptions, ready: (tracker: Tracker) => void): void {
  const { site, endpoint, beforeSend } = options;
  const auto = __SCRIPT__ || options.autoPageviews !== false;

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
  const send = (name: string, props?: Props, extra?: object, url = location.href) => {
    // The user's opt-out is read at every send, so setting it takes effect without a reload.
    // localStorage can throw (storage disabled, sandboxed frames): that is "not ignored".
    try {
      if (tracker.off || localStorage.tidemark_ignore === 'true') return;
    } catch {}
    // The collector refuses URLs over 2048 characters: a cut URL still counts the view.
    let event: TidemarkEvent | null | undefined = { name, url: url.slice(0, 2048), referrer: referrer.slice(0, 2048) || undefined, props };
    // The host's hook must not break its own navigation (this may run inside pushState): a throw drops the event.
    if (!__SCRIPT__ && beforeSend)
      try {
        event = beforeSend(event);
        if (!event) return;
      } catch (error) {
        return void (__DEV__ && console.error('tidemark: beforeSend threw; the event is dropped', error));
      }
    // A v4 UUID from getRandomValues (crypto.randomUUID exists only in secure contexts).
    const eventId = '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
      (+c ^ ((crypto.getRandomValues(new Uint8Array(1))[0] as number) & (15 >> (+c / 4)))).toString(16),
    );
    const body = JSON.stringify({ site, ...event, eventId, screenWidth: screen.width, ...extra });
    // A string body is sent as text/plain;charset=UTF-8 by both sendBeacon and fetch: a CORS
    // "simple" request, no preflight. sendBeacon returns false when the browser refuses to queue it;
    // fetch keepalive outlives the page too. A failed fetch is ignored (no unhandled rejection
    // reaching the site's error monitoring).
    if (!navigator.sendBeacon?.(endpoint, body)) fetch(endpoint, { method: 'POST', body, keepalive: true }).catch(() => {});
    return eventId;
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
      send('engagement', undefined, { pageviewId, durationMs: visibleSince && Math.round(performance.now() - visibleSince) }, pageviewUrl);
    pageviewId = undefined;
  };

  // A navigation counts when the URL changed; the module's `trackPageview()` gives a URL and always counts.
  const view = (url?: string, props?: Props) => {
    const current = __FULL__ && tracker.hash ? location.href : location.href.split('#')[0];
    // replaceState with the same URL, pushState of a hash (without hash routing), popstate of a fragment: no new view.
    if ((!__SCRIPT__ && url) || current !== lastUrl) {
      engage();
      // After an SPA navigation the previous page is the referrer, as it is for a full page load.
      if (lastUrl) referrer = lastUrl;
      lastUrl = current;
      pageviewUrl = (!__SCRIPT__ && url) || location.href;
      pageviewId = send('pageview', __SCRIPT__ ? undefined : props, undefined, pageviewUrl);
      visibleSince = document.hidden ? 0 : performance.now();
    }
  };
  // Listeners pass their event, which is not a URL (the script's `view` reads no arguments).
  const autoView = __SCRIPT__ ? (view as () => void) : () => view();

  const tracker: Tracker = {
    // Static opt-out, decided once: loopback hosts and host-less pages (file:, about:) unless allowLocalhost.
    off: !options.allowLocalhost && /^(localhost|\[::1\]|)$|^127\./.test(location.hostname),
    send: send as Send,
    view: autoView,
  };
  if (!__SCRIPT__) tracker.page = view;

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
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) engage();
    else if (!visibleSince) visibleSince = performance.now();
  });

  // Features (features.ts, clicks.ts): opt-outs and hash routing before the first pageview,
  // downloads before outbound links.
  for (const feature of options.features ?? []) if (feature) feature(tracker);

  // Order: the initial pageview first, then the calls made before the start, in call order.
  // A prerendered page (speculation rules) does both when the visitor navigates to it.
  const begin = () => {
    if (auto) autoView();
    ready(tracker);
  };
  if (document.prerendering) document.addEventListener('prerenderingchange', begin);
  else begin();
}
