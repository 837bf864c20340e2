/**
 * Counts each complete UTC day's distinct visitors once — per site, and per path — with the
 * day's sums (pageviews, custom events, engagements and their time) into
 * `visitors_1d` (clickhouse/015_visitor_counts.sql), so the Query API sums days' counts instead of
 * merging a `uniq` state per day and key on every long-range query. Visitor ids rotate with the
 * UTC day, so days' visitor sets are disjoint and their counts add up exactly.
 *
 * Only days whose row is missing or stale are counted: a row carries the day's `events` in the
 * rollup it was read from, and a late or backdated event changes that sum. The Query API uses a
 * row only while its `events` still equal the rollup's, so a count written late, twice (two
 * ingesters), or before more events arrived never changes an answer — only how fast it comes.
 * Run by the ingester at start-up and every 10 minutes, and by the migration that creates the
 * table (its backfill).
 */
import type { ClickHouseClient } from '@tidemark/shared';

const COMPLETE = "bucket < toStartOfDay(now('UTC'))";

/** The days (complete, UTC) of a day rollup whose `visitors_1d` row of `dimension` is missing, stale or (`split`) without splits. */
function staleDays(database: string, table: string, dimension: string, split: boolean): string {
  const counted = `SELECT site, bucket, events FROM ${database}.visitors_1d WHERE dimension = '${dimension}'${split ? ' AND length(after) = 96 AND length(pageviews_before) = 96' : ''}`;
  return `(site, toStartOfDay(bucket)) IN (
    SELECT site, bucket FROM (SELECT site, bucket, sum(events) AS e FROM ${database}.${table} WHERE ${COMPLETE} GROUP BY site, bucket)
    WHERE (site, bucket, e) NOT IN (${counted}))`;
}

/** Each path's row per day, from `pages_1d`. */
function pagesSql(database: string): string {
  return `
    INSERT INTO ${database}.visitors_1d (site, dimension, bucket, events, values, visitors, pageviews, customs, engagements, engaged_ms)
    SELECT site, 'page', bucket, sum(e), groupArray(path), groupArray(n), groupArray(pv), groupArray(cu), groupArray(en), groupArray(ms)
    FROM (
      SELECT site, bucket, path, sum(events) AS e, uniqMergeIf(visitors, name != 'engagement') AS n,
             sumIf(events, name = 'pageview') AS pv, sumIf(events, name NOT IN ('pageview', 'engagement')) AS cu,
             sumIf(events, name = 'engagement') AS en, sumIf(duration_ms, name = 'engagement') AS ms
      FROM ${database}.pages_1d
      WHERE ${COMPLETE} AND ${staleDays(database, 'pages_1d', 'page', false)}
      GROUP BY site, bucket, path)
    GROUP BY site, bucket`;
}

/**
 * The whole site's row per day, from the quarter-hours of `events_15m` (the same events as
 * `events_1d`, fed by the same inserts): the day's sums and distinct visitors, and its splits —
 * `before[q + 1]` the distinct visitors of quarter-hours [0, q), `after[q + 1]` of [q, 96), and
 * `pageviews_before[q + 1]` (and customs, engagements, their time) the sums of [0, q) — from
 * running merges and sums of the quarter-hours (window functions), one pass per day.
 */
function siteSql(database: string): string {
  // Per quarter-hour q of the day, element `k` of the last mark before q: the running value over [0, q).
  const upTo = (k: number) => `arrayMap(i -> tupleElement(arrayLast(m -> tupleElement(m, 1) < i, marks), ${k}), range(96))`;
  const running = (x: string) => `sum(${x}) OVER (PARTITION BY site, day ORDER BY q ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  return `
    INSERT INTO ${database}.visitors_1d (site, dimension, bucket, events, values, visitors, pageviews, customs, engagements, engaged_ms, before, after,
                                         pageviews_before, customs_before, engagements_before, engaged_ms_before)
    SELECT site, '', day, e, [''], [after[1]], [pv], [cu], [en], [ms], before, after,
           ${[4, 5, 6, 7].map(upTo).join(',\n           ')}
    FROM (
      SELECT site, day, sum(e) AS e, sum(pv) AS pv, sum(cu) AS cu, sum(en) AS en, sum(ms) AS ms,
             arraySort(groupArray((q, upto, since, pv_upto, cu_upto, en_upto, ms_upto))) AS marks,
             ${upTo(2)} AS before,
             arrayMap(i -> tupleElement(arrayFirst(m -> tupleElement(m, 1) >= i, marks), 3), range(96)) AS after
      FROM (
        SELECT site, day, q, e, pv, cu, en, ms,
               uniqMerge(s) OVER (PARTITION BY site, day ORDER BY q ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
               uniqMerge(s) OVER (PARTITION BY site, day ORDER BY q DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS since,
               toUInt64(${running('pv')}) AS pv_upto, toUInt64(${running('cu')}) AS cu_upto,
               toUInt64(${running('en')}) AS en_upto, toUInt64(${running('ms')}) AS ms_upto
        FROM (
          SELECT site, toStartOfDay(bucket) AS day, toUInt8(intDiv(toUInt32(bucket) - toUInt32(toStartOfDay(bucket)), 900)) AS q,
                 uniqMergeStateIf(visitors, name != 'engagement') AS s, sum(events) AS e,
                 sumIf(events, name = 'pageview') AS pv, sumIf(events, name NOT IN ('pageview', 'engagement')) AS cu,
                 sumIf(events, name = 'engagement') AS en, sumIf(duration_ms, name = 'engagement') AS ms
          FROM ${database}.events_15m
          WHERE ${COMPLETE} AND ${staleDays(database, 'events_1d', '', true)}
          GROUP BY site, bucket))
      GROUP BY site, day)`;
}

/**
 * Each path's row per complete UTC month (`page_visitors_1mo`, clickhouse/025), summed from the
 * month's day rows of `visitors_1d`: only a month whose every day with events has a current page
 * row (its `events` equal the day's in `events_1d`) and that has no row of its present total yet.
 * Its `events` is the month's total, so the Query API can tell a current month by that alone.
 * A month past the 2-year TTL (its row expires with its first day, its days one by one after) is
 * not counted again.
 */
function monthsSql(database: string): string {
  const done = "bucket < toStartOfMonth(now('UTC'))";
  const month = "toDateTime(toStartOfMonth(bucket), 'UTC')";
  const dayTotals = `SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE ${done} GROUP BY site, bucket`;
  const countable = `
    SELECT site, month FROM (
      SELECT r.site AS site, toDateTime(toStartOfMonth(r.bucket), 'UTC') AS month, sum(r.e) AS me, countIf(c.ok = 1) AS counted, count() AS days
      FROM (${dayTotals}) AS r
      LEFT JOIN (SELECT DISTINCT site, bucket, events, toUInt8(1) AS ok FROM ${database}.visitors_1d WHERE dimension = 'page' AND ${done}) AS c
        ON c.site = r.site AND c.bucket = r.bucket AND c.events = r.e
      GROUP BY site, month)
    WHERE counted = days AND (site, month, me) NOT IN (SELECT site, bucket, events FROM ${database}.page_visitors_1mo)
      AND month > now('UTC') - INTERVAL 2 YEAR`;
  return `
    INSERT INTO ${database}.page_visitors_1mo (site, bucket, path, events, visitors, pageviews, customs, engagements, engaged_ms)
    SELECT site, month, value, any(me), sum(vi), sum(pv), sum(cu), sum(en), sum(ms)
    FROM (
      SELECT site, month, values, visitors, pageviews, customs, engagements, engaged_ms, sum(events) OVER (PARTITION BY site, month) AS me
      FROM (
        SELECT site, bucket, ${month} AS month, events, values, visitors, pageviews, customs, engagements, engaged_ms
        FROM ${database}.visitors_1d
        WHERE dimension = 'page' AND ${done} AND (site, ${month}) IN (${countable}) AND (site, bucket, events) IN (${dayTotals})
        LIMIT 1 BY site, bucket))
    ARRAY JOIN values AS value, visitors AS vi, pageviews AS pv, customs AS cu, engagements AS en, engaged_ms AS ms
    GROUP BY site, month, value`;
}

/**
 * Each complete UTC day's distinct visitors and events per custom event name, overall and per path
 * (`name_pages_1d`, clickhouse/039), from `pages_1d`: only days whose row is missing or stale
 * against the day's events in `events_1d`. The row is stamped with the day's events in `pages_1d`
 * summed in the same pass as its counts, so its stamp says exactly which events it counted: the
 * two rollups are written by two views of one insert, and a count taken between them holds a block
 * `events_1d` does not have yet. The Query API reads the row only while the stamp equals
 * `events_1d`'s total; otherwise the day stays stale here and is counted again next round.
 */
function namesSql(database: string): string {
  const dayTotals = `SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE ${COMPLETE} GROUP BY site, bucket`;
  const stale = `SELECT site, bucket FROM (${dayTotals})
    WHERE (site, bucket, e) NOT IN (SELECT site, bucket, events FROM ${database}.name_pages_1d)`;
  const custom = "name NOT IN ('pageview', 'engagement')";
  return `
    INSERT INTO ${database}.name_pages_1d (site, bucket, events, names, visitors, counts, path_names, paths, path_visitors, path_counts)
    SELECT site, bucket, sum(ne), groupArrayIf(name, ${custom}), groupArrayIf(nv, ${custom}), groupArrayIf(ne, ${custom}),
           arrayFlatten(groupArrayIf(arrayMap(p -> name, ps), ${custom})), arrayFlatten(groupArrayIf(ps, ${custom})),
           arrayFlatten(groupArrayIf(pv, ${custom})), arrayFlatten(groupArrayIf(pe, ${custom}))
    FROM (
      SELECT site, bucket, name, sum(e) AS ne, uniqMerge(s) AS nv, groupArray(path) AS ps, groupArray(finalizeAggregation(s)) AS pv,
             groupArray(e) AS pe
      FROM (
        SELECT site, bucket, toString(name) AS name, path, sum(events) AS e, uniqMergeState(visitors) AS s
        FROM ${database}.pages_1d
        WHERE ${COMPLETE} AND (site, bucket) IN (${stale})
        GROUP BY site, bucket, name, path)
      GROUP BY site, bucket, name)
    GROUP BY site, bucket`;
}

/**
 * Each complete UTC day's quarter-hour marks per path and per custom event name (`event_marks_1d`,
 * clickhouse/051), from the quarter-hours of `pages_15m`: per path of the day's pageviews and
 * custom events ('page'), and per name of its custom events ('event'), the day's distinct visitors,
 * and for each quarter-hour with such events the distinct visitors up to and including it (`upto`)
 * and from it on (`since`), by running merges of the quarter-hours' states (as `siteSql`); and the
 * day's '' row, which says it was counted. Only days whose '' row is missing or stale against the
 * day's events in `events_1d`. Every row is stamped with the day's events in `pages_15m` summed in
 * the same pass (as `namesSql`): the Query API reads a day's rows only while that stamp equals
 * `events_1d`'s total.
 */
function marksSql(database: string): string {
  // Every row of pages_15m under its path (the stamp sums those once), a custom event's also under its name.
  const keys = "if(name IN ('pageview', 'engagement'), [('page', path)], [('page', path), ('event', toString(name))])";
  return quarterMarksSql(database, 'event_marks_1d', keys, "name != 'engagement'");
}

/**
 * The same marks per path of the day's pageviews alone (`pageview_marks_1d`, clickhouse/053: a
 * pageview goal's visitors), with its own '' row and stamp (the day's events, every name).
 */
function pageviewMarksSql(database: string): string {
  return quarterMarksSql(database, 'pageview_marks_1d', "[('page', path)]", "name = 'pageview'");
}

/**
 * The quarter-hour marks of `table` (051's columns) for the complete UTC days whose '' row is
 * missing or stale: each row of `pages_15m` under each of its `keys` ((dimension, value) pairs;
 * the first 'page'), the visitors of the rows that pass `counts`.
 */
function quarterMarksSql(database: string, table: string, keys: string, counts: string): string {
  const dayTotals = `SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE ${COMPLETE} GROUP BY site, bucket`;
  const stale = `SELECT site, bucket FROM (${dayTotals})
    WHERE (site, bucket, e) NOT IN (SELECT site, bucket, events FROM ${database}.${table} WHERE dimension = '')`;
  const running = (order: string) =>
    `uniqMerge(s) OVER (PARTITION BY site, day, dimension, value ORDER BY q ${order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  // One pass: each key's row and the day's '' row (the second grouping set) share the stamp.
  return `
    INSERT INTO ${database}.${table} (site, dimension, value, bucket, events, visitors, quarters, upto, since)
    SELECT site, dimension, value, day, stamp, if(dimension = '', 0, n), arrayMap(m -> m.1, if(dimension = '', [], marks)),
           arrayMap(m -> m.2, if(dimension = '', [], marks)), arrayMap(m -> m.3, if(dimension = '', [], marks))
    FROM (
      SELECT site, day, dimension, value, any(stamp) AS stamp, maxIf(upto, kept > 0) AS n,
             arraySort(groupArrayIf((q, upto, since), kept > 0)) AS marks
      FROM (
        SELECT site, day, dimension, value, q, kept, sum(e) OVER (PARTITION BY site, day) AS stamp, ${running('ASC')} AS upto,
               ${running('DESC')} AS since
        FROM (
          SELECT site, toStartOfDay(bucket) AS day, key.1 AS dimension, key.2 AS value,
                 toUInt8(intDiv(toUInt32(bucket) - toUInt32(toStartOfDay(bucket)), 900)) AS q,
                 uniqMergeStateIf(visitors, ${counts}) AS s, sumIf(events, key.1 = 'page') AS e, countIf(${counts}) AS kept
          FROM ${database}.pages_15m
          ARRAY JOIN ${keys} AS key
          WHERE ${COMPLETE} AND (site, toStartOfDay(bucket)) IN (${stale})
          GROUP BY site, day, dimension, value, q))
      GROUP BY GROUPING SETS ((site, day, dimension, value), (site, day))
      HAVING dimension = '' OR length(marks) > 0)`;
}

/**
 * A visit's (dimension, value) pairs: the expressions of `visits_15m` (clickhouse/009, 045), '' for
 * every visit. `placed: false`: the migrations before `visits` has its region and city (045).
 */
const visitPairs = (
  v = '',
  placed = true,
) => `[('', ''), ('entry_page', ${v}entry_page), ('exit_page', ${v}exit_page), ('hostname', toString(${v}host)), ('source', toString(${v}source)),
  ('referrer', toString(${v}referrer_host)), ('channel', toString(${v}channel)), ('utm_source', toString(${v}utm_source)),
  ('utm_medium', toString(${v}utm_medium)), ('utm_campaign', toString(${v}utm_campaign)), ('utm_term', ${v}utm_term),
  ('utm_content', ${v}utm_content), ('country', toString(${v}country)),
  ${placed ? `('region', toString(${v}region)), ('city', toString(${v}city))` : "('region', ''), ('city', '')"}, ('device', toString(${v}device)),
  ('browser', toString(${v}browser)), ('browser_version', toString(${v}browser_version)), ('os', toString(${v}os)),
  ('os_version', toString(${v}os_version)),
  ('screen', multiIf(${v}screen_width = 0, '', ${v}screen_width < 576, 'Mobile', ${v}screen_width < 992, 'Tablet', ${v}screen_width < 1440, 'Laptop', 'Desktop'))]`;

const WEEK = 7 * 86_400;

/**
 * The complete UTC days (site, bucket, e: the day's events) whose '' row of `visit_visitors_1d` is
 * missing or stale — or, `quartered`, was counted before its quarter-hour marks existed (047): such
 * a day is counted again, once.
 */
function staleVisitDaysSql(database: string, quartered: boolean): string {
  const dayTotals = `SELECT site, bucket, sum(events) AS e FROM ${database}.events_1d WHERE ${COMPLETE} GROUP BY site, bucket`;
  return `SELECT site, bucket, e FROM (${dayTotals})
    WHERE (site, bucket, e) NOT IN (SELECT site, bucket, events FROM ${database}.visit_visitors_1d WHERE dimension = ''${quartered ? ' AND quartered = 1' : ''})`;
}

/**
 * Each complete UTC day's visitors and sums per visit attribute and value, per path and per custom
 * event name of those visits (`visit_visitors_1d`, clickhouse/029), from the visits that start on
 * the day (`FINAL`) and the day's custom events: only days whose '' row is missing or stale. A day
 * whose visits do not hold exactly the day's events in `events_1d` (their pageviews, custom events
 * and engagements add up to another number: not all written yet) gets its '' row alone, with that
 * number as `held`, which the Query API does not read as a count: the day is tried again once its
 * events change, not every round.
 */
function visitsSql(database: string, placed: boolean, quartered: boolean): string {
  const stale = `${staleVisitDaysSql(database, quartered)} AND intDiv(toUnixTimestamp(bucket), ${WEEK}) = {week:UInt32}`;
  const staleDay = (column: string) => `(site, toDateTime(toStartOfDay(${column}), 'UTC')) IN (SELECT site, bucket FROM (${stale}))`;
  const columns = quartered ? ', quartered, quarters, upto, since' : '';
  const values = quartered ? ', 1, arrayMap(m -> m.1, marks), arrayMap(m -> m.2, marks), arrayMap(m -> m.3, marks)' : '';
  // Per quarter-hour q of the day with pageviews or custom events of the value's visits (their own
  // timestamps): the distinct visitors of [0, q] and of [q, 96), by running merges over the day's
  // quarter-hours (as `siteSql`). Duplicated events change no distinct count: no dedup needed.
  const marks = `
      LEFT JOIN (
        SELECT site, day, dimension, value, arraySort(groupArray((q, upto, since))) AS marks
        FROM (
          SELECT site, day, dimension, value, q,
                 uniqMerge(s) OVER (PARTITION BY site, day, dimension, value ORDER BY q ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
                 uniqMerge(s) OVER (PARTITION BY site, day, dimension, value ORDER BY q DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS since
          FROM (
            SELECT site, day, pair.1 AS dimension, pair.2 AS value, q, uniqState(visitor_id) AS s
            FROM (
              SELECT v.site AS site, toDateTime(toStartOfDay(v.first_at), 'UTC') AS day, e.visitor_id AS visitor_id,
                     toUInt8(least(95, intDiv(toUInt32(toDateTime(e.timestamp)) - toUInt32(toStartOfDay(v.first_at)), 900))) AS q,
                     ${visitPairs('v.', placed)} AS attributes
              FROM (SELECT site, visitor_id, timestamp FROM ${database}.events WHERE name != 'engagement' AND ${staleDay('timestamp')}) AS e
              INNER JOIN (
                SELECT site, visitor_id, first_at, last_at, host, entry_page, exit_page, source, referrer_host, channel, utm_source, utm_medium,
                       utm_campaign, utm_term, utm_content, country, ${placed ? 'region, city, ' : ''}device, browser, browser_version, os, os_version, screen_width
                FROM ${database}.visits FINAL
                WHERE pageviews + events > 0 AND ${staleDay('first_at')}) AS v
                ON v.site = e.site AND v.visitor_id = e.visitor_id
              WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at)
            ARRAY JOIN attributes AS pair
            GROUP BY site, day, dimension, value, q))
        GROUP BY site, day, dimension, value) AS m ON m.site = c.site AND m.day = c.day AND m.dimension = c.dimension AND m.value = c.value`;
  return `
    INSERT INTO ${database}.visit_visitors_1d (site, dimension, value, bucket, events, held, visitors, pageviews, customs, engagements, engaged_ms, paths, path_visitors,
                                               custom_visitors, names, name_visitors, name_events${columns})
    SELECT site, dimension, value, day, e, held, n, pv, cu, en, ms, ps, pn, kcv, kns, knv, kne${values}
    FROM (
      SELECT c.site AS site, c.dimension AS dimension, c.value AS value, c.day AS day, d.e AS e, c.n AS n, c.pv AS pv, c.cu AS cu,
             c.en AS en, c.ms AS ms, c.ps AS ps, c.pn AS pn, k.cv AS kcv, k.ns AS kns, k.nv AS knv, k.ne AS kne,${quartered ? ' m.marks AS marks,' : ''}
             sumIf(c.pv + c.cu + c.en, c.dimension = '') OVER (PARTITION BY c.site, c.day) AS held
      FROM (
        SELECT site, day, dimension, value, sumIf(vn, NOT pathed) AS n, sumIf(vpv, NOT pathed) AS pv, sumIf(vcu, NOT pathed) AS cu,
               sumIf(ven, NOT pathed) AS en, sumIf(vms, NOT pathed) AS ms, groupArrayIf(path, pathed) AS ps, groupArrayIf(vn, pathed) AS pn
        FROM (
          SELECT site, toDateTime(toStartOfDay(first_at), 'UTC') AS day, pair.1 AS dimension, pair.2 AS value, pp.1 AS pathed, pp.2 AS path,
                 uniqIf(visitor_id, pageviews + events > 0) AS vn, sum(toUInt64(pageviews)) AS vpv, sum(toUInt64(events)) AS vcu,
                 sum(toUInt64(engagements)) AS ven, sum(engaged_ms) AS vms
          FROM ${database}.visits FINAL
          ARRAY JOIN ${visitPairs('', placed)} AS pair
          ARRAY JOIN arrayPushFront(if(pair.1 = '', [], arrayMap(p -> (1, toString(p)), arrayDistinct(pairs.path))), (0, '')) AS pp
          WHERE (site, toDateTime(toStartOfDay(first_at), 'UTC')) IN (SELECT site, bucket FROM (${stale}))
          GROUP BY site, day, dimension, value, pathed, path)
        GROUP BY site, day, dimension, value) AS c
      INNER JOIN (${stale}) AS d ON d.site = c.site AND d.bucket = c.day
      LEFT JOIN (
        SELECT site, day, dimension, value, sumIf(kn, NOT named) AS cv, groupArrayIf(name, named) AS ns, groupArrayIf(kn, named) AS nv,
               groupArrayIf(ke, named) AS ne
        FROM (
          SELECT site, day, pair.1 AS dimension, pair.2 AS value, nn.1 AS named, nn.2 AS name, uniq(visitor_id) AS kn, count() AS ke
          FROM (
            SELECT v.site AS site, toDateTime(toStartOfDay(v.first_at), 'UTC') AS day, e.visitor_id AS visitor_id, e.name AS event_name,
                   ${visitPairs('v.', placed)} AS attributes
            FROM (
              SELECT site, visitor_id, timestamp, toString(name) AS name FROM ${database}.events
              WHERE name NOT IN ('pageview', 'engagement') AND (site, toDateTime(toStartOfDay(timestamp), 'UTC')) IN (SELECT site, bucket FROM (${stale}))
              LIMIT 1 BY event_id) AS e
            INNER JOIN (
              SELECT * FROM ${database}.visits FINAL
              WHERE (site, toDateTime(toStartOfDay(first_at), 'UTC')) IN (SELECT site, bucket FROM (${stale}))) AS v
              ON v.site = e.site AND v.visitor_id = e.visitor_id
            WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at)
          ARRAY JOIN attributes AS pair
          ARRAY JOIN [(toUInt8(0), ''), (toUInt8(1), event_name)] AS nn
          GROUP BY site, day, dimension, value, named, name)
        GROUP BY site, day, dimension, value) AS k ON k.site = c.site AND k.day = c.day AND k.dimension = c.dimension AND k.value = c.value${quartered ? marks : ''})
    WHERE held = e OR dimension = ''`;
}

/**
 * Counts the days (complete, UTC) whose row is missing or stale, per site, per path, per custom
 * event name and per visit attribute, then the complete months of paths.
 */
export async function countVisitors(
  client: ClickHouseClient,
  database: string,
  options: { visits?: boolean; names?: boolean; placed?: boolean; quartered?: boolean; marks?: boolean; pageviewMarks?: boolean } = {},
): Promise<void> {
  await client.command({ query: siteSql(database) });
  await client.command({ query: pagesSql(database) });
  await client.command({ query: monthsSql(database) });
  // `names: false`: the migrations that precede `name_pages_1d` (clickhouse/039).
  if (options.names !== false) await client.command({ query: namesSql(database) });
  // `marks: false`: the migrations that precede `event_marks_1d` (clickhouse/051).
  if (options.marks !== false) await client.command({ query: marksSql(database) });
  // `pageviewMarks: false` (or `marks: false`): the migrations that precede `pageview_marks_1d` (clickhouse/053).
  if (options.marks !== false && options.pageviewMarks !== false) await client.command({ query: pageviewMarksSql(database) });
  // `visits: false`: the migration that precedes `visit_visitors_1d` (clickhouse/029).
  // `placed: false`: the migrations that precede `visits.region` and `visits.city` (clickhouse/045).
  // `quartered: false`: the migrations that precede the quarter-hour marks (clickhouse/047).
  if (options.visits === false) return;
  // The stale days a week (`{week:UInt32}`, of the Unix epoch) at a time: 047's recount of every day
  // of 10M events at once peaked at 11.3 GB of memory.
  const quartered = options.quartered !== false;
  const weeks = await client.query({
    query: `SELECT DISTINCT intDiv(toUnixTimestamp(bucket), ${WEEK}) AS week FROM (${staleVisitDaysSql(database, quartered)}) ORDER BY week`,
    format: 'JSONEachRow',
  });
  const query = visitsSql(database, options.placed !== false, quartered);
  for (const { week } of await weeks.json<{ week: number | string }>())
    await client.command({ query, query_params: { week: Number(week) } });
}
