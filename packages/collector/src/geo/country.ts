/**
 * Country of the client: from a trusted CDN header when `TRUST_PROXY` is set, else from the
 * bundled IP→country database (`@ip-location-db/geo-whois-asn-country-mmdb`, CC0, read with
 * `mmdb-lib`), cached per IP. Answers an ISO 3166-1 alpha-2 code or '' when unknown.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { GenerationCache } from '@tidemark/shared';
import { Reader } from 'mmdb-lib';

/** Headers that CDNs set to the viewer's country, in the order they are trusted. */
export const COUNTRY_HEADERS = [
  'cf-ipcountry',
  'cloudfront-viewer-country',
  'x-vercel-ip-country',
  'fastly-client-country',
  'x-country-code',
];
const CODE = /^[A-Za-z]{2}$/;
/** Placeholders CDNs use for "unknown" (Cloudflare: XX, Tor: T1). */
const UNKNOWN = new Set(['XX', 'T1', 'ZZ']);

interface CountryRecord {
  country_code?: string;
}
interface CountryReader {
  get(ip: string): CountryRecord | null;
}

let database: CountryReader | null = null;

/** The database (8 MB) is read once per process, on first use. */
function openDatabase(): CountryReader {
  if (!database) {
    const file = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
    database = new Reader(readFileSync(file)) as unknown as CountryReader;
  }
  return database;
}

export function countryFromHeaders(headers: IncomingHttpHeaders): string {
  for (const name of COUNTRY_HEADERS) {
    const value = headers[name];
    if (typeof value !== 'string' || !CODE.test(value)) continue;
    const code = value.toUpperCase();
    return UNKNOWN.has(code) ? '' : code;
  }
  return '';
}

export type CountryOf = (ip: string, headers: IncomingHttpHeaders) => string;

export function createCountryLookup({ trustProxy, cacheSize = 50_000 }: { trustProxy: boolean; cacheSize?: number }): CountryOf {
  const reader = openDatabase();
  const cache = new GenerationCache<string, string>(cacheSize);
  const lookup = (ip: string): string => {
    let code = cache.get(ip);
    if (code === undefined) {
      const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
      let found: CountryRecord | null = null;
      try {
        found = address ? reader.get(address) : null;
      } catch {
        found = null; // not an IP address (e.g. a proxy header with a host name)
      }
      code = found?.country_code ?? '';
      cache.set(ip, code);
    }
    return code;
  };
  if (!trustProxy) return (ip) => lookup(ip);
  return (ip, headers) => countryFromHeaders(headers) || lookup(ip);
}
