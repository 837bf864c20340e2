/** A referrer's host and source class (the collector stores both on each event; imports class their referrers alike). The host lists are data, not code. */

const SEARCH = [
  'google.',
  'bing.com',
  'duckduckgo.com',
  'yahoo.',
  'yandex.',
  'baidu.com',
  'ecosia.org',
  'qwant.com',
  'startpage.com',
  'search.brave.com',
  'kagi.com',
];
const SOCIAL = [
  'facebook.com',
  'fb.com',
  't.co',
  'twitter.com',
  'x.com',
  'linkedin.com',
  'lnkd.in',
  'reddit.com',
  'instagram.com',
  'pinterest.',
  'youtube.com',
  'tiktok.com',
  'news.ycombinator.com',
  'mastodon.',
  'bsky.app',
  'threads.net',
  'vk.com',
  'weibo.com',
];
const EMAIL = [
  'com.google.android.gm',
  'mail.google.com',
  'outlook.live.com',
  'outlook.office.com',
  'mail.yahoo.com',
  'mail.proton.me',
  'webmail.',
  'mail.',
];

export type SourceClass = 'search' | 'social' | 'email' | 'direct' | 'other' | 'internal';

function matches(host: string, list: string[]): boolean {
  return list.some((entry) =>
    entry.endsWith('.') ? host.startsWith(entry) || host.includes(`.${entry}`) : host === entry || host.endsWith(`.${entry}`),
  );
}

function hostOf(referrer: string): string | null {
  const url = URL.parse(referrer);
  return url === null ? null : url.hostname.toLowerCase().replace(/^www\./, '');
}

function classifyHost(host: string): SourceClass {
  if (matches(host, EMAIL)) return 'email';
  if (matches(host, SEARCH)) return 'search';
  if (matches(host, SOCIAL)) return 'social';
  return 'other';
}

// The same few referrers (search engines, social sites) come again and again: remember them.
const CACHE_MAX = 10_000;
const hosts = new Map<string, string | null>();
const classes = new Map<string, SourceClass>();

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  if (map.size >= CACHE_MAX) map.clear();
  map.set(key, value);
  return value;
}

export function classifyReferrer(referrer: string | undefined, pageHost: string): { host: string; source: SourceClass } {
  if (!referrer) return { host: '', source: 'direct' };
  let host = hosts.get(referrer);
  if (host === undefined) host = remember(hosts, referrer, hostOf(referrer));
  if (host === null) return { host: '', source: 'other' };
  if (host === pageHost || (pageHost.startsWith('www.') && host === pageHost.slice(4))) return { host, source: 'internal' };
  const source = classes.get(host) ?? remember(classes, host, classifyHost(host));
  return { host, source };
}
