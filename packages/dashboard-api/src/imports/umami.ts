/**
 * Umami's data export (the `website_event` CSV of Umami Cloud's export and of its documented
 * import format, plain or gzip-compressed, or inside a zip): one row per pageview (`event_type`
 * 1) or custom event (2), with its session and visit. Rows are checked and staged as they stream
 * (`imported_umami_events`), then ClickHouse folds them into the same daily tables a Plausible
 * export fills — a visit's totals on the day it began, in the import's time zone — and the
 * staging rows are dropped. Umami's names of browsers and systems become Tidemark's; devices (screen classes) become Plausible's.
 */
import { type ClickHouseClient, channelOf, classifyReferrer, type ImportedTable, sourceName, TABLES } from '@tidemark/shared';
import type { Spec, Value } from './csv-table.ts';

const req = (kind: 'count' | 'text' | 'datetime' | 'id') => ({ kind, required: true }) as const;
const opt = { kind: 'text', required: false } as const;

export const UMAMI_SPEC: Spec = {
  session_id: req('id'),
  visit_id: req('id'),
  url_path: req('text'),
  event_type: req('count'),
  created_at: req('datetime'),
  event_name: opt,
  hostname: opt,
  browser: opt,
  os: opt,
  device: opt,
  country: opt,
  subdivision1: opt,
  region: opt,
  url_query: opt,
  referrer_domain: opt,
  referrer_path: opt,
  utm_source: opt,
  utm_medium: opt,
  utm_campaign: opt,
  utm_content: opt,
  utm_term: opt,
};

/** Umami's event types Tidemark keeps: 1 pageview, 2 custom event (links, pixels, vitals are not). */
export const KEPT_TYPES = new Set([1, 2]);

/** Umami (detect-browser) → Tidemark (ua-parser) browser names. */
const BROWSERS: Record<string, string> = {
  chrome: 'Chrome',
  crios: 'Chrome',
  'chromium-webview': 'Chrome WebView',
  firefox: 'Firefox',
  fxios: 'Firefox',
  safari: 'Safari',
  ios: 'Mobile Safari',
  'ios-webview': 'Mobile Safari',
  'edge-chromium': 'Edge',
  edge: 'Edge',
  'edge-ios': 'Edge',
  opera: 'Opera',
  'opera-mini': 'Opera Mini',
  samsung: 'Samsung Browser',
  yandexbrowser: 'Yandex',
  android: 'Android Browser',
  ie: 'IE',
  facebook: 'Facebook',
  instagram: 'Instagram',
  silk: 'Silk',
  miui: 'MIUI Browser',
  brave: 'Brave',
};

function browserName(umami: string): string {
  if (umami === '') return '';
  return BROWSERS[umami.toLowerCase()] ?? umami.charAt(0).toUpperCase() + umami.slice(1);
}

function osName(umami: string): string {
  if (/^windows/i.test(umami)) return 'Windows';
  if (umami === 'Android OS') return 'Android';
  if (umami === 'Chrome OS') return 'Chromium OS';
  return umami;
}

/** Umami's devices are classes of screen size, as Plausible's: kept as Plausible writes them (`Desktop`, `Laptop`, …). */
function deviceName(umami: string): string {
  return umami === '' ? '' : umami.charAt(0).toUpperCase() + umami.slice(1).toLowerCase();
}

/**
 * A visit's source name and channel by the Query API's own rules (SPEC §10, the ingester's
 * `sourceName` and `channelOf`), from Umami's referrer domain (a referrer of the page's own
 * host is internal) and UTM parameters, so imported sources merge with native ones.
 */
export function umamiSource(
  referrerDomain: string,
  pageHost: string,
  utm: { source: string; medium: string },
): { source: string; channel: string } {
  const referrer = classifyReferrer(referrerDomain === '' ? undefined : `https://${referrerDomain}/`, pageHost.toLowerCase());
  return {
    source: sourceName(referrer.host, utm.source, referrer.source),
    channel: channelOf({
      referrerHost: referrer.host,
      referrerClass: referrer.source,
      utmSource: utm.source,
      utmMedium: utm.medium,
      clickId: '',
    }),
  };
}

/** A checked record of the export → a staging row (without site and import id), or null for a kept-out type. */
export function umamiRow(v: Record<string, Value>): Record<string, Value> | null {
  const type = v.event_type as number;
  if (!KEPT_TYPES.has(type)) return null;
  const referrer = String(v.referrer_domain)
    .toLowerCase()
    .replace(/^www\./, '');
  const { source, channel } = umamiSource(referrer, v.hostname as string, {
    source: v.utm_source as string,
    medium: v.utm_medium as string,
  });
  return {
    session_id: v.session_id as string,
    visit_id: v.visit_id as string,
    created_at: v.created_at as string,
    event_type: type,
    event_name: type === 2 ? (v.event_name as string) : '',
    hostname: v.hostname as string,
    url_path: (v.url_path as string) || '/',
    referrer_domain: referrer,
    referrer_path: v.referrer_path as string,
    source,
    channel,
    utm_source: v.utm_source as string,
    utm_medium: v.utm_medium as string,
    utm_campaign: v.utm_campaign as string,
    utm_content: v.utm_content as string,
    utm_term: v.utm_term as string,
    country: String(v.country).toUpperCase(),
    region: (v.subdivision1 as string) || (v.region as string),
    device: deviceName(v.device as string),
    browser: browserName(v.browser as string),
    os: osName(v.os as string),
  };
}

/** Each staged visit: its day, totals, entry and exit page and its first event's attributes. */
function visitsSql(staging: string): string {
  return `SELECT
      visit_id,
      any(session_id) AS session_id,
      toDate(min(created_at), {tz:String}) AS date,
      toUInt64(countIf(event_type = 1)) AS pv,
      toUInt64(countIf(event_type = 2)) AS ev,
      toUInt64(dateDiff('second', min(created_at), max(created_at))) * 1000 AS dur,
      argMinIf(url_path, created_at, event_type = 1) AS entry_page,
      argMaxIf(url_path, created_at, event_type = 1) AS exit_page,
      argMin(source, created_at) AS source,
      argMin(referrer_domain, created_at) AS referrer,
      argMin(channel, created_at) AS channel,
      argMin(utm_source, created_at) AS utm_source,
      argMin(utm_medium, created_at) AS utm_medium,
      argMin(utm_campaign, created_at) AS utm_campaign,
      argMin(utm_content, created_at) AS utm_content,
      argMin(utm_term, created_at) AS utm_term,
      any(country) AS country,
      any(region) AS region,
      any(device) AS device,
      any(browser) AS browser,
      any(os) AS os
    FROM ${staging}
    WHERE site = {site:String} AND import_id = {id:UUID}
    GROUP BY visit_id`;
}

/** A group of visits' totals (the visit's own columns are named apart, so the aliases do not shadow them). */
const TOTALS = `uniq(session_id) AS visitors, count() AS visits, sum(dur) AS visit_duration_ms,
  countIf(pv = 1 AND ev = 0) AS bounces, sum(pv) AS pageviews`;

/** The INSERT … SELECT that fills each table from the staged events. */
export function umamiAggregations(database: string): { table: ImportedTable; sql: string }[] {
  const staging = `${database}.${TABLES.importedUmamiEvents}`;
  const fixed = '{site:String} AS site, {id:UUID} AS import_id';
  const visits = `(${visitsSql(staging)})`;
  const into = (table: ImportedTable, columns: string) => `INSERT INTO ${database}.${table} (site, import_id, ${columns})`;
  return [
    {
      table: 'imported_visitors',
      sql: `${into('imported_visitors', 'date, visitors, visits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, ${TOTALS} FROM ${visits} GROUP BY date`,
    },
    {
      table: 'imported_sources',
      sql: `${into('imported_sources', 'date, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, channel, visitors, visits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, channel, ${TOTALS}
        FROM ${visits} GROUP BY date, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, channel`,
    },
    {
      table: 'imported_entry_pages',
      sql: `${into('imported_entry_pages', 'date, entry_page, visitors, entrances, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, entry_page, ${TOTALS.replace('count() AS visits', 'count() AS entrances')}
        FROM ${visits} WHERE pv > 0 GROUP BY date, entry_page`,
    },
    {
      table: 'imported_exit_pages',
      sql: `${into('imported_exit_pages', 'date, exit_page, visitors, exits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, exit_page, ${TOTALS.replace('count() AS visits', 'count() AS exits')}
        FROM ${visits} WHERE pv > 0 GROUP BY date, exit_page`,
    },
    {
      table: 'imported_pages',
      sql: `${into('imported_pages', 'date, hostname, page, visits, visitors, pageviews, exits')}
        SELECT ${fixed}, e.date, any(e.hostname), e.url_path, uniq(e.visit_id), uniq(e.session_id), count(), uniqIf(e.visit_id, x.exit_page = e.url_path)
        FROM (SELECT *, toDate(created_at, {tz:String}) AS date FROM ${staging}
              WHERE site = {site:String} AND import_id = {id:UUID} AND event_type = 1) AS e
        LEFT JOIN (SELECT visit_id, exit_page FROM ${visits}) AS x ON e.visit_id = x.visit_id
        GROUP BY e.date, e.url_path`,
    },
    {
      table: 'imported_custom_events',
      sql: `${into('imported_custom_events', 'date, name, visitors, events')}
        SELECT ${fixed}, toDate(created_at, {tz:String}) AS date, event_name, uniq(session_id), count()
        FROM ${staging} WHERE site = {site:String} AND import_id = {id:UUID} AND event_type = 2
        GROUP BY date, event_name`,
    },
    {
      table: 'imported_locations',
      sql: `${into('imported_locations', 'date, country, region, visitors, visits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, country, region, ${TOTALS} FROM ${visits} WHERE country != '' GROUP BY date, country, region`,
    },
    {
      table: 'imported_devices',
      sql: `${into('imported_devices', 'date, device, visitors, visits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, device, ${TOTALS} FROM ${visits} GROUP BY date, device`,
    },
    {
      table: 'imported_browsers',
      sql: `${into('imported_browsers', 'date, browser, visitors, visits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, browser, ${TOTALS} FROM ${visits} GROUP BY date, browser`,
    },
    {
      table: 'imported_operating_systems',
      sql: `${into('imported_operating_systems', 'date, operating_system, visitors, visits, visit_duration_ms, bounces, pageviews')}
        SELECT ${fixed}, date, os, ${TOTALS} FROM ${visits} GROUP BY date, os`,
    },
  ];
}

/** Folds the staged events into the daily tables; the staging rows stay until the import drops them. */
export async function aggregateUmami(
  client: ClickHouseClient,
  database: string,
  params: { site: string; id: string; tz: string },
): Promise<void> {
  for (const { sql } of umamiAggregations(database)) {
    // A large export folds for longer than the client's idle timeout: progress headers keep the answer alive.
    await client.command({
      query: sql,
      query_params: params,
      clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '5000' },
    });
  }
}

export type { ImportedTable };
