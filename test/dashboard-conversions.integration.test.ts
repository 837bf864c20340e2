/**
 * The dashboard's goals, funnel and alerts panels (src/page/conversions.js) in real headless
 * Chromium, over the dashboard API on the ClickHouse server: goals configured in the sites
 * registry (through the admin API) with their conversions, a goal's property breakdown, a funnel built from goal names, and an alert rule
 * with its state and delivery log.
 */
import type { Server } from 'node:http';
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
import type { Browser } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from './browser.ts';
import { uniqueName } from './harness.ts';

const SITE = 'shop.example';
const GOALS = [
  { name: 'Pricing', path: '/pricing' },
  { name: 'Signup', event: 'signup' },
];

describe('dashboard: goals, funnel and alerts in Chromium', () => {
  const database = uniqueName('conversions');
  let client: ClickHouseClient;
  let app: DashboardApp;
  let access: AccessRegistry;
  let server: ReturnType<typeof serve>;
  let url = '';
  let browser: Browser;

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
    const site = await app.request('/api/v2/sites', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ site: SITE, goals: GOALS }),
    });
    expect(site.status).toBe(201);
    const created = await app.request('/api/v2/alerts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        site: SITE,
        name: 'Signups stalled',
        query: { metrics: ['events'], dateRange: '1h', filters: [['is', 'event', ['signup']]] },
        condition: { op: '<', value: 1 },
        every: '1m',
        channels: [{ type: 'webhook', url: 'http://127.0.0.1:1/closed' }],
      }),
    });
    expect(created.status).toBe(201);
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

  it('lists goals with conversions and properties, draws a funnel, and shows the alert rules', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}/?site=${SITE}`);
    const pricing = page.locator('#goals tr', { hasText: 'Pricing' });
    await pricing.waitFor({ timeout: 20_000 });
    expect((await pricing.locator('td').allTextContents()).slice(1)).toEqual(['4', '4', '100 %']);
    const signup = page.locator('#goals tr', { hasText: 'Signup' });
    expect((await signup.locator('td').allTextContents()).slice(1)).toEqual(['2', '2', '50 %']);
    await signup.locator('a').click();
    await page.locator('#goal-props td', { hasText: 'pro' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#goal-props h4').allTextContents()).toEqual(['plan']);

    await page.fill('#funnel-steps', 'Pricing, Signup');
    await page.selectOption('#funnel-within', '1h');
    await page.click('#funnel-form button');
    await page.locator('#funnel .funnel-step').nth(1).waitFor({ timeout: 10_000 });
    expect(await page.locator('#funnel .funnel-step .n').allTextContents()).toEqual(['4 · 100 %', '2 · 50 % · −2']);

    const rule = page.locator('#alerts tr', { hasText: 'Signups stalled' });
    await rule.waitFor({ timeout: 10_000 });
    expect(await rule.locator('td').nth(1).textContent()).toBe('ok');
    await rule.locator('a').click();
    await page.locator('#alert-history button', { hasText: 'Send test notice' }).click();
    await page.locator('#alert-deliveries td', { hasText: 'test' }).waitFor({ timeout: 15_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});
