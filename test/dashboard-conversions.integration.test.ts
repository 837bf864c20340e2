/**
 * The dashboard UI's goals, funnel and alerts (packages/dashboard-ui: ui/panel.tsx's goal rows,
 * ui/goal-properties.tsx, ui/funnel.tsx, ui/alerts.tsx) in real headless Chromium, over the
 * dashboard API on the ClickHouse server: goals configured in the sites registry (through the
 * admin API) with their conversions as the Query API counts them, a goal's property breakdown, a
 * funnel built from goal names equal to `POST /api/v2/funnel`, an alert rule with its state,
 * a test notice in its delivery log; axe-core on what these views draw; a shared link shows goals
 * and funnels but no rules.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createDashboardApp, type DashboardApp } from '@tidemark/dashboard-api';
import { migrate } from '@tidemark/ingester';
import {
  type AccessRegistry,
  type ClickHouseClient,
  createAccessRegistry,
  createClickHouse,
  listening,
  loadConfig,
  plainLogger,
  storedEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import type { Browser, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from './browser.ts';
import { seriousViolations, settled } from './dashboard-page.ts';
import { ROOT, uniqueName } from './harness.ts';

const SITE = 'shop.example';
const GOALS = [
  { name: 'Pricing', path: '/pricing' },
  { name: 'Signup', event: 'signup' },
];
const SHOTS = process.env.SCREENSHOTS === 'docs' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, '.tmp', 'screenshots');
const FUNNEL = { site: SITE, dateRange: '7d', steps: ['Pricing', 'Signup'], within: '1h' };

/** The numbers of a row of a table the page drew (`data-value` of its cells), by the row's value. */
const cells = (page: Page, row: string) =>
  page
    .locator(row)
    .locator('td.num[data-value]')
    .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value'))));

describe('dashboard UI: goals, funnel and alerts in Chromium', () => {
  const database = uniqueName('conversions');
  let client: ClickHouseClient;
  let app: DashboardApp;
  let access: AccessRegistry;
  let server: ReturnType<typeof serve>;
  let url = '';
  let browser: Browser;

  const api = async (path: string, body?: unknown) => {
    const res = await app.request(
      path,
      body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
    );
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
    return res.json() as Promise<Record<string, unknown>>;
  };

  beforeAll(async () => {
    const config = loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: database });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    const now = Date.now() - 3 * 86_400_000;
    const event = (visitor: number, name: string, path: string, t: number, props: Record<string, string> = {}) =>
      storedEvent({
        event_id: crypto.randomUUID(),
        site: SITE,
        host: SITE,
        name,
        path,
        url: `https://${SITE}${path}`,
        visitor_id: String(visitor),
        session_id: String(visitor),
        timestamp: toClickHouseTime(t),
        props,
      });
    // Visitors 1–4 see the pricing page; 1 and 2 then sign up (plan pro / free).
    const rows = [1, 2, 3, 4].map((v) => event(v, 'pageview', '/pricing', now + v * 1000));
    rows.push(
      event(1, 'signup', '/pricing', now + 60_000, { plan: 'pro' }),
      event(2, 'signup', '/pricing', now + 61_000, { plan: 'free' }),
    );
    await client.insert({ table: `${database}.events`, values: rows, format: 'JSONEachRow' });
    const log = plainLogger('silent');
    access = createAccessRegistry({ client, database, log });
    await access.start();
    app = createDashboardApp({ client, database, token: null, access, log, registry: new Registry() });
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${await listening(server as Server)}`;
    // The goals are the site's settings in the registry, as an admin sets them.
    await api('/api/v2/sites', { site: SITE, goals: GOALS });
    await api('/api/v2/alerts', {
      site: SITE,
      name: 'Signups stalled',
      query: { metrics: ['events'], dateRange: '1h', filters: [['is', 'event', ['signup']]] },
      condition: { op: '<', value: 1 },
      every: '1m',
      channels: [{ type: 'webhook', url: 'http://127.0.0.1:1/closed' }],
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    app?.close();
    await new Promise((resolve) => server?.close(resolve));
    await access?.close();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  /** Fills in the funnel form (Pricing → Signup within an hour) and waits for its two steps. */
  const drawFunnel = async (page: Page) => {
    const inputs = page.locator('#funnel-form .funnel-step-input');
    await inputs.nth(0).fill('Pricing');
    await inputs.nth(1).fill('Signup');
    await page.selectOption('#funnel-within', '1h');
    await page.click('#funnel-form button[type="submit"]');
    await page.locator('#funnel .funnel-step').nth(1).waitFor({ timeout: 10_000 });
  };

  it('lists goals with conversions and properties, draws a funnel equal to the API, shows the alert rules and sends a test notice', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}/?site=${SITE}&period=7d`);
    await settled(page);

    // Goals: uniques, conversions and rate as the Query API counts them, each goal's definition.
    const goals = (await api('/api/v2/query', {
      site: SITE,
      metrics: ['visitors', 'conversions', 'conversion_rate'],
      dateRange: '7d',
      dimensions: ['goal'],
    })) as { results: { dimensions: string[]; metrics: number[] }[] };
    expect(goals.results.map((r) => [r.dimensions[0], r.metrics])).toEqual([
      ['Pricing', [4, 4, 100]],
      ['Signup', [2, 2, 50]],
    ]);
    await page.locator('#panel-goals').scrollIntoViewIfNeeded(); // below the fold: asked when seen
    await page.locator('#panel-goals tbody tr[data-value="Signup"]').waitFor({ timeout: 20_000 });
    for (const r of goals.results) expect(await cells(page, `#panel-goals tbody tr[data-value="${r.dimensions[0]}"]`)).toEqual(r.metrics);
    expect(await page.locator('#panel-goals tr[data-value="Pricing"] .goal-def').textContent()).toBe(' pageview /pricing');
    await page.locator('#goals-note', { hasText: '2 goals configured' }).waitFor();

    // A goal's properties: the keys its event carries, the values among its completions.
    await page.getByRole('button', { name: 'Properties of Signup' }).click();
    await page.locator('#goal-props tr[data-value="pro"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#goal-props h3').allTextContents()).toEqual(['plan']);
    expect(await cells(page, '#goal-props tr[data-value="pro"]')).toEqual([1, 1]);
    expect(await cells(page, '#goal-props tr[data-value="free"]')).toEqual([1, 1]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('#goal-props button[aria-label="Close"]').click();

    // The funnel: the steps by goal name, equal to the Funnel API's answer.
    await drawFunnel(page);
    const expected = (await api('/api/v2/funnel', FUNNEL)) as { steps: { visitors: number; conversionRate: number; dropOff: number }[] };
    expect(expected.steps.map((s) => s.visitors)).toEqual([4, 2]);
    const drawn = await page
      .locator('#funnel .funnel-step .num')
      .evaluateAll((els) => els.map((e) => ['visitors', 'rate', 'drop'].map((k) => Number(e.getAttribute(`data-${k}`)))));
    expect(drawn).toEqual(expected.steps.map((s) => [s.visitors, s.conversionRate, s.dropOff]));
    expect(await page.locator('#funnel .funnel-step .num').allTextContents()).toEqual(['4 · 100%', '2 · 50% · −2']);

    mkdirSync(SHOTS, { recursive: true });
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.locator('#funnel-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'conversions-laptop-light.png') });

    // The alert rule, its state, a test notice and the delivery log.
    const rule = page.locator('#alerts tr[data-kind="alert"]', { hasText: 'Signups stalled' });
    await rule.waitFor({ timeout: 10_000 });
    const { alerts } = (await api(`/api/v2/alerts?site=${SITE}`)) as { alerts: { state: { state: string } }[] };
    expect(await rule.locator('td.state').getAttribute('data-state')).toBe(alerts[0]?.state.state);
    await rule.locator('button').click();
    await page.locator('#alert-history button', { hasText: 'Send test notice' }).click();
    await page.locator('#alert-deliveries tr[data-state="test"]').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#alert-deliveries tr[data-state="test"]').first().getAttribute('data-ok')).toBe('0'); // port 1 refuses
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'alert-history-laptop-light.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a shared link shows goals and funnels, never the alert rules', async () => {
    const link = (await api(`/api/v2/sites/${SITE}/shared-links`, { name: 'conversions' })) as { url: string };
    const page = await browser.newPage();
    await page.goto(`${url}${new URL(link.url, url).pathname}?period=7d`);
    await settled(page);
    await page.locator('#panel-goals').scrollIntoViewIfNeeded(); // below the fold: asked when seen
    await page.locator('#panel-goals tbody tr[data-value="Signup"]').waitFor({ timeout: 20_000 });
    await drawFunnel(page);
    expect(await page.locator('#alerts-panel').count()).toBe(0);
    await page.close();
  });
});
