/**
 * Which sites the collector takes events for (SPEC §4, §11): the sites registered in the
 * registry and the ones listed in `SITES`. While neither names any site, every site is
 * accepted (the behaviour before the registry), and the start-up line says so. A registered
 * site brings its rules (`rules.ts`); a site only in `SITES` has none.
 */
import type { AccessRegistry, AccessSnapshot, Logger } from '@tidemark/shared';
import { compileSiteRules, type SiteRules } from './rules.ts';

/** Accepted with no rules. */
export const NO_RULES: SiteRules = { exclusion: () => null };

export interface SiteGate {
  /** The site's rules, `NO_RULES`, or null when the site is not accepted here. */
  check(site: string): SiteRules | null;
  /** One line for the start-up log: what is accepted. */
  describe(): string;
}

export interface SiteGateOptions {
  /** `SITES`, or null when unset. */
  listed: readonly string[] | null;
  /** The sites registry; null when this collector has none (no ClickHouse to read it from). */
  registry: AccessRegistry | null;
  log: Logger;
}

export function createSiteGate({ listed, registry, log }: SiteGateOptions): SiteGate {
  const fromList = new Set(listed ?? []);
  let rules = new Map<string, SiteRules>();
  let open = fromList.size === 0;

  const compile = (snapshot: AccessSnapshot) => {
    const next = new Map<string, SiteRules>();
    for (const site of snapshot.sites.values()) {
      try {
        next.set(site.site, compileSiteRules(site));
      } catch (error) {
        // Stored rules were validated when written; one that still fails drops nothing.
        log.error({ err: error, site: site.site }, 'site_rules_invalid');
        next.set(site.site, NO_RULES);
      }
    }
    const wasOpen = open;
    rules = next;
    open = fromList.size === 0 && next.size === 0;
    if (wasOpen && !open) log.info({ sites: next.size }, 'sites_registry_in_force');
    if (!wasOpen && open) log.warn('sites_any_accepted: no site is registered and SITES is unset');
  };
  if (registry) {
    compile(registry.current());
    registry.onChange(compile);
  }

  return {
    check(site) {
      if (open) return NO_RULES;
      return rules.get(site) ?? (fromList.has(site) ? NO_RULES : null);
    },
    describe() {
      if (!registry) {
        return fromList.size > 0
          ? `sites: the ${fromList.size} listed in SITES (no sites registry: CLICKHOUSE_URL is not set)`
          : 'sites: any site is accepted (SITES is unset, and no sites registry: CLICKHOUSE_URL is not set)';
      }
      if (!registry.current().loaded) {
        return `sites: the registry could not be read yet (retrying each second); until then ${fromList.size > 0 ? 'only SITES' : 'any site'} is accepted`;
      }
      if (open) return 'sites: any site is accepted while none is registered and SITES is unset';
      return `sites: ${rules.size} registered${fromList.size > 0 ? ` and ${fromList.size} listed in SITES` : ''}; others get 403`;
    },
  };
}
