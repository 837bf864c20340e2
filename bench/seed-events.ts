/**
 * Synthetic events for the query and dashboard benchmarks, written straight into the embedded
 * engine (`INSERT … SELECT … FROM numbers(N)`; the materialized views fill the rollups), and
 * visits to go with them (the SQL seed bypasses the ingester that cuts visits).
 */
import type { ClickHouseClient } from '@tidemark/shared';

/** `rows` events spread evenly over `spanMs` before `now`: 80% for `site`, the rest over 20 other sites; 1 in 10 an engagement, 1 in 50 custom. */
export async function seedEvents(
  client: ClickHouseClient,
  database: string,
  { site, rows, now, spanMs }: { site: string; rows: number; now: number; spanMs: number },
): Promise<void> {
  const pick = (list: string[], salt: number) =>
    `arrayElement([${list.map((v) => `'${v}'`).join(',')}], (cityHash64(number, ${salt}) % ${list.length}) + 1)`;
  await client.command({
    query: `
      INSERT INTO ${database}.events
        (event_id, site, name, timestamp, visitor_id, session_id, url, host, path, referrer_source, referrer_host,
         utm_source, country, device, browser, os, duration_ms)
      SELECT
        generateUUIDv4(number),
        if(number % 5 = 0, concat('site', toString(number % 20), '.example'), '${site}'),
        multiIf(number % 10 = 7, 'engagement', number % 50 = 3, 'signup', 'pageview'),
        fromUnixTimestamp64Milli(toInt64({now:UInt64} - intDiv(number * {span:UInt64}, {rows:UInt64})), 'UTC'),
        cityHash64(number % 200000),
        cityHash64(number % 200000, intDiv(number, 1000000)),
        '', '${site}',
        concat('/page/', toString(cityHash64(number, 2) % 500)),
        ${pick(['direct', 'search', 'social', 'email', 'other'], 3)},
        ${pick(['', 'www.google.com', 'news.ycombinator.com', 't.co'], 4)},
        ${pick(['', '', '', 'newsletter', 'twitter'], 5)},
        ${pick(['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA', 'NL', 'ES'], 6)},
        ${pick(['desktop', 'desktop', 'mobile', 'tablet'], 7)},
        ${pick(['Chrome', 'Firefox', 'Safari', 'Edge'], 8)},
        ${pick(['Windows', 'macOS', 'Linux', 'iOS', 'Android'], 9)},
        if(number % 10 = 7, toUInt32(number % 120000), 0)
      FROM numbers({rows:UInt64})`,
    query_params: { now, span: spanMs, rows },
    clickhouse_settings: { max_insert_block_size: '1000000', max_threads: 2 },
  });
}

/**
 * One visit per 3 events of `site` (about what the event seed's visitors make): entry and exit
 * pages, channel, country, device and browser from fixed lists, 1–5 pageviews, 0–10 min long.
 */
export async function seedVisits(
  client: ClickHouseClient,
  database: string,
  { site, visits, now, spanMs }: { site: string; visits: number; now: number; spanMs: number },
): Promise<void> {
  const pick = (list: string[], salt: number) =>
    `arrayElement([${list.map((v) => `'${v}'`).join(',')}], (cityHash64(number, ${salt}) % ${list.length}) + 1)`;
  await client.command({
    query: `
      INSERT INTO ${database}.visits
        (site, visitor_id, first_at, last_at, sign, version, host, entry_page, exit_page, referrer_source, source, channel,
         utm_source, country, device, browser, browser_version, os, os_version, screen_width, pageviews, events)
      SELECT
        '${site}', cityHash64(number % 200000),
        fromUnixTimestamp64Milli(toInt64({now:UInt64} - intDiv(number * {span:UInt64}, {visits:UInt64})), 'UTC') AS first,
        first + toIntervalMillisecond(cityHash64(number, 11) % 600000),
        1, 1, '${site}',
        concat('/page/', toString(cityHash64(number, 2) % 500)),
        concat('/page/', toString(cityHash64(number, 12) % 500)),
        ${pick(['direct', 'search', 'social', 'email', 'other'], 3)},
        ${pick(['', 'Google', 'Hacker News', 'Twitter'], 4)},
        ${pick(['Direct', 'Organic Search', 'Organic Social', 'Email', 'Referral'], 3)},
        ${pick(['', '', '', 'newsletter', 'twitter'], 5)},
        ${pick(['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA', 'NL', 'ES'], 6)},
        ${pick(['desktop', 'desktop', 'mobile', 'tablet'], 7)},
        ${pick(['Chrome', 'Firefox', 'Safari', 'Edge'], 8)},
        ${pick(['120', '121', '17'], 13)},
        ${pick(['Windows', 'macOS', 'Linux', 'iOS', 'Android'], 9)},
        ${pick(['10', '14', '17'], 14)},
        ${pick(['1440', '390', '1920'], 15)},
        1 + cityHash64(number, 16) % 5,
        cityHash64(number, 17) % 2
      FROM numbers({visits:UInt64})`,
    query_params: { now, span: spanMs, visits },
    clickhouse_settings: { max_insert_block_size: '1000000', max_threads: 2 },
  });
}
