/**
 * The fully qualified tables the queries read. On a cluster (`CLICKHOUSE_CLUSTER`) they are the
 * `*_all` Distributed tables over every shard (clickhouse/004_distributed.cluster.sql).
 * `database` is a validated identifier from the config, never user text.
 */
import { TABLES } from '@tidemark/shared';

export interface Tables {
  /** The database (the imported tables are read in it: they are local, never Distributed). */
  database: string;
  events: string;
  /** One row per visit (VersionedCollapsingMergeTree; read FINAL). */
  visits: string;
  /** Quarter-hour rollups of the Query API (clickhouse/007_query_rollups.sql). */
  events15m: string;
  pages15m: string;
  /** The same per UTC day. */
  events1d: string;
  pages1d: string;
  /** Visit metrics per visit dimension and value, per quarter-hour / UTC day of the visit's start (clickhouse/009_visit_rollups.sql). */
  visits15m: string;
  visits1d: string;
  /** Distinct visitors per (site, UTC day[, path]), counted once (clickhouse/015_visitor_counts.sql). */
  visitors1d: string;
  /** Distinct visitors and sums per (site, complete UTC month, path), summed from the days' counts (clickhouse/025_page_visitor_months.sql). */
  pageVisitors1mo: string;
  /** The whole site's sums, visit sums and visitor count per UTC day, one small row (clickhouse/021_site_days.sql). */
  siteDays: string;
  /** Distinct visitors and sums per (site, UTC day, visit attribute, value), with per-path visitors, counted once (clickhouse/029_visit_visitors.sql). */
  visitVisitors1d: string;
  /** Visit sums per (site, path, UTC day, visit attribute, value) of the visits holding the path (clickhouse/031_page_visits.sql). */
  pageVisits1d: string;
  /** Visit sums per (site, UTC day, filter attribute and value, attribute and value) (clickhouse/033_attribute_visits.sql). */
  attributeVisits1d: string;
  /** The same per (site, UTC day, entry or exit page, channel) (clickhouse/043_entry_exit_visits.sql). */
  entryExitVisits1d: string;
  /** Visit sums per (site, custom event name, UTC day, visit attribute, value) of the visits holding the name (clickhouse/037_name_visits.sql). */
  nameVisits1d: string;
  /** Distinct visitors and events per (site, UTC day, custom event name[, path]), counted once (clickhouse/039_name_pages_1d.sql). */
  namePages1d: string;
  /** Distinct visitors per (site, UTC day, path) with quarter-hour marks, counted once (clickhouse/051_event_marks.sql). */
  eventMarks1d: string;
  /** Distinct visitors of a path's pageviews alone per (site, UTC day, path) with quarter-hour marks, counted once (clickhouse/053_pageview_marks.sql). */
  pageviewMarks1d: string;
}

export function tableNames(database: string, distributed = false): Tables {
  const name = (table: string) => `${database}.${table}${distributed ? '_all' : ''}`;
  return {
    database,
    events: name(TABLES.events),
    visits: name(TABLES.visits),
    events15m: name('events_15m'),
    pages15m: name('pages_15m'),
    events1d: name('events_1d'),
    pages1d: name('pages_1d'),
    visits15m: name('visits_15m'),
    visits1d: name('visits_1d'),
    visitors1d: name('visitors_1d'),
    pageVisitors1mo: name('page_visitors_1mo'),
    siteDays: name('site_days'),
    visitVisitors1d: name('visit_visitors_1d'),
    pageVisits1d: name('page_visits_1d'),
    attributeVisits1d: name('attribute_visits_1d'),
    entryExitVisits1d: name('entry_exit_visits_1d'),
    nameVisits1d: name('name_visits_1d'),
    namePages1d: name('name_pages_1d'),
    eventMarks1d: name('event_marks_1d'),
    pageviewMarks1d: name('pageview_marks_1d'),
  };
}
