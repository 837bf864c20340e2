/**
 * The filter clicks the dashboard benches measure (issue 18: "a filter click < 400 ms to a
 * settled page", any row a user clicks): a row of each tab of the 30-day view's panels, clicked
 * from that tab (the panel stays on it, so it then lists that dimension under its own filter).
 * `BENCH_DASHBOARD_CLICKS=channel,page,…` measures only those kinds (by `name`).
 */
import type { Goal } from '@tidemark/dashboard-api';
import type { Locator, Page } from 'playwright-core';

export interface ClickKind {
  /** The kind's name in figures and `BENCH_DASHBOARD_CLICKS` (default: its dimension). */
  name?: string;
  /** The filter's dimension (`f=is,<dimension>,…` in the URL). */
  dimension: string;
  /**
   * A filter added from the filter bar (operator, `|`-separated values) instead of a row click:
   * a custom property, or an operator no row sets (`is_not`, `contains`).
   */
  form?: { op: string; value: string };
  panel: string;
  /** The panel's tab, when not its first. */
  tab?: string;
  /** The label of the row to click (default: one of the first three rows). */
  row?: string;
  /** The bench site's configured goals while this kind is measured (default: none, every custom event name a goal). */
  goals?: Goal[];
}

/** The seeded pages are /page/0 … /page/499: a pageview goal of one of them, beside the custom event's goal. */
const PAGEVIEW_GOALS: Goal[] = [
  { name: 'signup', event: 'signup' },
  { name: 'Page 7', path: '/page/7' },
];

/** A pageview goal of a glob with a wildcard (/page/1, /page/10 … /page/19, /page/100 … /page/199: 111 of the 500 pages). */
const GLOB_GOALS: Goal[] = [
  { name: 'signup', event: 'signup' },
  { name: 'Pages 1*', path: '/page/1*' },
];

const ALL: ClickKind[] = [
  { dimension: 'channel', panel: '#panel-sources' },
  { dimension: 'page', panel: '#panel-pages' },
  { dimension: 'country', panel: '#panel-locations', tab: 'country' },
  { dimension: 'entry_page', panel: '#panel-pages', tab: 'entry_page' },
  { dimension: 'exit_page', panel: '#panel-pages', tab: 'exit_page' },
  { dimension: 'source', panel: '#panel-sources', tab: 'source' },
  { dimension: 'referrer', panel: '#panel-sources', tab: 'referrer' },
  { dimension: 'utm_medium', panel: '#panel-sources', tab: 'utm_medium' },
  { dimension: 'utm_source', panel: '#panel-sources', tab: 'utm_source' },
  { dimension: 'utm_campaign', panel: '#panel-sources', tab: 'utm_campaign' },
  { dimension: 'utm_term', panel: '#panel-sources', tab: 'utm_term' },
  { dimension: 'utm_content', panel: '#panel-sources', tab: 'utm_content' },
  { dimension: 'device', panel: '#panel-devices' },
  { dimension: 'browser', panel: '#panel-devices', tab: 'browser' },
  { dimension: 'browser_version', panel: '#panel-devices', tab: 'browser_version' },
  { dimension: 'os', panel: '#panel-devices', tab: 'os' },
  { dimension: 'os_version', panel: '#panel-devices', tab: 'os_version' },
  { dimension: 'screen', panel: '#panel-devices', tab: 'screen' },
  { dimension: 'goal', panel: '#panel-goals' },
  { dimension: 'event', panel: '#panel-goals', tab: 'event' },
  // A pageview goal's row (a goal defined by a path glob): the visits holding a pageview of the path.
  { name: 'goal_pageview', dimension: 'goal', panel: '#panel-goals', row: 'Page 7', goals: PAGEVIEW_GOALS },
  { name: 'goal_glob', dimension: 'goal', panel: '#panel-goals', row: 'Pages 1*', goals: GLOB_GOALS },
  // A custom property from the filter bar, every panel seen first (the goals panel is the last).
  // The bench's events carry no `plan` (nor any) property: `is_not` passes every event, `is` and `contains` none.
  { name: 'prop_is_not', dimension: 'prop:plan', panel: '#panel-goals', form: { op: 'is_not', value: 'free' } },
  { name: 'prop_is', dimension: 'prop:plan', panel: '#panel-goals', form: { op: 'is', value: 'free' } },
  { name: 'prop_contains', dimension: 'prop:plan', panel: '#panel-goals', form: { op: 'contains', value: 'fre' } },
  { name: 'prop_contains_not', dimension: 'prop:plan', panel: '#panel-goals', form: { op: 'contains_not', value: 'fre' } },
];

export const kindName = (k: ClickKind) => k.name ?? k.dimension;

const only = process.env.BENCH_DASHBOARD_CLICKS?.split(',').filter(Boolean);
export const CLICKS: ClickKind[] = only ? ALL.filter((k) => only.includes(kindName(k))) : ALL;

/**
 * Gets the kind's click ready (not measured): a filter bar kind fills the bar's form. Returns what
 * the measured click clicks: the form's Apply button, or the n-th row's value button (`rowButton`).
 */
export async function prepareClick(page: Page, kind: ClickKind, n: number): Promise<Locator> {
  if (!kind.form) return page.locator(rowButton(kind, n));
  await page.getByRole('button', { name: '+ Filter' }).click();
  const prop = kind.dimension.startsWith('prop:');
  await page.getByLabel('Dimension').selectOption(prop ? 'prop' : kind.dimension);
  if (prop) await page.getByLabel('Property', { exact: true }).fill(kind.dimension.slice(5));
  await page.getByLabel('Operator').selectOption(kind.form.op);
  await page.getByLabel(/^Value/).fill(kind.form.value);
  return page.getByRole('button', { name: 'Apply' });
}

/** The page's URL once the kind's filter is applied (`f=<op>,<dimension>,…`). */
export function filteredUrl(kind: ClickKind): RegExp {
  const f = new URLSearchParams({ f: `${kind.form?.op ?? 'is'},${kind.dimension},` }).toString();
  return new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** The n-th row's value button of the kind's tab (not a goal row's "Properties" button), or the button of its `row`. */
export function rowButton(kind: ClickKind, n: number): string {
  if (kind.row !== undefined) return `${kind.panel} tbody tr td.label button:text-is(${JSON.stringify(kind.row)})`;
  return `${kind.panel} tbody tr >> nth=${n} >> td.label button`;
}
