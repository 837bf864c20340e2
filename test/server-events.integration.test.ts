/**
 * Server-side events (SPEC §11) end to end, in both modes: a request with an `events:write`
 * key stores backdated events at their own `timestamp`, with the country of their `ip` and
 * the browser of their `userAgent`, visible in the Stats API at that time; browsers cannot
 * set those fields (400), a wrong key is 401, a key without the scope or the site is 403, a key
 * past its rate limit is 429 with `Retry-After` (per key, not per IP), and nothing refused is stored.
 */
import type { KeyAuthorizer } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LiveAnswer, postEvents, type Stack, startStack, uniqueName, waitFor } from './harness.ts';

const TOKEN = uniqueName('token');
const DAY = 86_400_000;
const GB_IP = '81.2.69.160';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SENDER = { 'User-Agent': 'tidemark-test-server/1.0' };
/** Events per key per minute in these stacks: small, so the 429 test sends little; the other tests' keys stay far below it. */
const KEY_LIMIT = 20;

/** `API_TOKEN`, plus a key limited to one site and one without `events:write`. */
function keysFor(site: string): KeyAuthorizer {
  return {
    async authorize(key) {
      if (key === TOKEN) return { id: 'token', scopes: ['events:write', 'stats:read', 'sites:admin'], sites: 'all' };
      if (key === 'site-key') return { id: 'site-key', scopes: ['events:write'], sites: [site] };
      if (key === 'read-key') return { id: 'read-key', scopes: ['stats:read'], sites: 'all' };
      // Keys of the rate-limit test: each its own id, so each its own count.
      if (key.startsWith('limited-')) return { id: key, scopes: ['events:write'], sites: 'all' };
      return null;
    },
  };
}

const clickHouseTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

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

describe.each(modes)('server-side events, %s', (_, envOf) => {
  const site = `${uniqueName('server')}.example`;
  const other = `${uniqueName('other')}.example`;
  let stack: Stack;
  const bearer = (key = TOKEN) => ({ ...SENDER, Authorization: `Bearer ${key}` });
  const stored = (s: string) => stack.query<{ n: string }>('SELECT count() AS n FROM {db}.events WHERE site = {s:String}', { s });

  beforeAll(async () => {
    stack = await startStack(
      { API_TOKEN: TOKEN, FLUSH_INTERVAL_MS: '100', RATE_LIMIT_PER_KEY_PER_MINUTE: String(KEY_LIMIT), ...envOf() },
      { keys: keysFor(site) },
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores backdated events at their timestamp, with the country of their ip and the browser of their userAgent', async () => {
    const now = Date.now();
    const tenDaysAgo = now - 10 * DAY;
    const twelveDaysAgo = now - 12 * DAY;
    const visitor = { ip: GB_IP, userAgent: FIREFOX };
    const events = [
      { site, name: 'pageview', url: `https://${site}/old-a`, timestamp: new Date(tenDaysAgo).toISOString(), ...visitor },
      { site, name: 'pageview', url: `https://${site}/old-b`, timestamp: new Date(tenDaysAgo + 60_000).toISOString(), ...visitor },
      { site, name: 'signup', url: `https://${site}/old-b`, timestamp: new Date(twelveDaysAgo).toISOString(), ...visitor },
      { site, name: 'pageview', url: `https://${site}/now`, ...visitor },
    ];
    const res = await postEvents(stack.collectorUrl, events, bearer());
    expect(res.status).toBe(202);

    type Row = { timestamp: string; path: string; name: string; country: string; browser: string; os: string; visitor_id: string };
    const rows = await waitFor(
      () =>
        stack.query<Row>(
          'SELECT timestamp, path, name, country, browser, os, toString(visitor_id) AS visitor_id FROM {db}.events WHERE site = {site:String} ORDER BY timestamp',
          { site },
        ),
      (r) => r.length >= 4,
    );
    expect(rows.map((r) => [r.name, r.path, r.country, r.browser, r.os])).toEqual([
      ['signup', '/old-b', 'GB', 'Firefox', 'Linux'],
      ['pageview', '/old-a', 'GB', 'Firefox', 'Linux'],
      ['pageview', '/old-b', 'GB', 'Firefox', 'Linux'],
      ['pageview', '/now', 'GB', 'Firefox', 'Linux'],
    ]);
    expect(rows.slice(0, 3).map((r) => r.timestamp)).toEqual([
      clickHouseTime(twelveDaysAgo),
      clickHouseTime(tenDaysAgo),
      clickHouseTime(tenDaysAgo + 60_000),
    ]);
    expect(Math.abs(Date.parse(`${rows[3]?.timestamp.replace(' ', 'T')}Z`) - now)).toBeLessThan(60_000); // receive time
    // One visitor and day, one id; each day its own id.
    const [signup, oldA, oldB, today] = rows.map((r) => r.visitor_id);
    expect(oldA).toBe(oldB);
    expect(new Set([signup, oldA, today]).size).toBe(3);

    // The rollups count them at their own time: the Stats API over that hour sees 2 views, 1 visitor.
    const from = new Date(tenDaysAgo - 3_600_000).toISOString();
    const to = new Date(tenDaysAgo + 3_600_000).toISOString();
    // An insert's raw rows are visible a moment before its views' rows (the rollups): poll the answer.
    const live = await waitFor(
      async () => {
        const res = await fetch(`${stack.apiUrl}/api/v1/live?site=${site}&from=${from}&to=${to}`, { headers: bearer() });
        return { status: res.status, body: (await res.json()) as LiveAnswer };
      },
      (r) => r.status !== 200 || r.body.views >= 2,
    );
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject<Partial<LiveAnswer>>({ views: 2, visitors: 1 });
  });

  it('refuses what only a server may send from a browser (400), a wrong key (401), a key without the scope or site (403)', async () => {
    const backdated = { site: other, name: 'pageview', url: `https://${other}/`, timestamp: new Date(Date.now() - DAY).toISOString() };
    const browser = await postEvents(stack.collectorUrl, backdated);
    expect(browser.status).toBe(400);
    expect(await browser.json()).toMatchObject({ field: 'timestamp' });
    for (const field of ['ip', 'userAgent'] as const) {
      const res = await postEvents(stack.collectorUrl, [
        { site: other, name: 'pageview', url: `https://${other}/` },
        { ...backdated, timestamp: undefined, [field]: field === 'ip' ? GB_IP : FIREFOX },
      ]);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ field: `1.${field}` });
    }

    const wrong = await postEvents(stack.collectorUrl, backdated, bearer('not-a-key'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');

    const reader = await postEvents(stack.collectorUrl, backdated, bearer('read-key'));
    expect(reader.status).toBe(403);
    const otherSite = await postEvents(stack.collectorUrl, backdated, bearer('site-key'));
    expect(otherSite.status).toBe(403);
    expect(await otherSite.json()).toMatchObject({ field: 'site' });

    const tooOld = await postEvents(
      stack.collectorUrl,
      { ...backdated, timestamp: new Date(Date.now() - 31 * DAY).toISOString() },
      bearer(),
    );
    expect(tooOld.status).toBe(400);
    expect(await tooOld.json()).toMatchObject({ field: 'timestamp', error: expect.stringContaining('30 days') });

    // The site-limited key may send for its own site; a probe through the same path shows the refused ones are not late.
    const own = await postEvents(
      stack.collectorUrl,
      { site, name: 'probe', url: `https://${site}/`, ip: GB_IP, userAgent: FIREFOX },
      bearer('site-key'),
    );
    expect(own.status).toBe(202);
    await waitFor(
      () => stack.query<{ n: string }>("SELECT count() AS n FROM {db}.events WHERE site = {site:String} AND name = 'probe'", { site }),
      (r) => Number(r[0]?.n) === 1,
    );
    expect(Number((await stored(other))[0]?.n)).toBe(0);
  });

  it('answers 429 with Retry-After once a key has sent its limit, per key and not per IP, and stores only what it took', async () => {
    const limitedSite = `${uniqueName('limited')}.example`;
    const event = (path: string) => ({
      site: limitedSite,
      name: 'pageview',
      url: `https://${limitedSite}/${path}`,
      ip: GB_IP,
      userAgent: FIREFOX,
    });
    const batch = (n: number, tag: string) => Array.from({ length: n }, (_, i) => event(`${tag}-${i}`));
    // The limit counts in fixed one-minute windows from the collector's start: should a window end
    // between the sends, the key's count starts again and the 429 does not come; then the whole
    // sequence runs once more with a fresh key, in a window that has only just begun.
    let accepted = 0;
    let limited: Response | undefined;
    for (const attempt of [1, 2]) {
      const key = bearer(`limited-${attempt}-${uniqueName('k')}`);
      // Under the limit, then a batch that crosses it (still taken: a sender sends at most one batch past it).
      const first = await postEvents(stack.collectorUrl, batch(KEY_LIMIT - 5, `a${attempt}`), key);
      expect(first.status).toBe(202);
      const crossing = await postEvents(stack.collectorUrl, batch(10, `b${attempt}`), key);
      expect(crossing.status).toBe(202);
      accepted += KEY_LIMIT + 5;
      const past = await postEvents(stack.collectorUrl, batch(1, `c${attempt}`), key);
      if (past.status === 202 && attempt === 1) {
        accepted += 1;
        continue;
      }
      limited = past;
      break;
    }
    expect(limited?.status).toBe(429);
    const retryAfter = Number(limited?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited?.json()).toMatchObject({ error: expect.stringContaining('too many requests') });

    // Another key from the same address, and a browser from it, are not limited by that key's count.
    const other = await postEvents(stack.collectorUrl, event('other-key'), bearer(`limited-other-${uniqueName('k')}`));
    expect(other.status).toBe(202);
    const browser = await postEvents(stack.collectorUrl, { site: limitedSite, name: 'pageview', url: `https://${limitedSite}/browser` });
    expect(browser.status).toBe(202);

    // Everything taken is stored; the refused event is not (the probe of the other key arrived after it).
    const rows = await waitFor(
      () => stack.query<{ n: string }>('SELECT count() AS n FROM {db}.events WHERE site = {s:String}', { s: limitedSite }),
      (r) => Number(r[0]?.n) >= accepted + 2,
    );
    expect(Number(rows[0]?.n)).toBe(accepted + 2);
    const refused = await stack.query<{ n: string }>("SELECT count() AS n FROM {db}.events WHERE site = {s:String} AND path LIKE '/c%'", {
      s: limitedSite,
    });
    expect(Number(refused[0]?.n)).toBe(accepted === KEY_LIMIT + 5 ? 0 : 1);
  });
});
