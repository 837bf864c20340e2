/**
 * A backdated workload for the dashboard UI tests and the bench: visits over the last 20 days
 * (and a few in the last hour), sent as server-side events (SPEC §11: `timestamp`, `ip`,
 * `userAgent`, with the admin token) through the real collector, so the visitors, countries,
 * browsers, channels and visits are the pipeline's own. Deterministic for a seed.
 */
import { DESKTOP_UA, postEvents } from './harness.ts';
import { prng } from './random.ts';

const DAY = 86_400_000;
const IPS = ['81.2.69.160', '8.8.8.8', '193.99.144.80', '212.27.48.10', '133.242.0.1', '200.160.2.3', '203.2.218.214', '46.30.215.1'];
const AGENTS = [
  DESKTOP_UA,
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
];
const PATHS = ['/', '/pricing', '/docs', '/docs/install', '/blog/hello', '/blog/launch', '/about'];
const REFERRERS = [
  '',
  'https://www.google.com/',
  'https://twitter.com/someone/status/1',
  'https://news.ycombinator.com/item?id=1',
  'https://chatgpt.com/',
];
const CAMPAIGN = '?utm_source=newsletter&utm_medium=email&utm_campaign=winter&utm_term=analytics&utm_content=header';

export interface SeedEvent {
  site: string;
  name: string;
  url: string;
  referrer?: string;
  timestamp: string;
  ip: string;
  userAgent: string;
  screenWidth: number;
  props?: Record<string, string>;
  eventId?: string;
  pageviewId?: string;
  durationMs?: number;
  scrollDepth?: number;
}

/** A UUID drawn from `random` (the collector accepts any well-formed id). */
function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/**
 * `visits` visits, each of one visitor (ip × agent), 1–4 pageviews a minute apart, some with a
 * signup; about half the pageviews are left with an engagement 30 s later (time on page and
 * scroll depth), drawn from a second generator so the visits are those of the seed alone.
 */
export function uiWorkload(site: string, now: number, visits = 120, seed = 18): SeedEvent[] {
  const random = prng(seed);
  const engaged = prng(seed + 1_000);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const events: SeedEvent[] = [];
  for (let v = 0; v < visits; v++) {
    // Most visits over 20 days; one in ten in the last 50 minutes (realtime and today).
    const start = v % 10 === 0 ? now - 50 * 60_000 + random() * 40 * 60_000 : now - 20 * DAY + random() * 19 * DAY;
    const visitor = { ip: pick(IPS), userAgent: pick(AGENTS) };
    const screenWidth = visitor.userAgent.includes('iPhone') ? 390 : 1440;
    const referrer = pick(REFERRERS);
    const campaign = random() < 0.15;
    const pages = 1 + Math.floor(random() * 4);
    for (let p = 0; p < pages; p++) {
      const path = p === 0 ? pick(PATHS) : pick(PATHS.slice(1));
      const at = new Date(start + p * 60_000).toISOString();
      const eventId = uuid(engaged);
      events.push({
        site,
        name: 'pageview',
        url: `https://${site}${path}${p === 0 && campaign ? CAMPAIGN : ''}`,
        ...(p === 0 && referrer ? { referrer } : {}),
        timestamp: at,
        ...visitor,
        screenWidth,
        eventId,
      });
      if (engaged() < 0.5) {
        events.push({
          site,
          name: 'engagement',
          url: `https://${site}${path}`,
          timestamp: new Date(start + p * 60_000 + 30_000).toISOString(),
          ...visitor,
          screenWidth,
          pageviewId: eventId,
          durationMs: 5_000 + Math.floor(engaged() * 25_000),
          scrollDepth: 10 + Math.floor(engaged() * 91),
        });
      }
    }
    if (random() < 0.25) {
      events.push({
        site,
        name: 'signup',
        url: `https://${site}/pricing`,
        timestamp: new Date(start + pages * 60_000 - 30_000).toISOString(),
        ...visitor,
        screenWidth,
        props: { plan: pick(['free', 'pro', 'team']) },
      });
    }
  }
  return events;
}

/** Sends events as server-side events with the admin token, 100 a request. */
export async function sendServerEvents(collectorUrl: string, token: string, events: SeedEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const res = await postEvents(collectorUrl, events.slice(i, i + 100), {
      Authorization: `Bearer ${token}`,
      'User-Agent': 'tidemark-seed/1.0',
    });
    if (res.status !== 202) throw new Error(`seed: ${res.status} ${await res.text()}`);
  }
}
