/**
 * The live path end to end in one embedded stack with API_TOKEN set: an event POSTed to the
 * collector reaches a `/api/v1/stream` subscriber within 2 s, and the dashboard page in real
 * headless Chromium (token from `?token=`, then kept in sessionStorage) shows the numbers change
 * in its realtime view.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.ts';
import { responseChecker } from './dashboard-openapi.ts';
import { DESKTOP_UA, postEvents, ROOT, type Stack, startStack, uniqueName, waitFor } from './harness.ts';

const TOKEN = uniqueName('token');

/** Reads `event: live` messages from an SSE response as they arrive. */
function liveEvents(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return async function next(): Promise<{ views: number; visitors: number }> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^event: live\ndata: (.*)$/m.exec(message)?.[1];
        if (data) return JSON.parse(data);
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

describe('live dashboard (embedded stack, API_TOKEN set)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ API_TOKEN: TOKEN, TRUST_PROXY: 'true' }); // TRUST_PROXY: countries from CF-IPCountry
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an event POSTed to the collector reaches a stream subscriber within 2 s', async () => {
    const site = `${uniqueName('sse')}.example`;
    expect((await fetch(`${stack.apiUrl}/api/v1/stream?site=${site}`)).status).toBe(401);
    const controller = new AbortController();
    const res = await fetch(`${stack.apiUrl}/api/v1/stream?site=${site}&token=${TOKEN}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const next = liveEvents(res.body as ReadableStream<Uint8Array>);
    expect(await next()).toMatchObject({ site, views: 0 });

    const posted = Date.now();
    expect((await postEvents(stack.collectorUrl, { site, name: 'pageview', url: `https://${site}/hello` })).status).toBe(202);
    let live = await next();
    while (live.views === 0) live = await next();
    const latencyMs = Date.now() - posted;
    expect(live).toMatchObject({ views: 1, visitors: 1 });
    expect(latencyMs).toBeLessThan(2000);
    const check = responseChecker(await (await fetch(`${stack.apiUrl}/openapi.json`)).json());
    expect(check('/api/v1/stream', 200, live)).toEqual([]);
    controller.abort();
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      // Playwright gives every launch a fresh, temporary user data directory.
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows the numbers change as events are posted, on a laptop and a phone', async () => {
      const site = `${uniqueName('page')}.example`;
      const send = (path: string, country: string, ua = DESKTOP_UA) =>
        postEvents(
          stack.collectorUrl,
          { site, name: 'pageview', url: `https://${site}${path}`, referrer: 'https://www.google.com/' },
          { 'User-Agent': ua, 'CF-IPCountry': country },
        );
      expect((await send('/', 'DE')).status).toBe(202);
      await waitFor(
        async () => (await fetch(`${stack.apiUrl}/api/v1/live?site=${site}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json(),
        (body) => (body as { views: number }).views === 1,
      );

      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${stack.apiUrl}/?site=${site}&token=${TOKEN}&period=realtime`);
      // The token moved from the URL to sessionStorage.
      expect(page.url()).not.toContain(TOKEN);
      expect(await page.evaluate("sessionStorage.getItem('tidemark_token')")).toBe(TOKEN);
      const pageviews = page.locator('.stat[data-metric="pageviews"] .stat-value');
      await page.locator('.stat[data-metric="pageviews"] .stat-value[data-value="1"]').waitFor({ timeout: 15_000 });
      await page.locator('#panel-pages tbody tr[data-value="/"]').waitFor();

      for (const [path, country] of [
        ['/pricing', 'FR'],
        ['/pricing', 'US'],
        ['/docs', 'DE'],
        ['/blog/hello', 'GB'],
      ] as const) {
        expect((await send(path, country)).status).toBe(202);
      }
      await page.locator('.stat[data-metric="pageviews"] .stat-value[data-value="5"]').waitFor({ timeout: 15_000 });
      expect(await pageviews.textContent()).toBe('5');
      await page.locator('#panel-pages tbody tr[data-value="/pricing"]').waitFor({ timeout: 15_000 });
      await page.locator('#panel-locations [data-tab="country"]').click();
      // Countries are the visit's (its entry's): one visitor here, first seen in DE.
      await page.locator('#panel-locations tbody tr[data-value="DE"]').waitFor({ timeout: 15_000 });
      // 30 minutes by minute: 31 buckets when the window does not start on a whole minute.
      expect([30, 31]).toContain(Number(await page.locator('.plot').getAttribute('data-points')));
      await page.locator('#freshness', { hasText: /data lag/ }).waitFor({ timeout: 15_000 });
      expect(await page.locator('#current').getAttribute('data-value')).toMatch(/^\d+$/);

      mkdirSync(join(ROOT, '.tmp'), { recursive: true });
      await page.screenshot({ path: join(ROOT, '.tmp', 'dashboard-laptop.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(ROOT, '.tmp', 'dashboard-phone.png'), fullPage: true });
      expect(errors).toEqual([]);
      await context.close();
    });

    it('asks for the token when none is stored', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      let asked = 0;
      page.on('dialog', async (dialog) => {
        asked += 1;
        await dialog.accept(TOKEN);
      });
      await page.goto(`${stack.apiUrl}/`);
      await waitFor(
        async () => page.evaluate("sessionStorage.getItem('tidemark_token')"),
        (stored) => stored === TOKEN,
      );
      expect(asked).toBe(1);
      await context.close();
    });
  });
});
