/** The dashboard: header, period, filters, top numbers, chart and report panels, all from one view in the URL. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Goal, type QueryBody, sites as readSites } from './api';
import { isAdmin, type Me, signOut, whoLabel } from './auth';
import { afterSettled, useLive, useQuery } from './hooks';
import { PANELS, type Tab } from './panels';
import { dateRangeOf, grainsOf, periodOf } from './periods';
import { Alerts } from './ui/alerts';
import { Chart } from './ui/chart';
import { Controls } from './ui/controls';
import { Details } from './ui/details';
import { FilterBar } from './ui/filter-bar';
import { Funnel } from './ui/funnel';
import { GoalProperties } from './ui/goal-properties';
import { LiveStatus } from './ui/live-status';
import { type PanelContext, StablePanel } from './ui/panel';
import { TopStats } from './ui/top-stats';
import { type Filter, readView, TOP_METRICS, type View, withFilter, writeView } from './view';

interface Props {
  /** Who is signed in (GET /api/session): a shared link shows its one site, read-only. */
  me: Me;
  onSignedOut: () => void;
}

export function App({ me, onSignedOut }: Props) {
  const locked = me.kind === 'share' ? (me.site ?? '') : null;
  const [view, setView] = useState<View>(() => lockTo(readView(location.search), locked));
  const [siteList, setSiteList] = useState<string[]>(locked === null ? [] : [locked]);
  const [details, setDetails] = useState<{ tab: Tab; dimension: string } | null>(null);
  const [goalProps, setGoalProps] = useState<{ name: string; goal: Goal | undefined } | null>(null);

  useEffect(() => {
    const onPop = () => setView(lockTo(readView(location.search), locked));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, [locked]);
  // The site list (for the picker, with a site in the URL) and the live stream (current visitors,
  // data lag) wait until the first view's queries have answered: the embedded engine answers one
  // query after another, and the numbers a user waits for go first.
  const [wantSites, setWantSites] = useState(locked === null && !view.site);
  const [firstView, setFirstView] = useState(!view.site);
  useEffect(
    () =>
      afterSettled(() => {
        setFirstView(true);
        if (locked === null) setWantSites(true);
      }),
    [locked],
  );
  useEffect(() => {
    if (!wantSites) return;
    readSites().then(
      (list) => {
        setSiteList(list);
        setView((v) => (v.site || !list[0] ? v : { ...v, site: list[0] }));
      },
      () => {},
    );
  }, [wantSites]);

  const change = useCallback((patch: Partial<View>) => {
    setView((v) => {
      const next = { ...v, ...patch };
      const url = writeView(next);
      if (url !== location.search) history.pushState(null, '', url);
      return next;
    });
  }, []);
  useEffect(() => {
    if (view.site && writeView(view) !== location.search) history.replaceState(null, '', writeView(view));
  }, [view]);

  const period = periodOf(view.period);
  const live = useLive(view.site, period.live, firstView);
  const grains = grainsOf(view.period, view.from, view.to);
  const grain = view.grain || (grains[0] ?? 'day');

  const base = useMemo<QueryBody | null>(() => {
    if (!view.site) return null;
    return {
      site: view.site,
      metrics: [],
      dateRange: dateRangeOf(view.period, view.from, view.to),
      ...(view.tz ? { timezone: view.tz } : {}),
      filters: view.filters.map(([op, d, values]) => [op, d, values]),
    };
  }, [view.site, view.period, view.from, view.to, view.tz, view.filters]);
  const compare = view.compare ? { compare: view.compare } : {};
  // The top numbers and the chart are sent first; the panels in the same task, right after them
  // (`useLoad`: a child's effects run before its parent's, the panels would be sent first).
  const top = useQuery(base && { ...base, metrics: TOP_METRICS, ...compare }, live.tick, true);
  const chartMetric = view.metric;
  const series = useQuery(
    base && { ...base, metrics: [chartMetric], dimensions: [`time:${grain}`], ...compare, limit: 10_000 },
    live.tick,
    true,
  );
  // On a live tick the panels ask again once the top numbers answered.
  const [panelTick, setPanelTick] = useState(0);
  useEffect(() => {
    if (top.loading) return;
    setPanelTick(live.tick);
  }, [top.loading, live.tick]);
  const timezone = top.data?.meta.timezone ?? view.tz;
  const onFilter = useCallback((f: Filter) => setView((v) => nextWith(v, withFilter(v.filters, f))), []);
  // The period's exact range, kept while the top numbers of a new filter load (a filter does not
  // move it): the panels' context stays the same object until their own query changes.
  const rangeKey = JSON.stringify([view.site, view.period, view.from, view.to, view.tz]);
  const known = useRef<{ key: string; range: { from: string; to: string } } | null>(null);
  if (
    top.data &&
    (known.current?.key !== rangeKey || known.current.range.from !== top.data.meta.from || known.current.range.to !== top.data.meta.to)
  )
    known.current = { key: rangeKey, range: { from: top.data.meta.from, to: top.data.meta.to } };
  const range = known.current?.key === rangeKey ? known.current.range : null;
  const exportName = `${view.site}-${view.period === 'custom' ? `${view.from}_${view.to}` : view.period}`;
  const onDetails = useCallback((tab: Tab, dimension: string) => setDetails({ tab, dimension }), []);
  const onGoalProperties = useCallback((name: string, goal: Goal | undefined) => setGoalProps({ name, goal }), []);
  // One context for every panel, a new one only when what they ask changes: an answer of the top
  // numbers or the chart redraws those, not the panels (`StablePanel`).
  const ctx = useMemo<PanelContext | null>(
    () => base && { base, tick: panelTick, onFilter, onDetails, onGoalProperties, exportName, range },
    [base, panelTick, onFilter, onDetails, onGoalProperties, exportName, range],
  );

  return (
    <>
      <header class="bar">
        <a class="brand" href={locked === null ? '/' : location.pathname}>
          Tidemark
        </a>
        <label class="inline">
          <span class="sr-only">Site</span>
          <select
            id="site"
            value={view.site}
            disabled={locked !== null}
            onChange={(e) => change({ site: (e.currentTarget as HTMLSelectElement).value, filters: [] })}
          >
            {!siteList.includes(view.site) && <option value={view.site}>{view.site || 'no site yet'}</option>}
            {siteList.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <LiveStatus live={live} />
        <nav class="account" aria-label="Account">
          <span id="who">{whoLabel(me)}</span>
          {isAdmin(me) && (
            <a href="/settings" id="settings-link">
              Settings
            </a>
          )}
          {me.via === 'session' && (
            <button
              type="button"
              id="signout"
              onClick={() => {
                signOut().then(onSignedOut, onSignedOut);
              }}
            >
              Sign out
            </button>
          )}
        </nav>
      </header>
      <main id="board">
        <h1 class="sr-only">Analytics for {view.site}</h1>
        <Controls view={view} timezone={timezone} onChange={change} />
        <FilterBar filters={view.filters} onChange={(filters) => change({ filters })} />
        {base && (
          <>
            <TopStats answer={top} metric={view.metric} onMetric={(metric) => change({ metric })} />
            <Chart answer={series} metric={chartMetric} grain={grain} grains={grains} onGrain={(g) => change({ grain: g })} />
            {top.data?.meta.cut && (
              <p class="muted note">
                Raw events before {top.data.meta.cut.from.slice(0, 10)} are no longer kept: some reports start there.
              </p>
            )}
            <div class="grid">{ctx && PANELS.map((spec) => <StablePanel key={spec.id} spec={spec} ctx={ctx} />)}</div>
            <div class="grid below">
              <Funnel base={base} tick={panelTick} />
              {locked === null && <Alerts site={view.site} admin={isAdmin(me)} />}
            </div>
            {goalProps && (
              <GoalProperties
                base={base}
                name={goalProps.name}
                goal={goalProps.goal}
                range={range}
                tick={live.tick}
                onFilter={onFilter}
                onClose={() => setGoalProps(null)}
              />
            )}
            {details && (
              <Details
                base={base}
                tab={details.tab}
                dimension={details.dimension}
                tick={live.tick}
                exportName={exportName}
                onFilter={onFilter}
                onClose={() => setDetails(null)}
              />
            )}
          </>
        )}
        {!view.site && (
          <p class="empty">
            No site has data yet: send an event, or open <code>?site=example.com</code>.
          </p>
        )}
      </main>
      <footer class="muted">
        Keys: R realtime · D today · E yesterday · W 7 days · F 28 days · T 30 days · M month · N last month · Y year · L 12 months · A all
        · C custom · X compare
      </footer>
    </>
  );
}

/** A shared link's view is its one site's, whatever the URL says. */
function lockTo(view: View, site: string | null): View {
  return site === null ? view : { ...view, site };
}

/** A view with new filters, pushed to the history so Back undoes a click. */
function nextWith(v: View, filters: Filter[]): View {
  const next = { ...v, filters };
  history.pushState(null, '', writeView(next));
  return next;
}
