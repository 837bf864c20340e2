// The Tidemark browser tracker, shared by every build (rollup.config.mjs):
//   dist/script.js        the script tag, core:  __SCRIPT__, !__FULL__
//   dist/script.full.js   the script tag, full:  __SCRIPT__, __FULL__ (hash routing, outbound links, downloads)
//   dist/index.js         the npm module (`init`, `track`): !__SCRIPT__, __FULL__ (features chosen by options)
//   dist/index.dev.js     the same with __DEV__ (clear errors for bad options)
// Contract: SPEC.md §3 (behaviour) and §4 (event fields). No cookies, no storage, no fingerprinting:
// the only thing read from storage is the user's own opt-out flag. Nothing here runs at import:
// `start` touches `window` only when called. Every byte counts (SPEC §3 budgets): the code is
// written for terser, e.g. the options are read once into locals.

import type { Props, Send, TidemarkEvent, TrackerOptions } from './types.js';

/** A pageview now; `force` counts it even when the URL did not change (`trackPageview()`). */
export type View = (force?: unknown, url?: string, props?: Props) => void;

/**
 * Starts tracking: listeners now; the initial pageview, then `after(send, view)`, once the page
 * is shown (now, or when a prerendered page is activated). The script tag's builds also install
 * `window.tidemark` and replay the calls queued before the script loaded.
 */
export function start(options: Omit<TrackerOptions, 'endpoint'> & { endpoint: URL }, after?: (send: Send, view: View) => void): void {
  const { site, endpoint, allowLocalhost, respectDnt, beforeSend, autoPageviews, fileDownloads, outboundLinks } = options;
  const w = window;
  const { document: doc, location: loc, history: hist, navigator: nav, crypto: cr, performance: perf } = w;
  const hashRouting = __FULL__ && options.hashRouting;
  const auto = __SCRIPT__ || autoPageviews !== false;

  // Static opt-outs, decided once: loopback hosts and host-less pages (file:, about:) unless
  // allowLocalhost; Global Privacy Control / Do Not Track with respectDnt.
  const off =
    (!allowLocalhost && /^(localhost|\[::1\]|)$|^127\./.test(loc.hostname)) ||
    (respectDnt && (nav.globalPrivacyControl || nav.doNotTrack === '1'));

  /** Referrer of the current page: document.referrer, then the previous page after an SPA navigation. */
  let referrer = doc.referrer;
  /** URL of the last pageview (without the hash unless hash routing is on). */
  let lastUrl: string | undefined;
  /** eventId of the current pageview while its engagement is still unsent. */
  let pageviewId: string | undefined;
  /** The URL the current pageview was sent with: its engagement is about that page, wherever the visitor is now. */
  let pageviewUrl: string | undefined;
  /** performance.now() when the current pageview became visible; 0 while it has not been visible. */
  let visibleSince = 0;

  /** Sends one event; returns its eventId, or undefined when opted out or dropped by `beforeSend`. */
  const send = (name: string, props?: Props, extra?: object, url = loc.href) => {
    // The user's opt-out is read at every send, so setting it takes effect without a reload.
    // localStorage can throw (storage disabled, sandboxed frames): that is "not ignored".
    try {
      if (off || localStorage.tidemark_ignore === 'true') return;
    } catch {}
    // The collector refuses URLs over 2048 characters: a cut URL still counts the view.
    let event: TidemarkEvent | null | undefined = { name, url: url.slice(0, 2048), referrer: referrer.slice(0, 2048) || undefined, props };
    if (!__SCRIPT__ && beforeSend) {
      // The host's hook must not break its own navigation (this may run inside pushState).
      try {
        event = beforeSend(event);
      } catch (error) {
        event = null;
        if (__DEV__) console.error('tidemark: beforeSend threw; the event is dropped', error);
      }
      if (!event) return;
    }
    // crypto.randomUUID exists only in secure contexts; elsewhere a v4 UUID from getRandomValues.
    const eventId: string = cr.randomUUID
      ? cr.randomUUID()
      : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
          (+c ^ ((cr.getRandomValues(new Uint8Array(1))[0] as number) & (15 >> (+c / 4)))).toString(16),
        );
    const body = JSON.stringify({ site, ...event, eventId, screenWidth: screen.width, ...extra });
    // A string body is sent as text/plain;charset=UTF-8 by both sendBeacon and fetch: a CORS
    // "simple" request, no preflight. sendBeacon returns false when the browser refuses to queue it;
    // fetch keepalive outlives the page too. A failed fetch is ignored (no unhandled rejection
    // reaching the site's error monitoring).
    if (!nav.sendBeacon?.(endpoint, body)) fetch(endpoint, { method: 'POST', body, keepalive: true }).catch(() => {});
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
      send('engagement', undefined, { pageviewId, durationMs: visibleSince && Math.round(perf.now() - visibleSince) }, pageviewUrl);
    pageviewId = undefined;
  };

  // The script tag only counts navigations (its listeners pass events, never a `force`); the
  // module also counts `trackPageview()` calls, forced, with their URL and props.
  const view: View = (force, url, props) => {
    const current = hashRouting ? loc.href : loc.href.split('#')[0];
    // replaceState with the same URL, pushState of a hash (core), popstate of a fragment: no new view.
    if ((!__SCRIPT__ && force) || current !== lastUrl) {
      engage();
      // After an SPA navigation the previous page is the referrer, as it is for a full page load.
      if (lastUrl) referrer = lastUrl;
      lastUrl = current;
      pageviewUrl = (!__SCRIPT__ && url) || loc.href;
      pageviewId = send('pageview', __SCRIPT__ ? undefined : props, undefined, pageviewUrl);
      visibleSince = doc.hidden ? 0 : perf.now();
    }
  };
  // Listeners pass their event: the script's `view` ignores arguments, the module's must not see them.
  const autoView = __SCRIPT__ ? view : () => view();

  const on = (target: EventTarget, type: string, listener: (event: never) => void) =>
    target.addEventListener(type, listener as EventListener);

  if (auto) {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = hist[method];
      hist[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args);
        autoView();
      };
    }
    on(w, 'popstate', autoView);
    // Back-forward-cache restore: the same document again, a new view of it.
    on(w, 'pageshow', (event: PageTransitionEvent) => {
      if (event.persisted) {
        lastUrl = undefined;
        autoView();
      }
    });
    if (hashRouting) on(w, 'hashchange', autoView);
  }
  on(w, 'pagehide', engage);
  on(doc, 'visibilitychange', () => {
    if (doc.hidden) engage();
    else if (!visibleSince) visibleSince = perf.now();
  });

  const event: Send = (name, props) => void send(name, props);
  // Features the options name (click tracking, `clicks.ts`), downloads before outbound links.
  if (__FULL__) for (const feature of [fileDownloads, outboundLinks]) if (typeof feature === 'function') feature(event);

  // The script tag's API: `window.tidemark(name, { props })`, and the calls queued before it loaded.
  const queued = __SCRIPT__ && w.tidemark?.q;
  const api: Tidemark = (name, o) => void send(name, o?.props);
  if (__SCRIPT__) w.tidemark = api;

  // Order: the initial pageview first, then the calls made before the start, in call order.
  // A prerendered page (speculation rules) does both when the visitor navigates to it.
  const begin = () => {
    if (auto) autoView();
    if (__SCRIPT__) {
      if (queued) for (const args of queued) api.apply(0, args as unknown as Parameters<Tidemark>);
    } else after?.(event, view);
  };
  if (doc.prerendering) on(doc, 'prerenderingchange', begin);
  else begin();
}
