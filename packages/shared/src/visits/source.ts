/**
 * Where a visit came from (SPEC §10): its `source` (a name such as `Google`, the referrer's
 * host, the `utm_source`, or `Direct / None`) and its `channel` (`Direct`, `Organic Search`,
 * `Paid Search`, `Organic Social`, `Paid Social`, `Email`, `Referral`, `AI Assistants`),
 * from the entry event's referrer host, source class, UTM parameters and click id. The
 * ingester stores both on each visit; the reference implementation uses the same mapping.
 * The host lists are data, not code.
 */

export const CHANNELS = [
  'Direct',
  'Organic Search',
  'Paid Search',
  'Organic Social',
  'Paid Social',
  'Email',
  'Referral',
  'AI Assistants',
] as const;
export type Channel = (typeof CHANNELS)[number];

export const DIRECT_SOURCE = 'Direct / None';

/** Referrer hosts (or host suffixes) by source name; the first match wins. */
const NAMES: [string, string[]][] = [
  ['ChatGPT', ['chatgpt.com', 'chat.openai.com', 'openai.com']],
  ['Perplexity', ['perplexity.ai']],
  ['Claude', ['claude.ai']],
  ['Gemini', ['gemini.google.com', 'bard.google.com']],
  ['Copilot', ['copilot.microsoft.com', 'copilot.cloud.microsoft']],
  ['DeepSeek', ['chat.deepseek.com']],
  ['Google', ['google.']],
  ['Bing', ['bing.com']],
  ['DuckDuckGo', ['duckduckgo.com']],
  ['Yahoo!', ['yahoo.']],
  ['Yandex', ['yandex.']],
  ['Baidu', ['baidu.com']],
  ['Ecosia', ['ecosia.org']],
  ['Brave', ['search.brave.com']],
  ['Kagi', ['kagi.com']],
  ['Facebook', ['facebook.com', 'fb.com', 'm.facebook.com', 'l.facebook.com']],
  ['Twitter', ['t.co', 'twitter.com', 'x.com']],
  ['LinkedIn', ['linkedin.com', 'lnkd.in']],
  ['Reddit', ['reddit.com']],
  ['Instagram', ['instagram.com']],
  ['YouTube', ['youtube.com']],
  ['Hacker News', ['news.ycombinator.com']],
  ['Bluesky', ['bsky.app']],
  ['GitHub', ['github.com']],
];

/** AI assistants: hosts and `utm_source` values (ChatGPT tags its links `utm_source=chatgpt.com`). */
const AI = ['chatgpt.com', 'chat.openai.com', 'openai.com', 'perplexity.ai', 'claude.ai', 'gemini.google.com', 'bard.google.com'];
const AI_PREFIXES = ['copilot.', 'chat.deepseek.com', 'chat.mistral.ai', 'meta.ai', 'grok.com', 'poe.com', 'you.com'];
const SEARCH_SOURCES = ['google', 'bing', 'duckduckgo', 'yahoo', 'yandex', 'baidu', 'ecosia', 'brave', 'kagi', 'qwant', 'startpage'];
const SOCIAL_SOURCES = [
  'facebook',
  'fb',
  'twitter',
  'x',
  't.co',
  'linkedin',
  'reddit',
  'instagram',
  'ig',
  'youtube',
  'tiktok',
  'pinterest',
  'mastodon',
  'bluesky',
  'threads',
  'hacker news',
  'hn',
];
const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SOCIAL_MEDIUM = /^(social|social[-_ ]?network|social[-_ ]?media|sm|social[-_ ]?paid)$/;

function hostMatches(host: string, entry: string): boolean {
  return entry.endsWith('.') ? host.startsWith(entry) || host.includes(`.${entry}`) : host === entry || host.endsWith(`.${entry}`);
}

/** The referrer's source name: a known name, else its host (without `www.`). */
export function sourceName(referrerHost: string, utmSource: string, referrerClass: string): string {
  const host = referrerHost.toLowerCase().replace(/^www\./, '');
  if (host && referrerClass !== 'internal') {
    for (const [name, hosts] of NAMES) if (hosts.some((h) => hostMatches(host, h))) return name;
    return host;
  }
  if (utmSource) return utmSource;
  return DIRECT_SOURCE;
}

function isAi(host: string, utmSource: string): boolean {
  const candidates = [host, utmSource.toLowerCase()].filter(Boolean);
  return candidates.some((c) => AI.some((h) => hostMatches(c, h)) || AI_PREFIXES.some((p) => c.startsWith(p) || c.includes(`.${p}`)));
}

export interface ChannelInput {
  referrerHost: string;
  /** The collector's class of the referrer: search, social, email, direct, other, internal. */
  referrerClass: string;
  utmSource: string;
  utmMedium: string;
  /** `gclid:…`, `msclkid:…`, `fbclid:…` or ''. */
  clickId: string;
}

/** The visit's channel, in the order GA4 and Plausible apply their rules. */
export function channelOf({ referrerHost, referrerClass, utmSource, utmMedium, clickId }: ChannelInput): Channel {
  const host = referrerClass === 'internal' ? '' : referrerHost.toLowerCase().replace(/^www\./, '');
  const medium = utmMedium.toLowerCase();
  const source = utmSource.toLowerCase();
  if (isAi(host, source)) return 'AI Assistants';
  const searchy = referrerClass === 'search' || SEARCH_SOURCES.includes(source);
  const socialy = referrerClass === 'social' || SOCIAL_SOURCES.includes(source);
  const paidClick = clickId.startsWith('gclid:') || clickId.startsWith('msclkid:');
  if (paidClick || PAID_MEDIUM.test(medium)) {
    if (socialy && !paidClick) return 'Paid Social';
    if (searchy || paidClick) return 'Paid Search';
    return socialy ? 'Paid Social' : 'Paid Search';
  }
  if (referrerClass === 'email' || /e[-_ ]?mail|newsletter/.test(medium) || /e[-_ ]?mail|newsletter/.test(source)) return 'Email';
  if (searchy || medium === 'organic') return 'Organic Search';
  if (socialy || SOCIAL_MEDIUM.test(medium)) return 'Organic Social';
  if (host || medium === 'referral' || medium === 'link' || medium === 'app') return 'Referral';
  if (source) return 'Referral';
  return 'Direct';
}
