/** The report panels: each tab is one dimension of the Query API with the metrics it lists. */
export interface Tab {
  id: string;
  label: string;
  /** The dimension; `prop:` tabs take their key from the panel's property picker. */
  dimension: string;
  /**
   * The list shows the first metric, the details view all. Tabs of a visit dimension list
   * visits: the visit rollups answer them; visitors by a visit attribute are counted from the
   * visits table (docs/query.md, "Which tables answer").
   */
  metrics: string[];
  /** How many of the metrics the panel's list shows (default 1). */
  list?: number;
  /** Extra filters of this tab only (e.g. custom events without pageviews). */
  filters?: [string, string, string[]][];
  map?: boolean;
}

export interface PanelSpec {
  id: string;
  title: string;
  tabs: Tab[];
  /** A source the panel's data needs credited (a link only: the page makes no request to it). */
  credit?: { text: string; name: string; href: string };
}

const VISITS = ['visits', 'visitors', 'bounce_rate', 'visit_duration'];

export const PANELS: PanelSpec[] = [
  {
    id: 'pages',
    title: 'Pages',
    tabs: [
      {
        id: 'page',
        label: 'Top pages',
        dimension: 'page',
        metrics: ['visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth', 'percentage'],
      },
      { id: 'entry_page', label: 'Entry pages', dimension: 'entry_page', metrics: VISITS },
      { id: 'exit_page', label: 'Exit pages', dimension: 'exit_page', metrics: VISITS },
    ],
  },
  {
    id: 'sources',
    title: 'Sources',
    tabs: [
      { id: 'channel', label: 'Channels', dimension: 'channel', metrics: VISITS },
      { id: 'source', label: 'Sources', dimension: 'source', metrics: VISITS },
      { id: 'referrer', label: 'Referrers', dimension: 'referrer', metrics: VISITS },
      { id: 'utm_medium', label: 'UTM medium', dimension: 'utm_medium', metrics: VISITS },
      { id: 'utm_source', label: 'UTM source', dimension: 'utm_source', metrics: VISITS },
      { id: 'utm_campaign', label: 'Campaign', dimension: 'utm_campaign', metrics: VISITS },
      { id: 'utm_term', label: 'Term', dimension: 'utm_term', metrics: VISITS },
      { id: 'utm_content', label: 'Content', dimension: 'utm_content', metrics: VISITS },
    ],
  },
  {
    id: 'locations',
    title: 'Locations',
    tabs: [
      { id: 'map', label: 'Map', dimension: 'country', metrics: VISITS, map: true },
      { id: 'country', label: 'Countries', dimension: 'country', metrics: VISITS },
      { id: 'region', label: 'Regions', dimension: 'region', metrics: VISITS },
      { id: 'city', label: 'Cities', dimension: 'city', metrics: VISITS },
    ],
    // DB-IP City Lite (CC BY 4.0), the collector's region and city database, asks for this credit.
    credit: { text: 'IP geolocation by', name: 'DB-IP', href: 'https://db-ip.com' },
  },
  {
    id: 'devices',
    title: 'Devices',
    tabs: [
      { id: 'device', label: 'Devices', dimension: 'device', metrics: VISITS },
      { id: 'browser', label: 'Browsers', dimension: 'browser', metrics: VISITS },
      { id: 'browser_version', label: 'Browser versions', dimension: 'browser_version', metrics: VISITS },
      { id: 'os', label: 'OS', dimension: 'os', metrics: VISITS },
      { id: 'os_version', label: 'OS versions', dimension: 'os_version', metrics: VISITS },
      { id: 'screen', label: 'Screens', dimension: 'screen', metrics: VISITS },
    ],
  },
  {
    id: 'goals',
    title: 'Goals & events',
    tabs: [
      { id: 'goal', label: 'Goals', dimension: 'goal', metrics: ['visitors', 'conversions', 'conversion_rate'], list: 3 },
      {
        id: 'event',
        label: 'Custom events',
        dimension: 'event',
        metrics: ['visitors', 'events'],
        filters: [['is_not', 'event', ['pageview', 'engagement']]],
      },
      { id: 'props', label: 'Properties', dimension: 'prop:', metrics: ['visitors', 'events', 'percentage'] },
    ],
  },
];

export const METRIC_LABELS: Record<string, string> = {
  visitors: 'Visitors',
  visits: 'Visits',
  pageviews: 'Pageviews',
  views_per_visit: 'Views per visit',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
  time_on_page: 'Time on page',
  scroll_depth: 'Scroll depth',
  events: 'Events',
  conversions: 'Conversions',
  conversion_rate: 'Conversion rate',
  percentage: 'Share',
};
