/**
 * Plausible's CSV export (Settings → Imports & Exports): a zip of `imported_<table>[_<from>_<to>].csv`
 * files, the columns of Plausible's own importer (lib/plausible/imported/csv_importer.ex, and the
 * older and newer column sets it has had), each file one report's daily totals. Each row becomes a
 * row of Tidemark's table of the same name (clickhouse/011_imports.sql), durations in ms.
 */
import type { ImportedTable } from '@tidemark/shared';
import type { Spec, Value } from './csv-table.ts';

const req = (kind: 'date' | 'count' | 'text') => ({ kind, required: true }) as const;
const opt = (kind: 'count' | 'text') => ({ kind, required: false }) as const;

/** The visit totals most reports carry. */
const VISIT_TOTALS: Spec = {
  visitors: req('count'),
  visits: req('count'),
  visit_duration: req('count'),
  bounces: req('count'),
  pageviews: opt('count'),
};

export const PLAUSIBLE_SPECS: Record<ImportedTable, Spec> = {
  imported_visitors: {
    date: req('date'),
    visitors: req('count'),
    pageviews: req('count'),
    bounces: req('count'),
    visits: req('count'),
    visit_duration: req('count'),
  },
  imported_sources: {
    date: req('date'),
    source: req('text'),
    referrer: opt('text'),
    utm_source: opt('text'),
    utm_medium: opt('text'),
    utm_campaign: opt('text'),
    utm_content: opt('text'),
    utm_term: opt('text'),
    ...VISIT_TOTALS,
  },
  imported_pages: {
    date: req('date'),
    hostname: opt('text'),
    page: req('text'),
    visits: opt('count'),
    visitors: req('count'),
    pageviews: req('count'),
    exits: opt('count'),
    // Older exports: a total of seconds over non-exit pageviews.
    time_on_page: opt('count'),
    total_time_on_page: opt('count'),
    total_time_on_page_visits: opt('count'),
    total_scroll_depth: opt('count'),
    total_scroll_depth_visits: opt('count'),
  },
  imported_entry_pages: {
    date: req('date'),
    entry_page: req('text'),
    visitors: req('count'),
    entrances: req('count'),
    visit_duration: req('count'),
    bounces: req('count'),
    pageviews: opt('count'),
  },
  imported_exit_pages: {
    date: req('date'),
    exit_page: req('text'),
    visitors: req('count'),
    visit_duration: opt('count'),
    exits: req('count'),
    bounces: opt('count'),
    pageviews: opt('count'),
  },
  imported_custom_events: {
    date: req('date'),
    name: req('text'),
    link_url: opt('text'),
    path: opt('text'),
    visitors: req('count'),
    events: req('count'),
  },
  imported_locations: { date: req('date'), country: req('text'), region: opt('text'), city: opt('count'), ...VISIT_TOTALS },
  imported_devices: { date: req('date'), device: req('text'), ...VISIT_TOTALS },
  imported_browsers: { date: req('date'), browser: req('text'), browser_version: opt('text'), ...VISIT_TOTALS },
  imported_operating_systems: {
    date: req('date'),
    operating_system: req('text'),
    operating_system_version: opt('text'),
    ...VISIT_TOTALS,
  },
};

const FILE = /^(?:imported_)?([a-z_]+?)(?:_(\d{8})_(\d{8}))?\.csv$/;

/** The table a file of the export fills (`imported_pages_20240101_20241231.csv`, `pages.csv`), or null. */
export function plausibleTable(fileName: string): ImportedTable | null {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).toLowerCase();
  const m = FILE.exec(base);
  if (!m) return null;
  const table = `imported_${m[1]}`;
  return table in PLAUSIBLE_SPECS ? (table as ImportedTable) : null;
}

const ms = (seconds: Value) => (seconds as number) * 1000;

/** A checked record of a Plausible file → the row of Tidemark's table (without site and import id). */
export function plausibleRow(table: ImportedTable, v: Record<string, Value>): Record<string, Value> {
  switch (table) {
    case 'imported_visitors':
      return {
        date: v.date as string,
        visitors: v.visitors as number,
        pageviews: v.pageviews as number,
        bounces: v.bounces as number,
        visits: v.visits as number,
        visit_duration_ms: ms(v.visit_duration as number),
      };
    case 'imported_pages': {
      // The newer export gives totals and how many visits they cover; the older one a total of
      // seconds over the pageviews that were not exits.
      const newer = (v.total_time_on_page_visits as number) > 0 || (v.total_time_on_page as number) > 0;
      const legacyVisits = Math.max(0, (v.pageviews as number) - (v.exits as number));
      return {
        date: v.date as string,
        hostname: v.hostname as string,
        page: v.page as string,
        visits: v.visits as number,
        visitors: v.visitors as number,
        pageviews: v.pageviews as number,
        exits: v.exits as number,
        time_on_page_ms: ms(newer ? (v.total_time_on_page as number) : (v.time_on_page as number)),
        time_on_page_visits: newer ? (v.total_time_on_page_visits as number) : (v.time_on_page as number) > 0 ? legacyVisits : 0,
        scroll_depth_sum: v.total_scroll_depth as number,
        scroll_depth_visits: v.total_scroll_depth_visits as number,
      };
    }
    case 'imported_custom_events':
      return { ...v };
    default: {
      const { visit_duration, ...rest } = v;
      return visit_duration === undefined ? rest : { ...rest, visit_duration_ms: ms(visit_duration) };
    }
  }
}
