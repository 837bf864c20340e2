/**
 * Real headless Chromium (RECIPES.md "Browsers"), with `*.test` resolving to 127.0.0.1 and the
 * back-forward cache left on (Playwright turns it off by default).
 */
import type { BrowserContext, Page, Request } from 'playwright-core';

export { launchBrowser } from '../../../test/browser.ts';

/** What a page handed to the network for the events endpoint, in the order the tracker sent it. */
export interface SentEvent {
  name: string;
  url: string;
  eventId: string;
  pageviewId?: string;
  durationMs?: number;
  referrer?: string;
  props?: Record<string, unknown>;
  site: string;
  screenWidth: number;
  /** The request itself (method, headers). */
  request: Request;
}

/**
 * Records every event request a context's pages send (beacons and fetches alike). Playwright does
 * not report requests sent by a document that is unloading (engagement on pagehide): those are
 * seen only in what the collector stored.
 */
export function recordSent(context: BrowserContext): SentEvent[] {
  const sent: SentEvent[] = [];
  context.on('request', (request) => {
    if (request.method() !== 'POST' || !new URL(request.url()).pathname.endsWith('/api/event')) return;
    const body = request.postData();
    if (body) sent.push({ ...(JSON.parse(body) as Omit<SentEvent, 'request'>), request });
  });
  return sent;
}

declare global {
  interface Window {
    /** Set by `emulateVisibility`: makes the page hidden or visible, fires visibilitychange, returns performance.now() of that moment. */
    __setVisibility?: (state: DocumentVisibilityState) => number;
  }
}

/**
 * Headless Chromium never hides a page (switching tabs or minimizing changes nothing), so the
 * page's visibility is emulated: document.visibilityState/hidden read a flag the test flips,
 * and flipping it fires visibilitychange, as a tab switch does.
 */
export async function emulateVisibility(page: Page, initial: DocumentVisibilityState = 'visible'): Promise<void> {
  await page.addInitScript((start: DocumentVisibilityState) => {
    let state = start;
    Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => state === 'hidden' });
    window.__setVisibility = (next) => {
      state = next;
      const at = performance.now();
      // As a browser fires it (HTML "update the visibility state"): at the document, bubbling to the window.
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
      return at;
    };
  }, initial);
}

/** Flips the emulated visibility; resolves to the page's performance.now() at the change. */
export async function setVisibility(page: Page, state: DocumentVisibilityState): Promise<number> {
  const at = await page.evaluate((next) => window.__setVisibility?.(next), state);
  if (at === undefined) throw new Error('setVisibility: call emulateVisibility(page) before the page loads');
  return at;
}
