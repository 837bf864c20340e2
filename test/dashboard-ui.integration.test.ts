/**
 * The dashboard UI in real headless Chromium against a real embedded stack (API_TOKEN set) over
 * a backdated server-side workload: the page's numbers equal the Query API's for several periods,
 * time zones and filters; a click on a row filters every panel; the URL round-trips; the live
 * view shows a new event (its latency printed against the 2 s target); CSV export equals the API's CSV; axe-core finds no serious
 * violation; no request leaves the dashboard's origin. Screenshots (1400×1000, 390×844, light
 * and dark) go to .tmp/screenshots (docs/screenshots with SCREENSHOTS=docs).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.ts';
import { type PageDocument, seeing, seriousViolations, settled, signIn, topNumbers } from './dashboard-page.ts';
import { sendServerEvents, uiWorkload } from './dashboard-ui-seed.ts';
import { postEvents, ROOT, type Stack, startStack, uniqueName, waitFor, waitUntil } from './harness.ts';

const TOKEN = uniqueName('token');
const TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];
const SHOTS = process.env.SCREENSHOTS === 'docs' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, '.tmp', 'screenshots');

type Filter = [string, string, string[]];
interface Answer {
  results: { dimensions: string[]; metrics: (number | null)[]; comparison?: { metrics: (number | null)[] } }[];
}

describe('dashboard UI (embedded stack, real Chromium)', () => {
  const site = `${uniqueName('ui')}.example`;
  /** A site of its own, registered with goals (one with a property condition) by the goal-row test alone. */
  const goalSite = `${uniqueName('ui-goals')}.example`;
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  const foreign: string[] = [];

  const api = async (body: Record<string, unknown>, accept = 'application/json') => {
    const res = await fetch(`${stack.apiUrl}/api/v2/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', Accept: accept },
      body: JSON.stringify({ site, ...body }),
    });
    expect(res.status).toBe(200);
    return accept === 'text/csv' ? res.text() : ((await res.json()) as Answer);
  };

  /** Stores `events` and waits until their visits are cut (their count holds still). */
  const stored = async (of: string, events: ReturnType<typeof uiWorkload>) => {
    await sendServerEvents(stack.collectorUrl, TOKEN, events);
    await waitFor(
      () => stack.query<{ n: string }>('SELECT count() AS n FROM {db}.events WHERE site = {site:String}', { site: of }),
      (rows) => Number(rows[0]?.n) === events.length,
      30_000,
    );
    let visits = -1;
    await waitFor(
      async () => {
        const [row] = await stack.query<{ n: string }>('SELECT count() AS n FROM {db}.visits FINAL WHERE site = {site:String}', {
          site: of,
        });
        const same = Number(row?.n) === visits && visits > 0;
        visits = Number(row?.n);
        return same;
      },
      (same) => same,
      30_000,
      1000,
    );
  };

  const open = async (page: Page, query: string) => {
    const t = Date.now();
    await page.goto(`${stack.apiUrl}/?site=${site}&${query}`);
    await settled(page);
    if (process.env.DEBUG_UI) console.log('open', query, Date.now() - t, 'ms');
  };

  /** The top pageviews number the page holds. */
  const pageviewsOf = async (page: Page) =>
    Number(await page.locator('.stat[data-metric="pageviews"] .stat-value').getAttribute('data-value'));

  /** Waits (a live refresh) until the page's pageviews number is above `n`. */
  const pageviewsAbove = (page: Page, n: number) =>
    page.waitForFunction(
      ([above]) => {
        const document = (globalThis as unknown as { document: PageDocument }).document;
        return Number(document.querySelector('.stat[data-metric="pageviews"] .stat-value')?.getAttribute('data-value')) > (above ?? 0);
      },
      [n],
      { timeout: 60_000 },
    );

  const panelRows = async (page: Page, panel: string) => {
    await seeing(page, `#panel-${panel}`);
    return page.$$eval(`#panel-${panel} tbody tr`, (trs) =>
      trs.map((tr) => [tr.getAttribute('data-value'), Number(tr.querySelector('td.num')?.getAttribute('data-value'))]),
    );
  };

  const expectPanel = async (page: Page, panel: string, dimension: string, metric: string, base: Record<string, unknown>) => {
    const answer = (await api({ ...base, metrics: [metric], dimensions: [dimension], limit: 9 })) as Answer;
    expect(await panelRows(page, panel)).toEqual(answer.results.map((r) => [r.dimensions[0], r.metrics[0]]));
    return answer;
  };

  beforeAll(async () => {
    // SITES: the shared site's events stay accepted once a test registers its own site (registration is enforcement).
    stack = await startStack({ API_TOKEN: TOKEN, SITES: `${site},${goalSite}` });
    // Visits are cut from the stored events a moment later: `stored` waits until their count holds still.
    await stored(site, uiWorkload(site, Date.now()));
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    context.on('request', (r) => {
      if (!r.url().startsWith(stack.apiUrl) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    // Signed in once (a session cookie, as the sign-in form gets): every page of the context reads with it.
    await signIn(context, stack.apiUrl, TOKEN);
    context.on('page', (p) => p.on('pageerror', (e) => foreign.push(`pageerror: ${e}`)));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const newPage = async () => {
    const page = await context.newPage();
    await page.goto(`${stack.apiUrl}/?site=${site}`);
    await settled(page);
    return page;
  };

  it('shows the Query API numbers for several periods, time zones and filters', async () => {
    const page = await newPage();
    const cases: { url: string; body: Record<string, unknown> }[] = [
      { url: 'period=30d', body: { dateRange: '30d' } },
      { url: 'period=7d&tz=America%2FNew_York', body: { dateRange: '7d', timezone: 'America/New_York' } },
      { url: 'period=today&tz=Asia%2FKathmandu', body: { dateRange: 'today', timezone: 'Asia/Kathmandu' } },
      { url: 'period=28d&compare=previous_period', body: { dateRange: '28d', compare: 'previous_period' } },
      {
        url: 'period=30d&f=is,country,DE|FR&f=contains,page,/docs',
        body: {
          dateRange: '30d',
          filters: [
            ['is', 'country', ['DE', 'FR']],
            ['contains', 'page', ['/docs']],
          ],
        },
      },
      {
        url: 'period=month&f=is_not,browser,Firefox&tz=Europe%2FBerlin',
        body: { dateRange: 'month', timezone: 'Europe/Berlin', filters: [['is_not', 'browser', ['Firefox']]] },
      },
    ];
    for (const { url, body } of cases) {
      await open(page, url);
      const answer = (await api({ ...body, metrics: TOP })) as Answer;
      expect(await topNumbers(page), url).toEqual(answer.results[0]?.metrics);
      if (body.compare) {
        const previous = await page.$$eval('.stat-compare [data-previous]', (els) =>
          els.map((e) => Number(e.getAttribute('data-previous'))),
        );
        expect(previous).toEqual(answer.results[0]?.comparison?.metrics);
        expect(await page.locator('.u-legend').textContent()).toContain('Comparison');
      }
      await expectPanel(page, 'pages', 'page', 'visitors', body);
      await expectPanel(page, 'sources', 'channel', 'visits', body);
      // The chart holds every bucket of the period at the grain it shows (the API's own choice for a
      // bare `time` differs: `today` by minute in its first two hours, the chart by hour).
      const grain = await page.locator('.plot').getAttribute('data-grain');
      expect(grain, url).toMatch(/^(minute|hour|day|week|month)$/);
      const series = (await api({ ...body, metrics: ['visitors'], dimensions: [`time:${grain}`], limit: 10_000 })) as Answer;
      const points = Number(await page.locator('.plot').getAttribute('data-points'));
      expect(points, url).toBeGreaterThan(0);
      expect(points, url).toBe(series.results.length);
    }
    // The time zone picker and the period shortcut keys change the view and its URL.
    await page.locator('#tz').selectOption('Asia/Tokyo');
    await page.waitForURL(/tz=Asia%2FTokyo/);
    await page.locator('body').press('w');
    await page.waitForURL(/period=7d/);
    await settled(page);
    // (The last case's filter stays.)
    const tokyo = (await api({
      dateRange: '7d',
      timezone: 'Asia/Tokyo',
      filters: [['is_not', 'browser', ['Firefox']]],
      metrics: TOP,
    })) as Answer;
    expect(await topNumbers(page)).toEqual(tokyo.results[0]?.metrics);
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('a click on a row filters every panel, the URL round-trips, Back undoes it', async () => {
    const page = await newPage();
    await open(page, 'period=30d');
    const before = await topNumbers(page);
    await page.locator('#panel-pages tbody tr[data-value="/pricing"] button').click();
    await page.waitForURL(/f=is%2Cpage%2C%2Fpricing/);
    await settled(page);
    const filtered: Filter[] = [['is', 'page', ['/pricing']]];
    const base = { dateRange: '30d', filters: filtered };
    const answer = (await api({ ...base, metrics: TOP })) as Answer;
    expect(await topNumbers(page)).toEqual(answer.results[0]?.metrics);
    expect(await topNumbers(page)).not.toEqual(before);
    await expectPanel(page, 'pages', 'page', 'visitors', base);
    await expectPanel(page, 'sources', 'channel', 'visits', base);
    await page.locator('#panel-locations [data-tab="country"]').click();
    await settled(page);
    await expectPanel(page, 'locations', 'country', 'visits', base);
    await expectPanel(page, 'devices', 'device', 'visits', base);
    await expectPanel(page, 'goals', 'goal', 'visitors', base);
    expect(await page.locator('.chip').count()).toBe(1);

    // A second click (a country) adds to the filters; the same URL in a new tab shows the same page.
    const country = await page.locator('#panel-locations tbody tr').first().getAttribute('data-value');
    await page.locator('#panel-locations tbody tr button').first().click();
    await page.waitForURL(/f=is%2Ccountry/);
    await settled(page);
    const both = { dateRange: '30d', filters: [...filtered, ['is', 'country', [country]]] };
    const numbers = await topNumbers(page);
    expect(numbers).toEqual(((await api({ ...both, metrics: TOP })) as Answer).results[0]?.metrics);
    const url = page.url();
    const again = await context.newPage(); // a new tab of the same signed-in browser
    await again.goto(url);
    expect(again.url()).toBe(url);
    await settled(again);
    expect(await topNumbers(again)).toEqual(numbers);
    expect(await again.locator('.chip').allTextContents()).toEqual(await page.locator('.chip').allTextContents());
    await again.close();

    await page.goBack();
    await settled(page);
    expect(await topNumbers(page)).toEqual(answer.results[0]?.metrics);
    await page.close();
  });

  it('the Regions and Cities tabs show the collected places as the Query API counts them; a row click filters; DB-IP is credited', async () => {
    // The seed's visitors come from real addresses (8.8.8.8: California, Mountain View; 81.2.69.160: England, London …).
    const page = await newPage();
    await open(page, 'period=30d');
    const base = { dateRange: '30d' };
    await page.locator('#panel-locations [data-tab="region"]').click();
    await settled(page);
    const regions = await expectPanel(page, 'locations', 'region', 'visits', base);
    expect(regions.results.map((r) => r.dimensions[0])).toEqual(expect.arrayContaining(['California', 'England']));
    // Each place with its country (the names alone may stand in several).
    const country = (value: string) => page.locator(`#panel-locations tbody tr[data-value="${value}"] .place-country`).textContent();
    expect((await country('California'))?.trim()).toBe('United States');
    expect((await country('England'))?.trim()).toBe('United Kingdom');
    await page.locator('#panel-locations [data-tab="city"]').click();
    await settled(page);
    const cities = await expectPanel(page, 'locations', 'city', 'visits', base);
    expect(cities.results.map((r) => r.dimensions[0])).toEqual(expect.arrayContaining(['Mountain View', 'London']));
    await page.locator('#panel-locations').screenshot({ path: join(SHOTS, 'locations-cities-laptop-light.png') });
    const credit = page.locator('#panel-locations .credit a');
    expect(await page.locator('#panel-locations .credit').textContent()).toBe('IP geolocation by DB-IP');
    expect(await credit.getAttribute('href')).toBe('https://db-ip.com');
    // A click on a city row filters the whole page by it.
    await page.locator('#panel-locations tbody tr[data-value="Mountain View"] button').click();
    await page.waitForURL(/f=is%2Ccity%2CMountain(%20|\+)View/);
    await settled(page);
    const filtered = { dateRange: '30d', filters: [['is', 'city', ['Mountain View']]] };
    expect(await topNumbers(page)).toEqual(((await api({ ...filtered, metrics: TOP })) as Answer).results[0]?.metrics);
    await page.locator('#panel-locations [data-tab="region"]').click();
    await settled(page);
    expect((await expectPanel(page, 'locations', 'region', 'visits', filtered)).results.map((r) => r.dimensions[0])).toEqual([
      'California',
    ]);
    await page.close();
  });

  it('a click on each goal row of a site with a property goal shows the Query API numbers, no error', async () => {
    // Its own site, registered with goals here and left registered: the shared site is not touched.
    const goals = [
      { name: 'Pricing', path: '/pricing' },
      { name: 'Docs', path: '/docs**' },
      { name: 'Signup', event: 'signup' },
      { name: 'Pro signup', event: 'signup', props: { plan: 'pro' } },
    ];
    const res = await fetch(`${stack.apiUrl}/api/v2/sites`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ site: goalSite, goals }),
    });
    expect(res.status).toBe(201);
    await stored(goalSite, uiWorkload(goalSite, Date.now(), 80, 29));
    const rows = ((await api({ site: goalSite, dateRange: '30d', metrics: ['visitors'], dimensions: ['goal'], limit: 9 })) as Answer)
      .results;
    expect(rows.map((r) => r.dimensions[0]).sort()).toEqual(goals.map((g) => g.name).sort());
    const page = await context.newPage();
    for (const { dimensions } of rows) {
      const goal = dimensions[0] as string;
      await page.goto(`${stack.apiUrl}/?site=${goalSite}&period=30d`);
      await settled(page);
      await seeing(page, '#panel-goals');
      await page.locator(`#panel-goals tbody tr[data-value="${goal}"] button.link`).click();
      await page.waitForURL(new RegExp(`f=is%2Cgoal%2C${encodeURIComponent(goal).replaceAll('%20', '(%20|\\+)')}`));
      await settled(page);
      // What a user sees first: no error anywhere on the page, and six numbers.
      await seeing(page);
      expect(await page.locator('.error').allTextContents(), goal).toEqual([]);
      const shown = await topNumbers(page);
      expect(
        shown.every((n) => n !== null),
        goal,
      ).toBe(true);
      const answer = (await api({ site: goalSite, dateRange: '30d', filters: [['is', 'goal', [goal]]], metrics: TOP })) as Answer;
      expect(answer.results[0]?.metrics[1], goal).toBeGreaterThan(0);
      expect(shown, goal).toEqual(answer.results[0]?.metrics);
    }
    await page.close();
  });

  it('the filter bar adds is / is not / contains on a dimension and on a custom property', async () => {
    const page = await newPage();
    await open(page, 'period=30d');
    await page.getByRole('button', { name: '+ Filter' }).click();
    await page.getByLabel('Dimension').selectOption('prop');
    await page.getByLabel('Property', { exact: true }).fill('plan');
    await page.getByLabel('Operator').selectOption('is_not');
    await page.getByLabel(/^Value/).fill('free');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/f=is_not%2Cprop%3Aplan%2Cfree/);
    await settled(page);
    const base = { dateRange: '30d', filters: [['is_not', 'prop:plan', ['free']]] };
    // All six top numbers: a visit counts when one of its events carries the property's value.
    const numbers = ((await api({ ...base, metrics: TOP })) as Answer).results[0]?.metrics ?? [];
    expect(numbers.every((n) => typeof n === 'number')).toBe(true);
    expect(numbers[1]).toBeGreaterThan(0);
    expect(await topNumbers(page)).toEqual(numbers);
    expect(await page.locator('.error').count()).toBe(0);
    // The goals panel: goals, then the properties of custom events.
    await expectPanel(page, 'goals', 'goal', 'visitors', base);
    await page.locator('#panel-goals [data-tab="props"]').click();
    await page.locator('#panel-goals select').waitFor();
    await expect.poll(() => page.locator('#panel-goals select').inputValue()).toBe('plan');
    await settled(page);
    const props = (await api({
      ...base,
      filters: [...base.filters, ['is_not', 'prop:plan', ['']]],
      metrics: ['visitors'],
      dimensions: ['prop:plan'],
      limit: 9,
    })) as Answer;
    expect(await panelRows(page, 'goals')).toEqual(props.results.map((r) => [r.dimensions[0], r.metrics[0]]));
    expect(props.results.map((r) => r.dimensions[0]).sort()).toEqual(['pro', 'team']);
    await page.close();
  });

  it('details: every row, search and sort as the API answers them', async () => {
    const page = await newPage();
    await open(page, 'period=30d');
    await page.locator('#panel-pages').getByRole('button', { name: 'Details' }).click();
    const dialog = page.locator('dialog.details');
    await dialog.waitFor();
    await settled(page);
    const rows = () =>
      dialog
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.getAttribute('data-value'),
            ...[...tr.querySelectorAll('td.num')].map((td) => Number(td.getAttribute('data-value'))),
          ]),
        );
    // Plausible's top pages details: visitors, pageviews, bounce rate, time on page, scroll depth.
    const metrics = ['visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth', 'percentage'];
    const cells = (a: Answer) => a.results.map((r) => [r.dimensions[0], ...r.metrics]);
    let answer = (await api({ dateRange: '30d', metrics, dimensions: ['page'], limit: 100 })) as Answer;
    expect(await rows()).toEqual(cells(answer));
    // The seed's engagements give every page a time on page and a scroll depth, and some pages bounces.
    for (const i of [2, 3, 4]) expect(answer.results.some((r) => (r.metrics[i] ?? 0) > 0)).toBe(true);
    await expect.poll(() => dialog.locator('thead').textContent()).toContain('Scroll depth');
    await dialog.locator('[data-sort="page"]').click();
    await settled(page);
    answer = (await api({ dateRange: '30d', metrics, dimensions: ['page'], limit: 100, orderBy: [['page', 'asc']] })) as Answer;
    expect(await rows()).toEqual(cells(answer));
    await dialog.getByRole('searchbox').fill('docs');
    await settled(page);
    answer = (await api({
      dateRange: '30d',
      metrics,
      dimensions: ['page'],
      limit: 100,
      orderBy: [['page', 'asc']],
      filters: [['contains', 'page', ['docs']]],
    })) as Answer;
    expect(await rows()).toEqual(cells(answer));
    expect(answer.results.length).toBeGreaterThan(0);
    await page.close();
  });

  it('CSV export of a panel equals the Query API CSV', async () => {
    const page = await newPage();
    await open(page, 'period=30d&tz=Europe%2FBerlin');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#panel-sources').getByRole('button', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${site}-30d-channel.csv`);
    const file = readFileSync((await download.path()) as string, 'utf8');
    const expected = await api(
      {
        dateRange: '30d',
        timezone: 'Europe/Berlin',
        filters: [],
        metrics: ['visits', 'visitors', 'bounce_rate', 'visit_duration'],
        dimensions: ['channel'],
        limit: 10_000,
      },
      'text/csv',
    );
    expect(file).toBe(expected);
    expect(file.split('\r\n')[0]).toBe('channel,visits,visitors,bounce_rate,visit_duration');
    await page.close();
  });

  it('the realtime view shows a new event (target: within 2 s), with the data lag', async () => {
    const page = await newPage();
    await open(page, 'period=realtime');
    await page.locator('#freshness[data-lag]:not([data-lag=""])').waitFor();
    const pageviews = () => pageviewsOf(page);
    const before = await pageviews();
    const posted = Date.now();
    const res = await postEvents(stack.collectorUrl, { site, name: 'pageview', url: `https://${site}/live` });
    expect(res.status).toBe(202);
    await pageviewsAbove(page, before);
    const latencyMs = Date.now() - posted;
    expect(await pageviews()).toBe(before + 1);
    // Speed is a benchmark's (bench/freshness.ts); a test asserting it fails on a loaded machine.
    console.log(`realtime view: the event showed ${latencyMs} ms after its 202 (target < 2000 ms)`);
    await settled(page); // the panels' refresh answered: nothing in flight when the stack stops
    await page.close();
  });

  it('the realtime view shows an event that landed before its stream opened', async () => {
    // The stream opens after the first view has answered: what lands in between (here, held
    // there on purpose) must show when the stream's first message comes, not with the next change.
    const page = await context.newPage();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/v1/stream?*', async (route) => {
      await gate;
      await route.continue();
    });
    await open(page, 'period=realtime');
    const pageviews = () => pageviewsOf(page);
    const before = await pageviews();
    const stored = async () => ((await api({ dateRange: '30m', metrics: ['pageviews'] })) as Answer).results[0]?.metrics[0] ?? 0;
    const storedBefore = await stored();
    const res = await postEvents(stack.collectorUrl, { site, name: 'pageview', url: `https://${site}/before-stream` });
    expect(res.status).toBe(202);
    await waitUntil('the event stored', stored, (n) => n === storedBefore + 1, { timeoutMs: 30_000 });
    expect(await pageviews()).toBe(before); // nothing refreshed yet: the stream is held
    release();
    await pageviewsAbove(page, before);
    expect(await pageviews()).toBe(before + 1);
    await settled(page);
    await page.close();
  });

  it('passes axe-core with no serious violation, light and dark (the dashboard, sign-in, settings, a shared link); screenshots', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const link = await fetch(`${stack.apiUrl}/api/v2/sites/${site}/shared-links`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'axe', password: 'a long password' }),
    });
    expect(link.status).toBe(201);
    const shared = (await link.json()) as { url: string };
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [name, viewport] of [
        ['laptop', { width: 1400, height: 1000 }],
        ['phone', { width: 390, height: 844 }],
      ] as const) {
        const ctx = await browser.newContext({ viewport, colorScheme, bypassCSP: true });
        const page = await ctx.newPage();
        // Not signed in: the sign-in form.
        await page.goto(`${stack.apiUrl}/?site=${site}`);
        await page.locator('#signin-key').waitFor();
        expect(await seriousViolations(page), `sign-in ${name} ${colorScheme}`).toEqual([]);
        // A shared link's password form, then its read-only dashboard.
        await page.goto(shared.url);
        await page.locator('#unlock-password').fill('a long password');
        await page.locator('#unlock-form button').click();
        await seeing(page);
        expect(await page.locator('#site').isDisabled()).toBe(true);
        expect(await seriousViolations(page), `shared ${name} ${colorScheme}`).toEqual([]);
        if (name === 'laptop') await page.screenshot({ path: join(SHOTS, `shared-${name}-${colorScheme}.png`), fullPage: true });

        await signIn(ctx, stack.apiUrl, TOKEN);
        await page.goto(`${stack.apiUrl}/?site=${site}&period=30d&compare=previous_period`);
        await settled(page);
        await page.locator('#panel-locations [data-tab="map"]').click();
        await page.locator('svg.map path').first().waitFor();
        await seeing(page); // every card below the fold drawn, for the full-page screenshot
        await page.screenshot({ path: join(SHOTS, `dashboard-${name}-${colorScheme}.png`), fullPage: true });
        expect(await seriousViolations(page), `${name} ${colorScheme}`).toEqual([]);
        await page.goto(`${stack.apiUrl}/settings`);
        await page.locator('#site-add-name').waitFor();
        await page.locator('#keys tr').first().waitFor();
        await page.screenshot({ path: join(SHOTS, `settings-${name}-${colorScheme}.png`), fullPage: true });
        expect(await seriousViolations(page), `settings ${name} ${colorScheme}`).toEqual([]);
        await ctx.close();
      }
    }
  });
});
