/**
 * Export (SPEC §13): a site's raw events for a range as CSV or Parquet, streamed, in both
 * ClickHouse modes. The CSV is read with csv-parse, the Parquet with ClickHouse itself (its
 * `file()` table function in-process, an `INSERT … FORMAT Parquet` on the server): both give
 * back exactly the stored rows of the range, and nothing of other sites or days.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postEvents, type Stack, startStack, uniqueName, waitFor } from './harness.ts';

const TOKEN = uniqueName('token');
const DAY = 86_400_000;
const SENDER = { 'User-Agent': 'tidemark-test-server/1.0', Authorization: `Bearer ${TOKEN}` };
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

const modes = [
  ['embedded ClickHouse', () => ({})],
  ['ClickHouse server', () => ({ CLICKHOUSE_URL: inject('clickhouseUrl') })],
] as const;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(modes)('raw event export, %s', (mode, envOf) => {
  const site = `${uniqueName('export')}.example`;
  const other = `${uniqueName('other')}.example`;
  let stack: Stack;
  // Noon UTC of three days before today: days d0 < d1 < d2, all inside the 30-day backdating bound.
  const noon = Math.floor(Date.now() / DAY) * DAY - 3 * DAY + 12 * 3_600_000;
  const [d0, d1, d2] = [noon, noon + DAY, noon + 2 * DAY];
  const get = (path: string, auth = true) => fetch(`${stack.apiUrl}${path}`, { headers: auth ? { Authorization: `Bearer ${TOKEN}` } : {} });

  beforeAll(async () => {
    stack = await startStack({ API_TOKEN: TOKEN, ...envOf() });
    const event = (s: string, name: string, path: string, at: number, extra: Record<string, unknown> = {}) => ({
      site: s,
      name,
      url: `https://${s}${path}`,
      timestamp: new Date(at).toISOString(),
      ip: '81.2.69.160',
      userAgent: FIREFOX,
      ...extra,
    });
    const events = [
      event(site, 'pageview', '/d0', d0),
      event(site, 'pageview', '/d1?utm_source=hn', d1, { referrer: 'https://news.ycombinator.com/', screenWidth: 1280 }),
      event(site, 'signup', '/d1', d1 + 1000, { props: { plan: 'pro, "annual"', seats: 3 } }),
      event(site, 'pageview', '/d2', d2),
      event(other, 'pageview', '/d1', d1),
    ];
    expect((await postEvents(stack.collectorUrl, events, SENDER)).status).toBe(202);
    await waitFor(
      () => stack.query<{ n: string }>('SELECT count() AS n FROM {db}.events'),
      (r) => Number(r[0]?.n) === events.length,
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streams the days asked for as CSV with a header, ids as text and props as JSON', async () => {
    const res = await get(`/api/v2/sites/${site}/export?from=${isoDay(d1)}&to=${isoDay(d2)}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('x-tidemark-export-rows')).toBe('3');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${site}-${isoDay(d1)}-${isoDay(d2)}.csv"`);
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.name, r.path, r.timestamp])).toEqual([
      ['pageview', '/d1', new Date(d1).toISOString().replace('T', ' ').replace('Z', '')],
      ['signup', '/d1', new Date(d1 + 1000).toISOString().replace('T', ' ').replace('Z', '')],
      ['pageview', '/d2', new Date(d2).toISOString().replace('T', ' ').replace('Z', '')],
    ]);
    expect(rows[0]).toMatchObject({
      site,
      utm_source: 'hn',
      referrer_host: 'news.ycombinator.com',
      screen_width: '1280',
      browser: 'Firefox',
    });
    expect(rows[0]?.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(rows[1]?.props ?? '')).toEqual({ plan: 'pro, "annual"', seats: '3' });
    const stored = await stack.query<{ id: string }>(
      'SELECT toString(event_id) AS id FROM {db}.events WHERE site = {site:String} ORDER BY timestamp',
      { site },
    );
    expect(rows.map((r) => r.event_id)).toEqual(stored.slice(1).map((r) => r.id));
  });

  it('writes Parquet that ClickHouse reads back row for row', async () => {
    const res = await get(`/api/v2/sites/${site}/export?from=${isoDay(d0)}&to=${isoDay(d2)}&format=parquet`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(res.headers.get('x-tidemark-export-rows')).toBe('4');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    type Back = { name: string; path: string; ms: string; plan: string; event_id: string };
    const columns = "name, path, toUnixTimestamp64Milli(timestamp) AS ms, props['plan'] AS plan, event_id";
    let back: Back[];
    if (mode === 'embedded ClickHouse') {
      const file = join(tmpdir(), `tidemark-test-${randomBytes(6).toString('hex')}.parquet`);
      await writeFile(file, bytes);
      try {
        back = await stack.query<Back>(`SELECT ${columns} FROM file('${file}', Parquet) ORDER BY ms`);
      } finally {
        await rm(file, { force: true });
      }
    } else {
      const table = `${stack.database}.${uniqueName('parquet')}`;
      await stack.client.command({
        query: `CREATE TABLE ${table} (event_id String, name String, path String, timestamp DateTime64(3, 'UTC'), props Map(String, String)) ENGINE = Memory`,
      });
      const inserted = await stack.client.exec({
        query: `INSERT INTO ${table} SELECT event_id, name, path, timestamp, props FROM input('event_id String, name String, path String, timestamp DateTime64(3, \\'UTC\\'), props Map(String, String)') FORMAT Parquet`,
        values: Readable.from([bytes]),
        clickhouse_settings: { input_format_parquet_allow_missing_columns: 1, input_format_skip_unknown_fields: 1 },
      });
      inserted.stream.resume();
      back = await stack.query<Back>(`SELECT ${columns} FROM ${table} ORDER BY ms`);
    }
    expect(back.map((r) => [r.name, r.path, Number(r.ms), r.plan])).toEqual([
      ['pageview', '/d0', d0, ''],
      ['pageview', '/d1', d1, ''],
      ['signup', '/d1', d1 + 1000, 'pro, "annual"'],
      ['pageview', '/d2', d2, ''],
    ]);
  });

  it('takes a range of instants, and another zone’s days', async () => {
    const res = await get(`/api/v2/sites/${site}/export?from=${new Date(d1 - 1000).toISOString()}&to=${new Date(d1 + 1000).toISOString()}`);
    expect(res.headers.get('x-tidemark-export-rows')).toBe('1');
    expect((await res.text()).trim().split('\n')).toHaveLength(2);
    // Noon UTC is the next day from UTC+13 on: d0's noon is d1's date in Pacific/Tongatapu (UTC+13, no DST).
    const tonga = await get(`/api/v2/sites/${site}/export?from=${isoDay(d1)}&to=${isoDay(d1)}&timezone=Pacific/Tongatapu`);
    expect(tonga.headers.get('x-tidemark-export-rows')).toBe('1');
    expect(await tonga.text()).toContain('/d0');
  });

  it.each([
    ['no range', '', 'from'],
    ['a bad format', `?from=2026-01-01&to=2026-01-02&format=xlsx`, 'format'],
    ['a date that is no date', '?from=2026-02-30&to=2026-03-01', 'from'],
    ['to before from', '?from=2026-01-02&to=2026-01-01', 'to'],
    ['a date and a time', '?from=2026-01-01&to=2026-01-02T00:00:00Z', 'from'],
    ['an unknown zone', '?from=2026-01-01&to=2026-01-02&timezone=Mars/Olympus', 'timezone'],
  ])('answers %s with 400 naming the field', async (_, query, field) => {
    const res = await get(`/api/v2/sites/${site}/export${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field });
  });

  it('needs the token', async () => {
    expect((await get(`/api/v2/sites/${site}/export?from=2026-01-01&to=2026-01-02`, false)).status).toBe(401);
  });
});
