/**
 * Import (SPEC §13) end to end, in both ClickHouse modes: small exports built here from the
 * documented formats (Plausible's zip of imported_* CSV files, zipped by fflate, stored and
 * deflated; Umami's website_event CSV, plain and gzip-compressed) are posted to the API; the
 * imported tables then hold exactly their totals, a malformed or truncated file is a 400 naming
 * the file and line with nothing kept, overlapping imports are refused, and an import can be
 * listed and deleted.
 */
import { gzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Stack, startStack, uniqueName } from './harness.ts';
import { csv, plausibleExport, umamiLines, UMAMI_WEBSITE as W, zip } from './import-fixtures.ts';

const TOKEN = uniqueName('token');
const modes = [
  ['embedded ClickHouse', () => ({})],
  ['ClickHouse server', () => ({ CLICKHOUSE_URL: inject('clickhouseUrl') })],
] as const;

/** The answers as /openapi.json documents them. */
async function documented(stack: Stack, status: 201 | 400, body: unknown): Promise<void> {
  type Doc = {
    paths: Record<string, { post: { responses: Record<string, { content: { 'application/json': { schema: object } } }> } }>;
    components: object;
  };
  const doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as Doc;
  const schema = doc.paths['/api/v2/sites/{site}/imports']?.post.responses[String(status)]?.content['application/json'].schema;
  // With the document's components at its root, so its `#/components/…` references resolve.
  const validate = new Ajv2020({ strict: false }).compile({ components: doc.components, ...schema });
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

describe.each(modes)('import, %s', (_, envOf) => {
  let stack: Stack;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.apiUrl}/api/v2${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string>) },
    });
  const post = (site: string, query: string, body: Buffer | string) =>
    api(`/sites/${site}/imports?${query}`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  const count = async (table: string, site: string) =>
    Number((await stack.query<{ n: string }>(`SELECT count() AS n FROM {db}.${table} WHERE site = {site:String}`, { site }))[0]?.n);

  beforeAll(async () => {
    stack = await startStack({ API_TOKEN: TOKEN, ...envOf() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('imports a Plausible export (deflated) into the imported tables, in ms, and lists it', async () => {
    const site = `${uniqueName('pl')}.example`;
    const res = await post(site, 'source=plausible&file=a_example_20240104.zip', zip(plausibleExport()));
    expect(res.status).toBe(201);
    const record = (await res.json()) as { id: string; status: string; dateFrom: string; dateTo: string; rows: number; tables: string[] };
    expect(record).toMatchObject({ status: 'complete', dateFrom: '2024-01-01', dateTo: '2024-01-03', rows: 10 });
    await documented(stack, 201, record);
    expect(record.tables.sort()).toEqual([
      'imported_browsers',
      'imported_custom_events',
      'imported_pages',
      'imported_sources',
      'imported_visitors',
    ]);
    const visitors = await stack.query<Record<string, string>>(
      'SELECT toString(date) AS date, visitors, pageviews, bounces, visits, visit_duration_ms FROM {db}.imported_visitors WHERE site = {site:String} ORDER BY date',
      { site },
    );
    expect(
      visitors.map((r) => [
        r.date,
        Number(r.visitors),
        Number(r.pageviews),
        Number(r.bounces),
        Number(r.visits),
        Number(r.visit_duration_ms),
      ]),
    ).toEqual([
      ['2024-01-01', 10, 30, 4, 12, 600_000],
      ['2024-01-02', 20, 50, 5, 25, 1_200_000],
      ['2024-01-03', 5, 9, 2, 6, 60_000],
    ]);
    const pages = await stack.query<Record<string, string>>(
      'SELECT page, time_on_page_ms, time_on_page_visits, scroll_depth_sum FROM {db}.imported_pages WHERE site = {site:String} ORDER BY page',
      { site },
    );
    expect(pages.map((r) => [r.page, Number(r.time_on_page_ms), Number(r.time_on_page_visits), Number(r.scroll_depth_sum)])).toEqual([
      ['/', 120_000, 6, 300],
      ['/blog/a, b', 30_000, 3, 0],
    ]);
    const list = (await (await api(`/sites/${site}/imports`)).json()) as { imports: { id: string; status: string; source: string }[] };
    expect(list.imports.map((i) => [i.id, i.status, i.source])).toEqual([[record.id, 'complete', 'plausible']]);
  });

  it('refuses an export whose days another import covers (409), keeping only the first', async () => {
    const site = `${uniqueName('overlap')}.example`;
    expect((await post(site, 'source=plausible', zip(plausibleExport(), 0))).status).toBe(201);
    const again = await post(site, 'source=plausible', zip(plausibleExport()));
    expect(again.status).toBe(409);
    const body = (await again.json()) as { error: string; overlaps: string[] };
    expect(body.error).toMatch(/overlaps/);
    expect(await count('imported_visitors', site)).toBe(3);
    const list = (await (await api(`/sites/${site}/imports`)).json()) as { imports: { status: string }[] };
    expect(list.imports.map((i) => i.status)).toEqual(['complete', 'failed']);
  });

  it('answers a malformed line with 400 naming the file and line, and keeps nothing of the import', async () => {
    const site = `${uniqueName('bad')}.example`;
    const files = plausibleExport();
    files['imported_pages_20240101_20240103.csv'] = csv([
      'date,hostname,page,visits,visitors,pageviews',
      '2024-01-01,a.example,/,12,10,20',
      '2024-01-01,a.example,/x,1,one,2',
    ]);
    const res = await post(site, 'source=plausible', zip(files));
    expect(res.status).toBe(400);
    const answer = await res.json();
    await documented(stack, 400, answer);
    expect(answer).toEqual({
      error: 'imported_pages_20240101_20240103.csv, line 3: visitors: must be a whole number ≥ 0, not "one"',
      field: 'body',
      file: 'imported_pages_20240101_20240103.csv',
      line: 3,
    });
    for (const table of ['imported_visitors', 'imported_sources', 'imported_pages']) expect(await count(table, site)).toBe(0);
    // Retried with a good file, it imports.
    expect((await post(site, 'source=plausible', zip(plausibleExport()))).status).toBe(201);
    expect(await count('imported_visitors', site)).toBe(3);
  });

  it('answers a truncated archive and a file of another kind with 400', async () => {
    const site = `${uniqueName('cut')}.example`;
    const whole = zip(plausibleExport());
    const cut = await post(site, 'source=plausible&file=export.zip', whole.subarray(0, Math.floor(whole.length / 2)));
    expect(cut.status).toBe(400);
    expect(await cut.json()).toMatchObject({ file: 'export.zip', error: expect.stringContaining('not a readable zip archive') });
    const stranger = await post(site, 'source=plausible', zip({ 'notes.csv': 'a,b\n1,2\n' }));
    expect(stranger.status).toBe(400);
    expect(await stranger.json()).toMatchObject({
      file: 'notes.csv',
      error: expect.stringContaining("not a file of Plausible's CSV export"),
    });
    expect(await count('imported_visitors', site)).toBe(0);
  });

  it('folds an Umami export into daily totals of its visits, in the zone asked for', async () => {
    const site = `${uniqueName('um')}.example`;
    const res = await post(site, 'source=umami&timezone=Europe/Berlin&file=website_event.csv.gz', gzipSync(csv(umamiLines)));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'complete', rows: 5, dateFrom: '2024-01-01', dateTo: '2024-01-02' });
    const days = await stack.query<Record<string, string>>(
      'SELECT toString(date) AS date, visitors, visits, pageviews, bounces, visit_duration_ms FROM {db}.imported_visitors WHERE site = {site:String} ORDER BY date',
      { site },
    );
    // v2 began 23:30 UTC on Jan 1: Jan 2 in Berlin.
    expect(
      days.map((r) => [r.date, Number(r.visitors), Number(r.visits), Number(r.pageviews), Number(r.bounces), Number(r.visit_duration_ms)]),
    ).toEqual([
      ['2024-01-01', 1, 1, 2, 0, 150_000],
      ['2024-01-02', 2, 2, 2, 1, 40_000],
    ]);
    const sources = await stack.query<Record<string, string>>(
      'SELECT toString(date) AS date, source, toString(channel) AS channel, visits FROM {db}.imported_sources WHERE site = {site:String} ORDER BY date, source',
      { site },
    );
    // Named by the Query API's rules: www.google.com is Google, Organic Search.
    expect(sources.map((r) => [r.date, r.source, r.channel, Number(r.visits)])).toEqual([
      ['2024-01-01', 'Google', 'Organic Search', 1],
      ['2024-01-02', 'Direct / None', 'Direct', 2],
    ]);
    const browsers = await stack.query<Record<string, string>>(
      'SELECT browser, sum(visits) AS visits FROM {db}.imported_browsers WHERE site = {site:String} GROUP BY browser ORDER BY browser',
      { site },
    );
    expect(browsers.map((r) => [r.browser, Number(r.visits)])).toEqual([
      ['Chrome', 2],
      ['Mobile Safari', 1],
    ]);
    const events = await stack.query<Record<string, string>>(
      'SELECT name, visitors, events FROM {db}.imported_custom_events WHERE site = {site:String}',
      { site },
    );
    expect(events.map((r) => [r.name, Number(r.visitors), Number(r.events)])).toEqual([['signup', 1, 1]]);
    expect(await count('imported_umami_events', site)).toBe(0); // the staged rows are gone
  });

  it('answers a bad Umami line with its number, in a plain CSV', async () => {
    const site = `${uniqueName('umbad')}.example`;
    const res = await post(site, 'source=umami', csv([...umamiLines, `${W},s9,v9,e9,,,,,,,,,,,/x,,,,,,1,,2024-13-01 00:00:00`]));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ file: 'website_event.csv', line: 7 });
    expect(await count('imported_umami_events', site)).toBe(0);
    expect(await count('imported_visitors', site)).toBe(0);
  });

  it('deletes an import: its rows are gone, it leaves the list, and its days can be imported again', async () => {
    const site = `${uniqueName('del')}.example`;
    const { id } = (await (await post(site, 'source=plausible', zip(plausibleExport()))).json()) as { id: string };
    expect((await api(`/sites/${site}/imports/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await count('imported_visitors', site)).toBe(0);
    expect(((await (await api(`/sites/${site}/imports`)).json()) as { imports: unknown[] }).imports).toEqual([]);
    expect((await api(`/sites/${site}/imports/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await post(site, 'source=plausible', zip(plausibleExport()))).status).toBe(201);
  });

  it.each([
    ['no source', 'file=x.zip', 'source'],
    ['an unknown zone', 'source=umami&timezone=Mars/Base', 'timezone'],
  ])('answers %s with 400', async (_, query, field) => {
    const res = await post('q.example', query, 'x');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field });
  });
});
