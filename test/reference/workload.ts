/**
 * Random workloads for the property tests: visitors whose events come with gaps around the
 * 30-minute visit cut, SPA pageviews, engagements tied to their pageview, custom events with
 * props, UTM links, click ids, AI and search referrers, several sites; attributes that come
 * from the IP and User-Agent (country, region, city, device, browser, OS, screen) stay constant per visitor,
 * as the collector makes them, and so does the visitor id's rotation: the collector hashes it with
 * the salt of the event's own UTC day, so a person is a different visitor id each UTC day (an
 * engagement beacon received after midnight included) — which the Query API's visitor counts rely
 * on (docs/query.md, "Distinct visitors over many days"). Deterministic for a seed (a small PRNG),
 * so a failure names the seed that reproduces it.
 */
import { randomUUID } from 'node:crypto';
import { type StoredEvent, storedEvent, toClickHouseTime } from '@tidemark/shared';

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkloadOptions {
  seed: number;
  sites?: string[];
  visitors?: number;
  /** The time of the first event (ms). */
  start: number;
  /** How long the workload spans (ms). */
  spanMs: number;
}

const PAGES = ['/', '/pricing', '/docs', '/docs/start', '/blog/', '/blog/one', '/blog/two', '/about'];
const REFERRERS: [string, string, string][] = [
  ['', '', 'direct'],
  ['https://www.google.com/', 'google.com', 'search'],
  ['https://duckduckgo.com/', 'duckduckgo.com', 'search'],
  ['https://t.co/x', 't.co', 'social'],
  ['https://news.ycombinator.com/item?id=1', 'news.ycombinator.com', 'social'],
  ['https://chatgpt.com/', 'chatgpt.com', 'other'],
  ['https://perplexity.ai/search', 'perplexity.ai', 'other'],
  ['https://mail.google.com/', 'mail.google.com', 'email'],
  ['https://example.org/links', 'example.org', 'other'],
];
const UTMS: [string, string, string][] = [
  ['', '', ''],
  ['', '', ''],
  ['newsletter', 'email', 'spring'],
  ['google', 'cpc', 'brand'],
  ['facebook', 'paid_social', 'launch'],
  ['chatgpt.com', '', ''],
];
const COUNTRIES = ['DE', 'US', 'IN', 'NP', 'FR', ''];
/**
 * Each country's regions and cities as the collector's city database names them (a place may be
 * unknown: ''); Paris is in France and in Texas, and a region name may stand for a city too.
 */
const PLACES: Record<string, [string, string][]> = {
  DE: [
    ['Bavaria', 'Munich'],
    ['Bavaria', 'Nuremberg'],
    ['Berlin', 'Berlin'],
  ],
  US: [
    ['California', 'Mountain View'],
    ['California', 'San Francisco'],
    ['Texas', 'Paris'],
    ['', ''],
  ],
  IN: [['Karnataka', 'Bengaluru']],
  NP: [['Bagmati Province', 'Kathmandu']],
  FR: [
    ['Île-de-France', 'Paris'],
    ['Grand Est', 'Strasbourg'],
  ],
  '': [['', '']],
};
const AGENTS: [string, string, string, string, string][] = [
  ['desktop', 'Chrome', '130', 'Windows', '10'],
  ['mobile', 'Safari', '18', 'iOS', '18.1'],
  ['desktop', 'Firefox', '132', 'Linux', ''],
  ['tablet', 'Chrome', '129', 'Android', '14'],
];
const SCREENS = [390, 820, 1280, 1920, 0];
const GAPS_MIN = [0.05, 0.5, 2, 10, 29, 29.99, 30, 30.01, 31, 45, 90, 300];

export function workload({ seed, sites = ['a.example', 'b.example'], visitors = 25, start, spanMs }: WorkloadOptions): StoredEvent[] {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const events: StoredEvent[] = [];
  for (let v = 0; v < visitors; v++) {
    const site = pick(sites);
    const person = 1_000 + Math.floor(rnd() * 1e9);
    /** The id the collector gives this person on the UTC day of `ms` (distinct for every person and day). */
    const idOn = (ms: number) => String(person * 100_000 + Math.floor(ms / 86_400_000));
    const [device, browser, browserVersion, os, osVersion] = pick(AGENTS);
    // Drawn in the order they always were (host, then country): a seed's workload stays as it was.
    const host = rnd() < 0.85 ? site : `www.${site}`;
    const country = pick(COUNTRIES);
    // Picked by the person, no draw of its own.
    const places = PLACES[country] ?? [['', '']];
    const [region, city] = places[person % places.length] ?? ['', ''];
    const fixed = {
      site,
      host,
      country,
      region,
      city,
      device,
      browser,
      browser_version: browserVersion,
      os,
      os_version: osVersion,
      screen_width: pick(SCREENS),
    };
    let t = start + Math.floor(rnd() * spanMs);
    const count = 1 + Math.floor(rnd() * 12);
    let landing = true;
    for (let i = 0; i < count && t < start + spanMs; i++) {
      const path = pick(PAGES);
      const [referrer, referrerHost, referrerSource] = landing ? pick(REFERRERS) : [`https://${site}/`, site, 'internal'];
      const [utmSource, utmMedium, utmCampaign] = landing ? pick(UTMS) : ['', '', ''];
      const clickId = landing && rnd() < 0.1 ? 'gclid:abc' : '';
      const pageviewId = randomUUID();
      const base = {
        ...fixed,
        path,
        url: `https://${fixed.host}${path}`,
        referrer,
        referrer_host: referrerHost,
        referrer_source: referrerSource,
        utm_source: utmSource,
        utm_medium: utmMedium,
        utm_campaign: utmCampaign,
        utm_term: utmCampaign ? pick(['', 'shoes', 'boots']) : '',
        utm_content: utmCampaign ? pick(['', 'a', 'b']) : '',
        click_id: clickId,
      };
      const kind = rnd();
      if (kind < 0.75) {
        events.push(storedEvent({ ...base, visitor_id: idOn(t), event_id: pageviewId, name: 'pageview', timestamp: toClickHouseTime(t) }));
        if (rnd() < 0.6) {
          const stay = Math.floor(rnd() * 20 * 60_000);
          events.push(
            storedEvent({
              ...base,
              visitor_id: idOn(t + stay),
              event_id: randomUUID(),
              name: 'engagement',
              pageview_id: pageviewId,
              duration_ms: Math.floor(stay * rnd()),
              scroll_depth: stay % 101, // 0 (none sent) now and then
              timestamp: toClickHouseTime(t + stay),
            }),
          );
        }
      } else {
        const name = pick(['signup', 'download', 'Outbound Link: Click']);
        const props = rnd() < 0.7 ? { plan: pick(['free', 'pro', 'team']), ...(rnd() < 0.5 ? { ab: pick(['x', 'y']) } : {}) } : {};
        events.push(storedEvent({ ...base, visitor_id: idOn(t), event_id: randomUUID(), name, props, timestamp: toClickHouseTime(t) }));
      }
      landing = false;
      const gap = pick(GAPS_MIN) * 60_000;
      t += Math.round(gap + (rnd() < 0.5 ? rnd() * 1000 : 0));
      if (gap > 30 * 60_000) landing = true;
    }
  }
  return events;
}

/** The events in an arrival order: time order with some disorder (late and backdated events). */
export function arrivalOrder(events: readonly StoredEvent[], seed: number, backdatedShare = 0.1): StoredEvent[] {
  const rnd = prng(seed ^ 0x5bd1e995);
  const keyed = events.map((e) => {
    const t = Date.parse(`${e.timestamp.replace(' ', 'T')}Z`);
    const late = rnd() < backdatedShare ? rnd() * 6 * 3_600_000 : rnd() * 2000;
    return { e, at: t + late };
  });
  keyed.sort((a, b) => a.at - b.at);
  return keyed.map((k) => k.e);
}
