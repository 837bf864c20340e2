/**
 * Real headless Chromium (RECIPES.md "Browsers"), with `*.test` resolving to 127.0.0.1 and the
 * back-forward cache left on (Playwright turns it off by default).
 */
import { type Browser, type BrowserContext, chromium, type Page, type Request } from 'playwright-core';

/** An ordinary desktop Chrome: what the collector must store (HeadlessChrome is a bot). */
export const DESKTOP_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
    ],
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
}

export function newContext(browser: Browser, options: { userAgent?: string | 'headless' } = {}): Promise<BrowserContext> {
  const { userAgent = DESKTOP_UA } = options;
  return browser.newContext(userAgent === 'headless' ? {} : { userAgent });
}

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

/** Records every event request a context's pages send (beacons and fetches alike). */
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
    /** Set by `emulateVisibility`: makes the page hidden or visible and fires visibilitychange. */
    __setVisibility?: (state: DocumentVisibilityState) => void;
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
      document.dispatchEvent(new Event('visibilitychange'));
    };
  }, initial);
}

export function setVisibility(page: Page, state: DocumentVisibilityState): Promise<void> {
  return page.evaluate((next) => window.__setVisibility?.(next), state);
}
