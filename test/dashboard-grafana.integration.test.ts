/**
 * deploy/grafana: every panel's SQL (and the site variable's), with the ClickHouse plugin's
 * macros expanded as the plugin does, runs against the real schema on the ClickHouse server
 * over the seeded dataset, and the main panels give the seeded answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseQuery, runQuery, tableNames } from '@tidemark/dashboard-api';
import { migrate } from '@tidemark/ingester';
import { type ClickHouseClient, createClickHouse, loadConfig, toClickHouseTime } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NOW, SITE, seed } from './dashboard-seed.ts';
import { ROOT, uniqueName } from './harness.ts';

interface Panel {
  title: string;
  type: string;
  datasource: { uid: string };
  targets: { rawSql: string }[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/tidemark.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; query: string }[] };
};
const datasource = readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/clickhouse.yaml'), 'utf8');

/** The grafana-clickhouse-datasource macros this dashboard uses, for a time range in ms. */
function expand(sql: string, database: string, from: number, to: number): string {
  const [f, t] = [Math.floor(from / 1000), Math.floor(to / 1000)];
  return sql
    .replaceAll(`\${db}`, database)
    .replaceAll(`\${site}`, SITE)
    .replace(/\$__timeFilter\((\w+)\)/g, `$1 >= toDateTime(${f}) AND $1 <= toDateTime(${t})`)
    .replace(/\$__timeInterval\((\w+)\)/g, 'toStartOfInterval(toDateTime($1), INTERVAL 60 second)');
}

describe('Grafana dashboard over the real schema', () => {
  const database = uniqueName('grafana');
  let client: ClickHouseClient;
  const run = async (sql: string) => {
    const result = await client.query({ query: expand(sql, database, NOW - 600_000, NOW), format: 'JSONEachRow' });
    // 64-bit integers may come quoted: compare numbers as numbers.
    const rows = await result.json<Record<string, string | number | null>>();
    return rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v])),
    );
  };

  beforeAll(async () => {
    const config = loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: database });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    await seed(client, database);
  });
  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  it('every panel uses the provisioned datasource and mirrors the live page', () => {
    expect(datasource).toContain('uid: tidemark-clickhouse');
    expect(datasource).toContain('type: grafana-clickhouse-datasource');
    const titles = dashboard.panels.map((p) => p.title);
    for (const want of [
      'Visitors',
      'Views',
      'Avg. time on page',
      'Data freshness lag',
      'Views per minute, by country',
      'Top pages',
      'Sources',
      'Countries',
      'Devices',
      'Visits',
      'Bounce rate',
      'Visit duration',
      'Views per visit',
      'Visits over time',
      'Channels',
      'Entry pages',
    ]) {
      expect(titles).toContain(want);
    }
    for (const panel of dashboard.panels) expect(panel.datasource.uid, panel.title).toBe('tidemark-clickhouse');
  });

  it.each(dashboard.panels.map((p) => [p.title, p] as const))('panel "%s" runs', async (_title, panel) => {
    for (const target of panel.targets) await run(target.rawSql);
  });

  it('the site variable lists the seeded site', async () => {
    const query = dashboard.templating.list.find((v) => v.name === 'site')?.query ?? '';
    expect((await run(query)).map((r) => r.site)).toContain(SITE);
  });

  it('the main panels give the seeded answers (whole minutes of the range)', async () => {
    const sql = (title: string) => dashboard.panels.find((p) => p.title === title)?.targets[0]?.rawSql ?? '';
    // [hh:15:30, hh:25:30] in whole minutes holds minutes 16–25: p1–p6.
    expect(await run(sql('Views'))).toEqual([{ views: 6 }]);
    expect(await run(sql('Visitors'))).toEqual([{ visitors: 5 }]);
    expect(await run(sql('Avg. time on page'))).toEqual([{ avg_duration_ms: 4000 }]);
    const byCountry = await run(sql('Views per minute, by country'));
    expect(byCountry.reduce((n, r) => n + Number(r.views), 0)).toBe(6);
    expect((await run(sql('Top pages')))[0]).toMatchObject({ path: '/a', views: 4, visitors: 4, avg_time_ms: 4000 });
    expect(await run(sql('Countries'))).toEqual([
      { country: 'DE', views: 2, visitors: 2 },
      { country: 'US', views: 2, visitors: 2 },
      { country: 'FR', views: 1, visitors: 1 },
      { country: 'GB', views: 1, visitors: 1 },
    ]);
  });

  it("the visit panels give the Query API's visit metrics over the same range", async () => {
    // Three visits of the range (one bounce) and one outside it, as the ingester writes them.
    const visit = (visitor: number, at: number, ms: number, pageviews: number, channel: string, entry: string) => ({
      site: SITE,
      visitor_id: visitor,
      first_at: toClickHouseTime(at),
      last_at: toClickHouseTime(at + ms),
      sign: 1,
      version: 1,
      host: SITE,
      entry_page: entry,
      exit_page: entry,
      channel,
      pageviews,
      events: 0,
    });
    await client.insert({
      table: `${database}.visits`,
      values: [
        visit(101, NOW - 500_000, 0, 1, 'Direct', '/a'),
        visit(102, NOW - 400_000, 120_000, 3, 'Organic Search', '/b'),
        visit(103, NOW - 300_000, 30_000, 2, 'Organic Search', '/a'),
        visit(104, NOW - 900_000, 10_000, 2, 'Direct', '/a'),
      ],
      format: 'JSONEachRow',
    });
    const sql = (title: string) => dashboard.panels.find((p) => p.title === title)?.targets[0]?.rawSql ?? '';
    // The panels' range is whole seconds: the same two instants for the engine.
    const [from, to] = [Math.floor((NOW - 600_000) / 1000) * 1000, Math.floor(NOW / 1000) * 1000];
    const query = parseQuery({
      site: SITE,
      metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'],
      dateRange: [new Date(from).toISOString(), new Date(to).toISOString()],
    });
    const answer = await runQuery(client, tableNames(database), query, { now: NOW, retentionDays: 3650 });
    const [visits, bounceRate, duration, perVisit] = answer.results[0]?.metrics ?? [];
    expect(visits).toBe(3);
    expect(await run(sql('Visits'))).toEqual([{ visits }]);
    expect(await run(sql('Bounce rate'))).toEqual([{ bounce_rate: bounceRate }]);
    expect(await run(sql('Visit duration'))).toEqual([{ visit_duration_ms: duration }]);
    expect(await run(sql('Views per visit'))).toEqual([{ views_per_visit: perVisit }]);
    expect(await run(sql('Channels'))).toEqual([
      { channel: 'Organic Search', visits: 2, bounce_rate: 0 },
      { channel: 'Direct', visits: 1, bounce_rate: 100 },
    ]);
    expect((await run(sql('Entry pages')))[0]).toEqual({ entry_page: '/a', visits: 2, bounce_rate: 50 });
  });
});
