/**
 * Real headless Chromium for the browser tests (RECIPES.md "Browsers"): Debian's build, `*.test`
 * resolving to 127.0.0.1, the back-forward cache left on (Playwright turns it off by default).
 */
import { type Browser, chromium } from 'playwright-core';
import { DESKTOP_UA } from './harness.ts';

/**
 * Chromium with an ordinary desktop User-Agent for every request. The UA is a launch switch, not
 * a context option: Playwright's per-page override does not reach requests a page sends while it
 * unloads (the engagement beacon on pagehide), which would then say HeadlessChrome and be dropped
 * as bots. `headless: true` keeps Chromium's own `HeadlessChrome` UA, for the one test that proves
 * the collector drops it.
 */
export function launchBrowser(userAgent: 'desktop' | 'headless' = 'desktop'): Promise<Browser> {
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
      ...(userAgent === 'desktop' ? [`--user-agent=${DESKTOP_UA}`] : []),
    ],
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
}
