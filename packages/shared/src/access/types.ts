/**
 * Sites, API keys, shared links, users and sessions (SPEC §11) as every service sees them:
 * the records of the settings tables (clickhouse/006_access.sql), in camelCase.
 */

import type { Scope } from '../keys.ts';

export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A pageview goal (a path glob) or an event goal (an event name, optionally with prop values). */
export type Goal = { name: string; path: string } | { name: string; event: string; props?: Record<string, string> };

export interface SiteExclusions {
  /** IP addresses and CIDR ranges (v4 and v6) whose events are dropped. */
  ips: string[];
  /** Path globs (`*` within a segment, `**` across) whose events are dropped. */
  paths: string[];
  /** ISO 3166-1 alpha-2 codes whose events are dropped. */
  countries: string[];
}

export interface Site {
  site: string;
  /** IANA time zone the reports of this site use by default. */
  timezone: string;
  /** Page host names accepted besides the site and its subdomains; empty: any host. */
  hostnames: string[];
  exclude: SiteExclusions;
  goals: Goal[];
  /** The Umami website id whose events (`/api/send`) belong to this site. */
  umamiWebsiteId: string | null;
  /** Anyone may read its stats, signed in or not. */
  public: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The key's first characters, shown in lists to recognise it. */
  prefix: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  hash: string;
  scopes: Scope[];
  /** The sites it may act on; empty: every site. */
  sites: string[];
  createdAt: string;
  createdBy: string;
  version: number;
}

export interface SharedLink {
  slug: string;
  site: string;
  name: string;
  /** PHC string of the password's scrypt hash, or '' for no password. */
  passwordHash: string;
  /** Query API filters (SPEC §10) every query through the link is held to; [] for none. */
  filters: unknown[];
  /** Origins that may embed the link in a frame (`frame-ancestors`); empty: none. */
  frameAncestors: string[];
  createdAt: string;
  createdBy: string;
  version: number;
}

export interface User {
  /** The name the reverse proxy sends in `AUTH_PROXY_HEADER`, lower-case. */
  user: string;
  role: Role;
  /** For viewers: the sites they may read. Admins act on every site. */
  sites: string[];
  createdAt: string;
  createdBy: string;
  version: number;
}

export interface Session {
  idHash: string;
  /** Who signed in: `key:<id>` or `token:<sha-256 prefix of API_TOKEN>`. */
  subject: string;
  createdAt: string;
  expiresAt: string;
  version: number;
}

/** A site with nothing set: UTC, any host, no exclusions or goals, private. */
export function newSite(site: string, at: string): Site {
  return {
    site,
    timezone: 'UTC',
    hostnames: [],
    exclude: { ips: [], paths: [], countries: [] },
    goals: [],
    umamiWebsiteId: null,
    public: false,
    createdAt: at,
    updatedAt: at,
    version: 0,
  };
}
