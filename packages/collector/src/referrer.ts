/** Referrer host and source class. The host lists are data, not code. */

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
const EMAIL = ['mail.google.com', 'outlook.live.com', 'outlook.office.com', 'mail.yahoo.com', 'mail.proton.me', 'webmail.', 'mail.'];

export type SourceClass = 'search' | 'social' | 'email' | 'direct' | 'other' | 'internal';

function matches(host: string, list: string[]): boolean {
  return list.some((entry) =>
    entry.endsWith('.')
      ? host.startsWith(entry) || host.includes(`.${entry}`)
      : host === entry || host.endsWith(`.${entry}`) || host.startsWith(entry),
  );
}

export function classifyReferrer(referrer: string | undefined, pageHost: string): { host: string; source: SourceClass } {
  if (!referrer) return { host: '', source: 'direct' };
  let host: string;
  try {
    host = new URL(referrer).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return { host: '', source: 'other' };
  }
  if (host === pageHost.replace(/^www\./, '')) return { host, source: 'internal' };
  if (matches(host, EMAIL)) return { host, source: 'email' };
  if (matches(host, SEARCH)) return { host, source: 'search' };
  if (matches(host, SOCIAL)) return { host, source: 'social' };
  return { host, source: 'other' };
}
