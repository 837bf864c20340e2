// Tidemark browser tracker. One source, two builds (rollup.config.mjs):
//   dist/script.js       __FULL__ = false: pageviews (incl. SPA), engagement, custom events, opt-outs
//   dist/script.full.js  __FULL__ = true:  + hash routing (data-hash), outbound-link and download clicks
// Contract: SPEC.md §3 (behaviour) and §4 (event fields). No cookies, no storage, no fingerprinting:
// the only thing read from storage is the user's own opt-out flag.

const EVENTS_PATH = '/api/event';
const PAGEVIEW = 'pageview';
const ENGAGEMENT = 'engagement';

const w = window;
const { document: doc, location: loc, history: hist, navigator: nav, screen: scr, crypto: cr, performance: perf } = w;

const script = doc.currentScript as HTMLScriptElement;
const attr = (name: string) => script.getAttribute(`data-${name}`);
const endpoint = new URL(attr('api') || EVENTS_PATH, script.src);
const site = attr('site') || loc.hostname;
const hashRouting = __FULL__ && attr('hash') != null;

// Static opt-outs, decided once: loopback hosts and host-less pages (file:, about:) unless
// data-allow-localhost; Global Privacy Control / Do Not Track when data-respect-dnt is set.
const off =
  (attr('allow-localhost') == null && /^(localhost|\[::1\]|)$|^127\./.test(loc.hostname)) ||
  (attr('respect-dnt') != null && (nav.globalPrivacyControl || nav.doNotTrack === '1'));

// The user's opt-out is read at every send, so setting it takes effect without a reload.
// localStorage can throw (storage disabled, sandboxed frames): treat that as "not ignored".
const ignored = () => {
  try {
    return localStorage.tidemark_ignore === 'true';
  } catch {
    return false;
  }
};

// crypto.randomUUID exists only in secure contexts; elsewhere build a v4 UUID from getRandomValues.
const uuid = (): string =>
  cr.randomUUID
    ? cr.randomUUID()
    : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
        (+c ^ ((cr.getRandomValues(new Uint8Array(1))[0] as number) & (15 >> (+c / 4)))).toString(16),
      );

/** Referrer of the current page: document.referrer, then the previous page after an SPA navigation. */
let referrer = doc.referrer;
/** URL of the last pageview (without the hash unless hash routing is on). */
let lastUrl: string | undefined;
/** eventId of the current pageview while its engagement is still unsent. */
let pageviewId: string | undefined;
/** performance.now() when the current pageview became visible; 0 while it has not been visible. */
let visibleSince = 0;

const now = () => perf.now();

/** Sends one event; returns its eventId, or undefined when opted out. */
const send = (name: string, extra?: object) => {
  if (off || ignored()) return;
  const eventId = uuid();
  // The collector refuses URLs over 2048 characters: a cut URL still counts the view.
  const body = JSON.stringify({
    site,
    name,
    url: loc.href.slice(0, 2048),
    referrer: referrer.slice(0, 2048) || undefined,
    eventId,
    screenWidth: scr.width,
    ...extra,
  });
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
  if (pageviewId) {
    send(ENGAGEMENT, {
      pageviewId,
      durationMs: visibleSince && Math.round(now() - visibleSince),
    });
    pageviewId = undefined;
  }
};

const pageUrl = () => (hashRouting ? loc.href : loc.href.split('#')[0]);

const pageview = () => {
  const url = pageUrl();
  // replaceState with the same URL, pushState of a hash (core), popstate of a fragment: no new view.
  if (url !== lastUrl) {
    engage();
    // After an SPA navigation the previous page is the referrer, as it is for a full page load.
    if (lastUrl) referrer = lastUrl;
    lastUrl = url;
    pageviewId = send(PAGEVIEW);
    visibleSince = doc.hidden ? 0 : now();
  }
};

const on = (target: EventTarget, type: string, listener: (event: never) => void) =>
  target.addEventListener(type, listener as EventListener);

for (const method of ['pushState', 'replaceState'] as const) {
  const original = hist[method];
  hist[method] = function (this: History, ...args: Parameters<History['pushState']>) {
    original.apply(this, args);
    pageview();
  };
}
on(w, 'popstate', pageview);
// Back-forward-cache restore: the same document again, a new view of it.
on(w, 'pageshow', (event: PageTransitionEvent) => {
  if (event.persisted) {
    lastUrl = undefined;
    pageview();
  }
});
on(w, 'pagehide', engage);
on(doc, 'visibilitychange', () => {
  if (doc.hidden) engage();
  else if (!visibleSince) visibleSince = now();
});

if (__FULL__) {
  if (hashRouting) on(w, 'hashchange', pageview);
  // Outbound links and file downloads, on click and middle click. Nothing is prevented or delayed:
  // the beacon outlives the navigation.
  const onClick = (event: MouseEvent) => {
    const link = (event.target as Element).closest?.('a') as HTMLAnchorElement | null;
    if (link && (event.type === 'click' || event.button === 1)) {
      const name =
        /\.(pdf|xlsx?|docx?|txt|rtf|csv|exe|key|pps|pptx?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpe?g|wmv|midi?|mp3|wav|wma|dmg|iso|msi)$/i.test(
          link.pathname,
        )
          ? 'download'
          : link.host && link.host !== loc.host
            ? 'outbound'
            : '';
      // Prop values are capped at 256 characters by the collector.
      if (name) send(name, { props: { url: link.href.slice(0, 256) } });
    }
  };
  on(doc, 'click', onClick);
  on(doc, 'auxclick', onClick);
}

const api: Tidemark = (name, options) => {
  send(name, { props: options?.props });
};
const queued = w.tidemark?.q;
w.tidemark = api;

// Order on load: the initial pageview first, then the calls queued before load, in call order.
// A prerendered page (speculation rules) does both when the visitor actually navigates to it.
const start = () => {
  pageview();
  if (queued) for (const args of queued) api.apply(0, args as unknown as Parameters<Tidemark>);
};
if (doc.prerendering) on(doc, 'prerenderingchange', start);
else start();
