/**
 * Reading the dashboard page from Playwright (tests and `pnpm bench`): signing a browser context
 * in, when the page is settled, its top numbers, and axe-core's serious violations. The page counts its pending queries in `document.body.dataset.pending`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';

/**
 * The little of the page's `document` these functions read: the root typings have no DOM, and
 * the page's CSP forbids eval, so page code cannot be text in `waitForFunction`.
 */
export interface PageDocument {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}

/** Waits until no query is pending and the top numbers (or an error) are drawn. */
export async function settled(page: Page, timeout = 20_000): Promise<void> {
  const ready = () => {
    const document = (globalThis as unknown as { document: PageDocument }).document;
    return (
      document.body.dataset.pending === '0' &&
      (document.querySelector('.stat-value[data-value]:not([data-value=""])') !== null || document.querySelector('.error') !== null)
    );
  };
  await page.waitForFunction(ready, undefined, { timeout, polling: 'raf' });
  // Panels start their queries after the top numbers: settled is pending 0 twice, a frame apart.
  await page.waitForTimeout(50);
  await page.waitForFunction(ready, undefined, { timeout, polling: 'raf' });
}

/**
 * Scrolls `selector` (default: every card of the page, in turn) into view and waits until the
 * page is settled: below the fold, panels and cards ask their rows once they are seen.
 */
export async function seeing(page: Page, selector = 'main .card'): Promise<void> {
  for (const card of await page.locator(selector).all()) {
    await card.scrollIntoViewIfNeeded();
    // Two frames: the intersection observers see the new scroll position.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  }
  await settled(page);
}

/** The six top numbers as the page holds them (`data-value`), null where it shows none. */
export function topNumbers(page: Page): Promise<(number | null)[]> {
  return page.$$eval('.stat-value', (els) =>
    els.map((e) => (e.getAttribute('data-value') === '' ? null : Number(e.getAttribute('data-value')))),
  );
}

/** Signs a browser context in with a key, as the sign-in form does (`POST /api/session`: a session cookie for every page of the context). */
export async function signIn(context: BrowserContext, apiUrl: string, key: string): Promise<void> {
  const res = await context.request.post(`${apiUrl}/api/session`, { data: { key } });
  if (!res.ok()) throw new Error(`sign-in: ${res.status()} ${await res.text()}`);
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now, `id: targets` each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // Page code as text (the root typings have no DOM); evaluate, unlike waitForFunction, is not held to the page's CSP.
  const violations = (await page.evaluate('axe.run().then((r) => r.violations)')) as {
    id: string;
    impact: string;
    nodes: { target: string[] }[];
  }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
