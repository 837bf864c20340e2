/**
 * A registered site's rules for incoming events (SPEC §11), compiled once per change of the
 * registry: which page hosts it takes, and which visitors' events it drops (IP addresses and
 * CIDR ranges, path globs, countries). Matching an event costs a few comparisons.
 */
import { addressMatcher, globsMatcher, type Site } from '@tidemark/shared';

export type Exclusion = 'excluded_hostname' | 'excluded_ip' | 'excluded_path' | 'excluded_country';

export interface SiteRules {
  /** Why this event is dropped, or null to keep it. */
  exclusion(hostname: string, path: string, ip: string, country: string): Exclusion | null;
}

/** `example.com` matches itself; `*.example.com` matches any subdomain (not the domain itself). */
function hostMatcher(site: string, hostnames: readonly string[]): ((host: string) => boolean) | null {
  if (hostnames.length === 0) return null; // no list: any host
  const exact = new Set([site]);
  const suffixes = [`.${site}`];
  for (const name of hostnames) {
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else exact.add(name);
  }
  return (host) => exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix));
}

export function compileSiteRules(site: Site): SiteRules {
  const host = hostMatcher(site.site, site.hostnames);
  const ip = site.exclude.ips.length > 0 ? addressMatcher(site.exclude.ips) : null;
  const path = globsMatcher(site.exclude.paths);
  const countries = site.exclude.countries.length > 0 ? new Set(site.exclude.countries) : null;
  return {
    exclusion(hostname, pathname, address, country) {
      if (host && !host(hostname)) return 'excluded_hostname';
      if (ip?.(address)) return 'excluded_ip';
      if (path?.(pathname)) return 'excluded_path';
      if (countries?.has(country)) return 'excluded_country';
      return null;
    },
  };
}
