/**
 * Region and city end to end (issue 18, the locations panel), in both modes: browser events sent
 * to the collector behind a trusted proxy (`TRUST_PROXY`, the client in `X-Forwarded-For`) are
 * stored with the region and city DB-IP City Lite gives their address — only where it agrees with
 * the country (a CDN country header that says otherwise leaves both '') — and the Query API's
 * region and city breakdowns and filters (is, is not, contains) count them. `GEO_CITY=false`
 * stores none.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP_UA, postEvents, type Stack, startStack, uniqueName, waitFor } from './harness.ts';

const TOKEN = uniqueName('token');
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** Visitors: an address, an agent, and a CDN country header or none. */
const VISITORS: { ip: string; agent: string; cdn?: string; place: [string, string, string] }[] = [
  { ip: '8.8.8.8', agent: DESKTOP_UA, place: ['US', 'California', 'Mountain View'] },
  { ip: '8.8.8.8', agent: FIREFOX, place: ['US', 'California', 'Mountain View'] },
  { ip: '81.2.69.142', agent: DESKTOP_UA, place: ['GB', 'England', 'London'] },
  { ip: '2a02:c7c:1234::1', agent: DESKTOP_UA, place: ['GB', 'England', 'London (Shadwell)'] },
  { ip: '1.1.1.1', agent: DESKTOP_UA, cdn: 'NZ', place: ['NZ', '', ''] }, // the city database says AU, Sydney
];

const modes = [
  ['embedded (in-process queue, chdb)', () => ({})],
  [
    'distributed (Kafka, ClickHouse server)',
    () => ({
      KAFKA_BROKERS: inject('kafkaBrokers'),
      CLICKHOUSE_URL: inject('clickhouseUrl'),
      KAFKA_TOPIC: uniqueName('page_views'),
      KAFKA_DLQ_TOPIC: uniqueName('page_views_dlq'),
      KAFKA_GROUP_ID: uniqueName('ingester'),
      KAFKA_PARTITIONS: '1',
    }),
  ],
] as const;

interface Answer {
  results: { dimensions: string[]; metrics: number[] }[];
}

describe.each(modes)('region and city from the client IP, %s', (_, envOf) => {
  const site = `${uniqueName('geo')}.example`;
  let stack: Stack;

  const query = async (body: Record<string, unknown>): Promise<[string, number][]> => {
    const res = await fetch(`${stack.apiUrl}/api/v2/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ site, dateRange: '24h', metrics: ['visitors'], ...body }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    return answer.results.map((r) => [r.dimensions.join(' / '), r.metrics[0] as number]);
  };

  beforeAll(async () => {
    stack = await startStack({ API_TOKEN: TOKEN, TRUST_PROXY: 'true', ...envOf() });
    for (const [i, v] of VISITORS.entries()) {
      const headers: Record<string, string> = {
        'User-Agent': v.agent,
        'X-Forwarded-For': v.ip,
        ...(v.cdn ? { 'CF-IPCountry': v.cdn } : {}),
      };
      const res = await postEvents(stack.collectorUrl, { site, name: 'pageview', url: `https://${site}/p${i}` }, headers);
      expect(res.status).toBe(202);
    }
    await waitFor(
      () => stack.query<{ n: string }>('SELECT count() AS n FROM {db}.visits FINAL WHERE site = {site:String}', { site }),
      (rows) => Number(rows[0]?.n) === VISITORS.length,
      30_000,
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores each event and visit with the region and city of its address, where the city database agrees with the country', async () => {
    const sql = (table: string) =>
      `SELECT toString(country) AS c, toString(region) AS r, toString(city) AS t FROM {db}.${table} WHERE site = {site:String} ORDER BY c, r, t`;
    const expected = VISITORS.map((v) => v.place)
      .map(([c, r, t]) => ({ c, r, t }))
      .sort((a, b) => `${a.c}${a.r}${a.t}`.localeCompare(`${b.c}${b.r}${b.t}`));
    expect(await stack.query(sql('events'), { site })).toEqual(expected);
    expect(await stack.query(sql('visits FINAL'), { site })).toEqual(expected);
  });

  it('answers region and city breakdowns and filters from them', async () => {
    expect(await query({ dimensions: ['region'], orderBy: [['region', 'desc']] })).toEqual([
      ['England', 2],
      ['California', 2],
      ['', 1],
    ]);
    expect(await query({ dimensions: ['city'], orderBy: [['city', 'asc']] })).toEqual([
      ['', 1],
      ['London', 1],
      ['London (Shadwell)', 1],
      ['Mountain View', 2],
    ]);
    expect(
      await query({ dimensions: ['country', 'region', 'city'], filters: [['is', 'region', ['England']]], orderBy: [['city', 'asc']] }),
    ).toEqual([
      ['GB / England / London', 1],
      ['GB / England / London (Shadwell)', 1],
    ]);
    expect(await query({ dimensions: ['region'], filters: [['is_not', 'city', ['Mountain View']]], orderBy: [['region', 'asc']] })).toEqual(
      [
        ['', 1],
        ['England', 2],
      ],
    );
    expect(await query({ dimensions: ['city'], filters: [['contains', 'city', ['London']]], orderBy: [['city', 'asc']] })).toEqual([
      ['London', 1],
      ['London (Shadwell)', 1],
    ]);
    expect(await query({ filters: [['contains', 'region', ['ornia']]] })).toEqual([['', 2]]);
  });
});

describe('GEO_CITY=false', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ API_TOKEN: TOKEN, TRUST_PROXY: 'true', GEO_CITY: 'false' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores the country and no region or city', async () => {
    const site = `${uniqueName('geo-off')}.example`;
    expect(
      (await postEvents(stack.collectorUrl, { site, name: 'pageview', url: `https://${site}/` }, { 'X-Forwarded-For': '8.8.8.8' })).status,
    ).toBe(202);
    const rows = await waitFor(
      () =>
        stack.query<{ c: string; r: string; t: string }>(
          'SELECT toString(country) AS c, toString(region) AS r, toString(city) AS t FROM {db}.events WHERE site = {site:String}',
          { site },
        ),
      (r) => r.length === 1,
      30_000,
    );
    expect(rows).toEqual([{ c: 'US', r: '', t: '' }]);
  });
});
