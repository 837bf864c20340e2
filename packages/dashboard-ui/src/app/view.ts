/**
 * What the page shows, kept in the URL so a link reproduces the view:
 * `?site=example.com&period=7d&compare=previous_period&metric=visitors&grain=day&tz=Europe/Berlin
 *  &f=is,country,DE|AT&f=contains,page,/blog`. In a filter, values are separated by `|`
 * (a literal `|` or `\` in a value is escaped with `\`).
 */
import { DATE, DEFAULT_PERIOD, type Grain, grainsOf, PERIODS } from './periods';

export type Filter = [op: string, dimension: string, values: string[]];

export interface View {
  site: string;
  period: string;
  from: string;
  to: string;
  compare: '' | 'previous_period' | 'year_over_year';
  metric: string;
  grain: Grain | '';
  tz: string;
  filters: Filter[];
}

export const TOP_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];
const OPS = ['is', 'is_not', 'contains', 'contains_not'];

export function escapeValue(v: string): string {
  return v.replace(/[\\|]/g, (c) => `\\${c}`);
}

export function splitValues(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) current += text[++i];
    else if (c === '|') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

export function filterParam([op, dimension, values]: Filter): string {
  return `${op},${dimension},${values.map(escapeValue).join('|')}`;
}

export function parseFilter(text: string): Filter | null {
  const a = text.indexOf(',');
  const b = text.indexOf(',', a + 1);
  if (a < 0 || b < 0) return null;
  const op = text.slice(0, a);
  const dimension = text.slice(a + 1, b);
  if (!OPS.includes(op) || !dimension) return null;
  return [op, dimension, splitValues(text.slice(b + 1))];
}

export function readView(search: string): View {
  const q = new URLSearchParams(search);
  const period = PERIODS.some((p) => p.id === q.get('period')) ? (q.get('period') as string) : DEFAULT_PERIOD;
  const from = DATE.test(q.get('from') ?? '') ? (q.get('from') as string) : '';
  const to = DATE.test(q.get('to') ?? '') ? (q.get('to') as string) : '';
  const compare = q.get('compare');
  const metric = q.get('metric') ?? '';
  const grain = q.get('grain') ?? '';
  const grains = grainsOf(period, from, to);
  return {
    site: q.get('site') ?? '',
    period: period === 'custom' && !(from && to && from <= to) ? DEFAULT_PERIOD : period,
    from,
    to,
    compare: compare === 'previous_period' || compare === 'year_over_year' ? compare : '',
    metric: TOP_METRICS.includes(metric) ? metric : 'visitors',
    grain: (grains as string[]).includes(grain) ? (grain as Grain) : '',
    tz: q.get('tz') ?? '',
    filters: q
      .getAll('f')
      .map(parseFilter)
      .filter((f): f is Filter => f !== null),
  };
}

export function writeView(view: View): string {
  const q = new URLSearchParams();
  if (view.site) q.set('site', view.site);
  q.set('period', view.period);
  if (view.period === 'custom') {
    q.set('from', view.from);
    q.set('to', view.to);
  }
  if (view.compare) q.set('compare', view.compare);
  if (view.metric !== 'visitors') q.set('metric', view.metric);
  if (view.grain) q.set('grain', view.grain);
  if (view.tz) q.set('tz', view.tz);
  for (const f of view.filters) q.append('f', filterParam(f));
  return `?${q.toString()}`;
}

/** The filter list with `f` added: a new `is` on a dimension replaces the `is` already there. */
export function withFilter(filters: Filter[], f: Filter): Filter[] {
  const rest = filters.filter((x) => !(x[1] === f[1] && x[0] === f[0]));
  return [...rest, f];
}
