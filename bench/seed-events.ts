/**
 * Synthetic events for the query and dashboard benchmarks, written straight into the embedded
 * engine (`INSERT … SELECT … FROM numbers(N)`; the materialized views fill the rollups), and
 * visits to go with them (the SQL seed bypasses the ingester that cuts visits).
 */
import { type ClickHouseClient, toClickHouseTime } from '@tidemark/shared';

/**
 * `rows` events spread evenly over `spanMs` before `now`: 80% for `site`, the rest over 20 other
 * sites; 1 in 10 an engagement, 1 in 50 custom. Visitors: 200 000 ids seen all month, or with
 * `visits: true` visits as the tracker makes them — ids that rotate with the UTC day, each of
 * four events about 5 minutes apart (a visit of about 15 minutes), for `seedVisits` to cut, and
 * values for every attribute a dashboard panel lists (UTM medium, campaign, term and content,
 * browser and OS versions, screen widths: `EXTRA`), so that each of its tabs has rows to click.
 */
export async function seedEvents(
  client: ClickHouseClient,
  database: string,
  { site, rows, now, spanMs, visits = false }: { site: string; rows: number; now: number; spanMs: number; visits?: boolean },
): Promise<void> {
  const pick = (list: string[], salt: number) =>
    `arrayElement([${list.map((v) => `'${v}'`).join(',')}], (cityHash64(number, ${salt}) % ${list.length}) + 1)`;
  // Visitors interleaved so that a visitor's events are about 5 minutes apart; lanes ≡ 1 (mod 50),
  // so a visitor's four events are not all engagements or all custom events.
  const lanes = 50 * Math.max(1, Math.round(300_000 / (spanMs / rows) / 50)) + 1;
  const timestamp = "fromUnixTimestamp64Milli(toInt64({now:UInt64} - intDiv(number * {span:UInt64}, {rows:UInt64})), 'UTC')";
  await client.command({
    query: `
      INSERT INTO ${database}.events
        (event_id, site, name, timestamp, visitor_id, session_id, url, host, path, referrer_source, referrer_host,
         utm_source, country, device, browser, os, duration_ms${visits ? `, ${EXTRA.join(', ')}` : ''})
      SELECT
        generateUUIDv4(number),
        if(number % 5 = 0, concat('site', toString(number % 20), '.example'), '${site}'),
        multiIf(number % 10 = 7, 'engagement', number % 50 = 3, 'signup', 'pageview'),
        ${timestamp},
        ${visits ? `cityHash64(intDiv(number, ${4 * lanes}), number % ${lanes}, toDate(${timestamp}))` : 'cityHash64(number % 200000)'},
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
        if(number % 10 = 7, toUInt32(number % 120000), 0)${visits ? `,${extra(pick)}` : ''}
      FROM numbers({rows:UInt64})`,
    query_params: { now, span: spanMs, rows },
    clickhouse_settings: { max_insert_block_size: '1000000', max_threads: 2 },
  });
}

/**
 * The visits of the events `seedEvents` wrote with `visits: true`, cut as the ingester cuts them
 * (one per site and visitor id there: its events are minutes apart, the next visit has a new id):
 * counts, span, entry and exit pages, the (name, path) pairs, and the first event's attributes
 * (pageviews first), its source and channel from its referrer (fixed lists). A UTC day an insert.
 */
export async function seedVisits(
  client: ClickHouseClient,
  database: string,
  { now, spanMs }: { now: number; spanMs: number },
): Promise<void> {
  const DAY = 86_400_000;
  const entry = (i: number) => `tupleElement(argMin(tuple(${ENTRY}), (name != 'pageview', timestamp)), ${i})`;
  const exit = (i: number) => `tupleElement(argMaxIf(tuple(timestamp, path), timestamp, name = 'pageview'), ${i})`;
  for (let day = Math.floor((now - spanMs) / DAY) * DAY; day <= now; day += DAY) {
    await client.command({
      query: `
        INSERT INTO ${database}.visits
          (site, visitor_id, first_at, last_at, sign, version, host, entry_page, exit_page, entry_page_at, exit_page_at,
           referrer_host, referrer_source, source, channel, utm_source, country, device, browser, os, ${EXTRA.join(', ')}, pageviews, events,
           engagements, engaged_ms, pairs)
        SELECT site, visitor_id, min(timestamp), max(timestamp), 1, 1, any(host), ${exit(2).replace('argMaxIf', 'argMinIf')}, ${exit(2)},
               ${exit(1).replace('argMaxIf', 'argMinIf')}, ${exit(1)}, ${entry(1)} AS referrer, ${entry(2)} AS class,
               multiIf(referrer = 'www.google.com', 'Google', referrer = 'news.ycombinator.com', 'Hacker News', referrer = 't.co', 'Twitter',
                       ${entry(3)} != '', ${entry(3)}, 'Direct / None'),
               multiIf(class = 'search', 'Organic Search', class = 'social', 'Organic Social', class = 'email', 'Email',
                       class = 'direct', 'Direct', 'Referral'),
               ${entry(3)}, ${entry(4)}, ${entry(5)}, ${entry(6)}, ${entry(7)}, ${EXTRA.map((_, i) => entry(8 + i)).join(', ')},
               countIf(name = 'pageview'), countIf(name NOT IN ('pageview', 'engagement')), countIf(name = 'engagement'),
               sumIf(duration_ms, name = 'engagement'), arrayDistinct(groupArrayIf((toString(name), path), name != 'engagement'))
        FROM ${database}.events
        WHERE timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
        GROUP BY site, visitor_id`,
      query_params: { from: toClickHouseTime(day), to: toClickHouseTime(day + DAY) },
      clickhouse_settings: { max_threads: 2 },
    });
  }
}

/** The attributes only the dashboard's data has (`seedEvents` with `visits: true`), as the visits take them from their entry. */
const EXTRA = ['utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'browser_version', 'os_version', 'screen_width'];

/** Their values: the UTM medium follows the source (same hash); terms and contents and versions a few dozen. */
function extra(pick: (list: string[], salt: number) => string): string {
  const some = (prefix: string, salt: number, n: number, empty: number) =>
    `if(cityHash64(number, ${salt}) % 100 < ${empty}, '', concat('${prefix}', toString(cityHash64(number, ${salt + 1}) % ${n})))`;
  return `
        ${pick(['', '', '', 'email', 'social'], 5)},
        ${pick(['', '', 'spring-sale', 'launch', 'black-friday', 'webinar'], 10)},
        ${some('term ', 11, 40, 60)},
        ${some('content-', 13, 30, 60)},
        concat(toString(100 + cityHash64(number, 15) % 40), '.0'),
        toString(10 + cityHash64(number, 16) % 8),
        toUInt16(${pick(['390', '768', '1280', '1440', '1920'], 17)})`;
}

const ENTRY = `toString(referrer_host), toString(referrer_source), toString(utm_source), toString(country), toString(device), toString(browser), toString(os), ${EXTRA.map((c) => (c === 'screen_width' ? c : `toString(${c})`)).join(', ')}`;
