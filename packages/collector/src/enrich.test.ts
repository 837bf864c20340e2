import { classifyReferrer, parseEventBatch } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { createEnricher } from './enrich.ts';
import { countryFromHeaders, createCountryLookup } from './geo/country.ts';
import { parseAgent } from './user-agent.ts';
import { createEventSalts, createMemorySalts, createVisitorIds, type SaltSource, visitorId } from './visitor.ts';

const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const IPAD =
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36';

function enrichOne(
  event: Record<string, unknown>,
  facts: Partial<{ ip: string; userAgent: string; country: string; region: string; city: string; nowMs: number }> = {},
) {
  const enricher = createEnricher(createMemorySalts());
  const [parsed] = parseEventBatch(JSON.stringify({ site: 'example.com', name: 'pageview', ...event }));
  if (!parsed) throw new Error('no event');
  const userAgent = facts.userAgent ?? CHROME_WIN;
  return enricher.enrich(parsed, {
    ip: facts.ip ?? '203.0.113.9',
    agent: parseAgent(userAgent),
    userAgent,
    country: facts.country ?? '',
    region: facts.region ?? '',
    city: facts.city ?? '',
    nowMs: facts.nowMs ?? Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  });
}

describe('url enrichment', () => {
  it.each([
    ['https://Example.com/a/b?x=1#h', { host: 'example.com', path: '/a/b', query: '?x=1' }],
    ['http://www.example.com', { host: 'www.example.com', path: '/', query: '' }],
    [
      'https://example.com/p?utm_source=hn&utm_medium=social&utm_campaign=launch&utm_term=t&utm_content=c',
      {
        utm_source: 'hn',
        utm_medium: 'social',
        utm_campaign: 'launch',
        utm_term: 't',
        utm_content: 'c',
      },
    ],
    ['https://example.com/?gclid=g1', { click_id: 'gclid:g1' }],
    ['https://example.com/?fbclid=f1', { click_id: 'fbclid:f1' }],
    ['https://example.com/?msclkid=m1', { click_id: 'msclkid:m1' }],
    ['https://example.com/?fbclid=f1&gclid=g1', { click_id: 'gclid:g1' }],
    ['https://example.com/?utm_source=', { utm_source: '', click_id: '' }],
    [`https://example.com/?utm_source=${'s'.repeat(400)}`, { utm_source: 's'.repeat(256) }],
  ])('%s', (url, expected) => {
    expect(enrichOne({ url })).toMatchObject(expected);
  });

  it('stores page and referrer URLs without their credentials', () => {
    const row = enrichOne({ url: 'https://user:secret@example.com/a?x=1#h', referrer: 'https://me:pw@www.google.com/search?q=x' });
    expect(row.url).toBe('https://example.com/a?x=1#h');
    expect(row.referrer).toBe('https://www.google.com/search?q=x');
    expect(row).toMatchObject({ host: 'example.com', path: '/a', referrer_host: 'google.com', referrer_source: 'search' });
    expect(JSON.stringify(row)).not.toMatch(/secret|\bpw\b|user:|me:/);
    // Only the user, or an odd URL the parser still reads: no credential is kept.
    expect(enrichOne({ url: 'https://user@example.com/' }).url).toBe('https://example.com/');
    expect(enrichOne({ url: 'https://a:b@c@example.com/p' }).url).toBe('https://example.com/p');
    // URLs without credentials are stored as sent, and a referrer that is no URL is left alone.
    expect(enrichOne({ url: 'https://Example.com/%7Ea?q=@x' }).url).toBe('https://Example.com/%7Ea?q=@x');
    expect(enrichOne({ url: 'https://example.com/', referrer: 'mail from x@y' }).referrer).toBe('mail from x@y');
  });

  it('stamps the receive time in UTC with milliseconds and keeps the event id', () => {
    const row = enrichOne({ url: 'https://example.com/', eventId: '0B6F6F3E-4A4C-4F61-9D0B-6D6C0F3F1A11' });
    expect(row.timestamp).toBe('2026-01-02 03:04:05.006');
    expect(row.event_id).toBe('0b6f6f3e-4a4c-4f61-9d0b-6d6c0f3f1a11');
    expect(enrichOne({ url: 'https://example.com/' }).event_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('turns props into a string map and keeps engagement fields', () => {
    const row = enrichOne({
      url: 'https://example.com/',
      name: 'engagement',
      pageviewId: '0b6f6f3e-4a4c-4f61-9d0b-6d6c0f3f1a11',
      durationMs: 1234,
      screenWidth: 390,
      props: { plan: 'pro', seats: 3, trial: true },
    });
    expect(row).toMatchObject({ pageview_id: '0b6f6f3e-4a4c-4f61-9d0b-6d6c0f3f1a11', duration_ms: 1234, screen_width: 390 });
    expect(row.props).toEqual({ plan: 'pro', seats: '3', trial: 'true' });
  });
});

describe('referrer', () => {
  it.each([
    [undefined, 'example.com', '', 'direct'],
    ['https://www.google.com/search?q=x', 'example.com', 'google.com', 'search'],
    ['https://www.google.co.uk/', 'example.com', 'google.co.uk', 'search'],
    ['https://duckduckgo.com/', 'example.com', 'duckduckgo.com', 'search'],
    ['https://www.bing.com/', 'example.com', 'bing.com', 'search'],
    ['https://t.co/abc', 'example.com', 't.co', 'social'],
    ['https://news.ycombinator.com/item?id=1', 'example.com', 'news.ycombinator.com', 'social'],
    ['https://t.company.com/x', 'example.com', 't.company.com', 'other'],
    ['https://fb.community.net/', 'example.com', 'fb.community.net', 'other'],
    ['https://m.facebook.com/', 'example.com', 'm.facebook.com', 'social'],
    ['https://old.reddit.com/r/x', 'example.com', 'old.reddit.com', 'social'],
    ['https://mail.google.com/mail/u/0', 'example.com', 'mail.google.com', 'email'],
    ['https://outlook.live.com/', 'example.com', 'outlook.live.com', 'email'],
    ['https://blog.other.org/post', 'example.com', 'blog.other.org', 'other'],
    ['https://www.example.com/prev', 'example.com', 'example.com', 'internal'],
    ['https://example.com/prev', 'www.example.com', 'example.com', 'internal'],
    ['not a url', 'example.com', '', 'other'],
    ['android-app://com.google.android.gm/', 'example.com', 'com.google.android.gm', 'email'],
    ['android-app://com.google.android.googlequicksearchbox/', 'example.com', 'com.google.android.googlequicksearchbox', 'search'],
  ])('%s on %s → %s (%s)', (referrer, pageHost, host, source) => {
    expect(classifyReferrer(referrer, pageHost)).toEqual({ host, source });
  });
});

describe('user agent', () => {
  it.each([
    [CHROME_WIN, { bot: false, device: 'desktop', browser: 'Chrome', browserVersion: '130', os: 'Windows', osVersion: '10' }],
    [IPHONE, { bot: false, device: 'mobile', browser: 'Mobile Safari', browserVersion: '17', os: 'iOS', osVersion: '17.1' }],
    [IPAD, { bot: false, device: 'tablet', os: 'iOS' }],
    [FIREFOX_LINUX, { bot: false, device: 'desktop', browser: 'Firefox', browserVersion: '128', os: 'Linux' }],
    [ANDROID, { bot: false, device: 'mobile', browser: 'Chrome', os: 'Android', osVersion: '14' }],
  ])('%s', (ua, expected) => {
    expect(parseAgent(ua)).toMatchObject(expected);
  });

  it.each([
    ['empty', ''],
    ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
    ['curl', 'curl/8.5.0'],
    ['HeadlessChrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36'],
    ['PhantomJS', 'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1'],
    ['python-requests', 'python-requests/2.32.0'],
    ['Playwright', `${CHROME_WIN} Playwright/1.40`],
    ['Selenium', `${CHROME_WIN} Selenium`],
  ])('flags %s as a bot', (_, ua) => {
    expect(parseAgent(ua).bot).toBe(true);
  });
});

describe('country', () => {
  const fromDatabase = createCountryLookup({ trustProxy: false });
  const behindProxy = createCountryLookup({ trustProxy: true });

  it.each([
    ['8.8.8.8', 'US'],
    ['81.2.69.160', 'GB'],
    ['::ffff:81.2.69.160', 'GB'],
    ['2001:4860:4860::8888', 'US'],
    ['127.0.0.1', ''],
    ['10.1.2.3', ''],
    ['', ''],
    ['not-an-ip', ''],
  ])('%s → %s from the bundled database', (ip, code) => {
    expect(fromDatabase(ip, {})).toBe(code);
  });

  it.each([
    [{ 'cf-ipcountry': 'de' }, 'DE'],
    [{ 'cloudfront-viewer-country': 'FR' }, 'FR'],
    [{ 'x-vercel-ip-country': 'JP' }, 'JP'],
    [{ 'cf-ipcountry': 'XX' }, ''],
    [{ 'cf-ipcountry': 'T1' }, ''],
    [{ 'cf-ipcountry': 'germany' }, ''],
    [{}, ''],
  ])('CDN header %o → %s', (headers, code) => {
    expect(countryFromHeaders(headers)).toBe(code);
  });

  it('trusts CDN headers only behind a trusted proxy, else falls back to the database', () => {
    expect(fromDatabase('81.2.69.160', { 'cf-ipcountry': 'DE' })).toBe('GB');
    expect(behindProxy('81.2.69.160', { 'cf-ipcountry': 'DE' })).toBe('DE');
    expect(behindProxy('81.2.69.160', {})).toBe('GB');
  });
});

describe('visitor', () => {
  const day = Date.UTC(2026, 0, 2, 12);

  it('is stable within a day, differs across sites, agents, IPs and days', () => {
    const salts = createMemorySalts();
    const id = (site: string, ip: string, ua: string, at = day) => visitorId(salts.saltFor(at), site, ip, ua);
    const base = id('a.com', '1.1.1.1', CHROME_WIN);
    expect(id('a.com', '1.1.1.1', CHROME_WIN, day + 3_600_000)).toBe(base);
    expect(id('b.com', '1.1.1.1', CHROME_WIN)).not.toBe(base);
    expect(id('a.com', '1.1.1.2', CHROME_WIN)).not.toBe(base);
    expect(id('a.com', '1.1.1.1', IPHONE)).not.toBe(base);
    expect(id('a.com', '1.1.1.1', CHROME_WIN, day + 86_400_000)).not.toBe(base);
    expect(base).toMatch(/^\d{1,20}$/);
  });

  it('remembers ids only for the current salt, and gives the same ids as the hash', () => {
    const salts = createMemorySalts();
    const remembered = createVisitorIds(2);
    const today = salts.saltFor(day);
    const tomorrow = salts.saltFor(day + 86_400_000);
    const visitors = [
      ['a.com', '1.1.1.1', CHROME_WIN],
      ['a.com', '1.1.1.2', CHROME_WIN],
      ['b.com', '1.1.1.1', IPHONE],
      ['a.com', '1.1.1.1', IPHONE],
    ] as const;
    // Twice round, past the bound (2 per generation): every answer is the hash's own.
    for (const salt of [today, tomorrow, today]) {
      for (let round = 0; round < 2; round++) {
        for (const [site, ip, ua] of visitors) expect(remembered(salt, site, ip, ua)).toBe(visitorId(salt, site, ip, ua));
      }
    }
  });

  it('forgets salts older than yesterday', () => {
    const salts = createMemorySalts();
    const first = salts.saltFor(day);
    salts.saltFor(day + 86_400_000);
    expect(salts.saltFor(day)).toBe(first); // yesterday is still known
    salts.saltFor(day + 2 * 86_400_000);
    expect(salts.saltFor(day).equals(first)).toBe(false); // gone: a new random salt
  });
});

describe('salts of server-side events of other days', () => {
  const DAY = 86_400_000;
  const now = Date.UTC(2026, 2, 31, 12);
  /** A source holding chosen days' salts (today's is always one). */
  const source = (held: Record<number, Buffer>): SaltSource => ({
    saltFor: (ms) => held[Math.floor(ms / DAY)] ?? Buffer.alloc(32, 9),
    held: (d) => held[d],
  });
  const today = Math.floor(now / DAY);

  it("uses the day's own salt while the source holds it, and derives one otherwise", () => {
    const todaySalt = Buffer.alloc(32, 1);
    const yesterday = Buffer.alloc(32, 2);
    const saltOf = createEventSalts(source({ [today]: todaySalt, [today - 1]: yesterday }));
    expect(saltOf(now - 3_600_000, now)).toBe(todaySalt);
    expect(saltOf(now - DAY, now)).toBe(yesterday);
    const old = saltOf(now - 5 * DAY, now);
    expect(old).toHaveLength(32);
    expect([todaySalt, yesterday].some((s) => s.equals(old))).toBe(false);
    expect(saltOf(now - 5 * DAY + 3_600_000, now)).toBe(old); // one day, one salt
    expect(saltOf(now - 6 * DAY, now).equals(old)).toBe(false); // another day, another salt
  });

  it('derives the same salt on every instance sharing the day salt, and a new one when it changes', () => {
    const shared = { [today]: Buffer.alloc(32, 1) };
    const a = createEventSalts(source(shared))(now - 5 * DAY, now);
    const b = createEventSalts(source({ ...shared }))(now - 5 * DAY, now);
    expect(a.equals(b)).toBe(true);
    const rotated = createEventSalts(source({ [today]: Buffer.alloc(32, 3) }))(now - 5 * DAY, now);
    expect(rotated.equals(a)).toBe(false);
    // Tomorrow (a new day salt): the old day's derived salt changes with it.
    const salts = createMemorySalts();
    const saltOf = createEventSalts(salts);
    const first = saltOf(now - 5 * DAY, now);
    expect(saltOf(now - 5 * DAY, now + DAY).equals(first)).toBe(false);
  });

  it('stores a backdated event at its own time, with the visitor id of its day', () => {
    const salts = createMemorySalts();
    const enricher = createEnricher(salts);
    const enrich = (timestamp: string | undefined, nowMs: number) => {
      const body = JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://example.com/', ...(timestamp && { timestamp }) });
      const [parsed] = parseEventBatch(body, { server: true, nowMs });
      if (!parsed) throw new Error('no event');
      return enricher.enrich(parsed, {
        ip: '203.0.113.9',
        agent: parseAgent(CHROME_WIN),
        userAgent: CHROME_WIN,
        country: '',
        region: '',
        city: '',
        nowMs,
      });
    };
    const live = enrich(undefined, now);
    const sameDay = enrich('2026-03-31T01:02:03.456Z', now);
    expect(sameDay.timestamp).toBe('2026-03-31 01:02:03.456');
    expect(sameDay.visitor_id).toBe(live.visitor_id);
    const liveYesterday = enrich(undefined, now - DAY);
    const yesterday = enrich('2026-03-30T23:00:00Z', now);
    expect(yesterday.visitor_id).toBe(liveYesterday.visitor_id); // yesterday's salt is still held
    const old = enrich('2026-03-20T10:00:00Z', now);
    const oldLater = enrich('2026-03-20T22:00:00Z', now);
    expect(old.timestamp).toBe('2026-03-20 10:00:00.000');
    expect(oldLater.visitor_id).toBe(old.visitor_id);
    expect(enrich('2026-03-19T10:00:00Z', now).visitor_id).not.toBe(old.visitor_id);
    expect(new Set([live.visitor_id, yesterday.visitor_id, old.visitor_id]).size).toBe(3);
  });
});
