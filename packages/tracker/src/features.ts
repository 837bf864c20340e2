// Features a site opts into (`data-respect-dnt` and `data-hash` on the script tag; the `respectDnt`
// and `hashRouting` exports of the npm module, passed to `init`). Each runs once at the start,
// before the first pageview. Link clicks are in clicks.ts.
import type { Tracker } from './types.js';

/** Send nothing when the browser sends Global Privacy Control or Do Not Track. */
export function respectDnt(tracker: Tracker): void {
  if (navigator.globalPrivacyControl || navigator.doNotTrack === '1') tracker.off = 1;
}

/** Hash changes (`#/route`) are navigations: the hash is part of the page's URL. */
export function hashRouting(tracker: Tracker): void {
  tracker.cut = undefined;
  addEventListener('hashchange', tracker.view);
}
