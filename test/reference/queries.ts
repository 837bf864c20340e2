/** Random Query API bodies for the property tests (valid ones: the parser's errors have their own tests). */
import { METRICS as ALL_METRICS, EVENT_DIMENSIONS, VISIT_DIMENSIONS } from '../../packages/dashboard-api/src/v2/vocabulary.ts';
import { prng } from './workload.ts';

const METRICS = ALL_METRICS.filter((m) => m !== 'conversions' && m !== 'conversion_rate'); // those need a goal (added below)
const DIMENSIONS = [
  ...EVENT_DIMENSIONS,
  ...VISIT_DIMENSIONS.filter((d) => d !== 'browser_version' && d !== 'utm_content' && d !== 'hostname'),
  'time',
  'time:hour',
  'time:day',
  'time:week',
  'event:source',
  'event:country',
];
const ZONES = ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York', 'Australia/Eucla'];
const VALUES: Record<string, string[]> = {
  page: ['/', '/pricing', '/blog/', '/docs'],
  entry_page: ['/', '/pricing', '/blog/one'],
  source: ['Google', 'Direct / None', 'Hacker News', 'ChatGPT', 'newsletter'],
  channel: ['Direct', 'Organic Search', 'Paid Search', 'Email', 'AI Assistants', 'Referral', 'Organic Social', 'Paid Social'],
  country: ['DE', 'US', 'IN', ''],
  region: ['Bavaria', 'California', 'Île-de-France', ''],
  city: ['Paris', 'Munich', 'Kathmandu', ''],
  device: ['desktop', 'mobile'],
  event: ['signup', 'pageview', 'download'],
  goal: ['signup', 'download', 'Signup', 'Blog', 'Any blog', 'Docs'],
  'prop:plan': ['pro', 'free'],
};

export function randomQuery(seed: number, sites: string[], dateRanges: unknown[]): Record<string, unknown> {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const metrics = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(METRICS)))];
  const dimensions = [...new Set(Array.from({ length: Math.floor(rnd() * 2.4) }, () => pick(DIMENSIONS)))];
  if (dimensions.filter((d) => d.startsWith('time')).length > 1)
    dimensions.splice(
      dimensions.findIndex((d) => d.startsWith('time')),
      1,
    );
  // Visit metrics beside `prop:*` and `event:*` too: a visit counts from its own events (matched-visits.ts).
  const prop = rnd() < 0.2;
  if (prop && dimensions.length < 2) dimensions.push('prop:plan');
  const leaf = (): unknown[] => {
    const dims = Object.keys(VALUES).filter((d) => prop || d !== 'prop:plan');
    const dim = pick(dims);
    const op = pick(['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not']);
    const value = op.startsWith('matches') ? pick(['^/blog', 'pro|team', '^D', '.*e$']) : pick(VALUES[dim] as string[]);
    return [op, dim, [value]];
  };
  const filters: unknown[] = [];
  const n = Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    filters.push(r < 0.7 ? leaf() : r < 0.85 ? ['or', [leaf(), leaf()]] : ['not', leaf()]);
  }
  const body: Record<string, unknown> = {
    site: rnd() < 0.7 ? sites[0] : sites,
    metrics,
    dateRange: pick(dateRanges),
    timezone: pick(ZONES),
    dimensions,
    filters,
    limit: 1 + Math.floor(rnd() * 40),
  };
  // Conversions when a goal is at hand (configured goals on one site, event names on the other).
  const goalUsed = dimensions.includes('goal') || JSON.stringify(filters).includes('"goal"') || JSON.stringify(filters).includes('"event"');
  if (goalUsed && rnd() < 0.6) (metrics as string[]).push(pick(['conversions', 'conversion_rate']));
  if (rnd() < 0.25) body.compare = pick(['previous_period', 'year_over_year']);
  if (rnd() < 0.2 && dimensions.length > 0) body.orderBy = [[pick([...metrics, ...dimensions]), pick(['asc', 'desc'])]];
  if (rnd() < 0.1) body.offset = Math.floor(rnd() * 5);
  return body;
}
