/** The Query API's dimensions as the dashboard names them, and the ones a filter can use. */
export const LABELS: Record<string, string> = {
  page: 'Page',
  entry_page: 'Entry page',
  exit_page: 'Exit page',
  hostname: 'Hostname',
  channel: 'Channel',
  source: 'Source',
  referrer: 'Referrer',
  utm_medium: 'UTM medium',
  utm_source: 'UTM source',
  utm_campaign: 'UTM campaign',
  utm_term: 'UTM term',
  utm_content: 'UTM content',
  country: 'Country',
  region: 'Region',
  city: 'City',
  device: 'Device',
  browser: 'Browser',
  browser_version: 'Browser version',
  os: 'Operating system',
  os_version: 'OS version',
  screen: 'Screen size',
  goal: 'Goal',
  event: 'Event',
};

export const FILTER_DIMENSIONS = Object.keys(LABELS);

export const OPS: [string, string][] = [
  ['is', 'is'],
  ['is_not', 'is not'],
  ['contains', 'contains'],
  ['contains_not', 'does not contain'],
];

export function dimensionLabel(d: string): string {
  return d.startsWith('prop:') ? `Property ${d.slice(5)}` : (LABELS[d] ?? d);
}

const regionNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'region' }) : null;

/** Country names by code, as `regionNames` gives them (the map names some 180 on each draw). */
const countryNames = new Map<string, string>();

/** How a value shows: countries by name, empty values as "(none)". */
export function valueLabel(d: string, v: string): string {
  if (v === '') return d === 'source' || d === 'referrer' || d === 'channel' ? 'Direct / none' : '(none)';
  if (d === 'country' && /^[A-Z]{2}$/.test(v)) {
    let name = countryNames.get(v);
    if (name === undefined) {
      try {
        name = regionNames?.of(v) ?? v;
      } catch {
        name = v;
      }
      countryNames.set(v, name);
    }
    return name;
  }
  return v;
}
