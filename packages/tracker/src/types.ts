/** Custom properties of an event: at most 30 keys of 1–64 characters; values a string of at most 256 characters, a number or a boolean. */
export type Props = Record<string, string | number | boolean>;

/** An event as `beforeSend` sees it, and may rewrite. */
export interface TidemarkEvent {
  /** `pageview`, `engagement`, `outbound`, `download`, or a custom event's name. */
  name: string;
  /** The page's URL (`location.href`, or the `url` given to `trackPageview`). */
  url: string;
  /** The page's referrer: `document.referrer`, or the previous page after an SPA navigation; absent when there is none. */
  referrer?: string | undefined;
  props?: Props | undefined;
}

/** Sends a custom event of the current page, as it is (the collector refuses a bad one). */
export type Send = (name: string, props?: Props) => void;

/** The running tracker, as features see it. */
export interface Tracker {
  /** Sends a custom event now. */
  send: Send;
  /** Counts a pageview when the URL changed since the last one (what navigations call). */
  view: () => void;
  /** Module only: a pageview now, of `url`, with `props` (what `trackPageview()` calls). */
  page?: (url?: string, props?: Props) => void;
  /** Truthy: send nothing (a loopback page, or Do Not Track with `respectDnt`). */
  off?: unknown;
  /**
   * Where a URL is cut to compare pages: at `'#'` (a new hash is no new page), or nowhere with
   * `hashRouting` (`undefined`: `split(undefined)` keeps the whole URL).
   */
  cut?: string | undefined;
}

/**
 * An optional feature, passed to `init` as the value of its option: `init({ site, outboundLinks })`
 * after `import { outboundLinks } from '@tidemark/tracker'`. Being an import rather than a
 * `true`, a feature an app does not use is not in its bundle.
 */
export type Feature = (tracker: Tracker) => void;

/** What `init` takes: the script tag's `data-*` attributes as typed fields, and `beforeSend`. */
export interface TrackerOptions {
  /** The site's name in Tidemark (a host name, e.g. `example.com`). Required. */
  site: string;
  /**
   * The collector's events endpoint: an absolute `http(s)` URL (`https://stats.example.com/api/event`)
   * or a path on the page's own origin (`/api/event`, the default: a proxied collector).
   */
  endpoint?: string;
  /** Also track on `localhost`, `127.*`, `[::1]` and `file:` pages. Default `false`. */
  allowLocalhost?: boolean;
  /**
   * Send nothing when the browser sends Global Privacy Control or Do Not Track: pass the
   * `respectDnt` export. Default off.
   */
  respectDnt?: Feature;
  /** Count hash changes (`#/route`) as pageviews, for hash-routed apps: pass the `hashRouting` export. Default off. */
  hashRouting?: Feature;
  /**
   * Send an `outbound` event (`props: { url }`) when a link to another host is clicked or
   * middle-clicked: pass the `outboundLinks` export. Default off.
   */
  outboundLinks?: Feature;
  /**
   * Send a `download` event (`props: { url }`) when a link to a file (pdf, zip, docx, mp4, …) is
   * clicked or middle-clicked: pass the `fileDownloads` export. Default off.
   */
  fileDownloads?: Feature;
  /**
   * Send a pageview on load and on every SPA navigation (`history.pushState`/`replaceState`,
   * back and forward, back-forward-cache restores). Default `true`; set `false` when the app's
   * router calls `trackPageview()` itself.
   */
  autoPageviews?: boolean;
  /**
   * Called with every event before it is sent: return it (changed or not) to send it, or
   * `null` to drop it — e.g. strip ids from paths, or skip admin pages. Dropping a pageview
   * also drops its engagement.
   */
  beforeSend?: (event: TidemarkEvent) => TidemarkEvent | null | undefined;
}
