/** A report panel: tabs, the top rows of the chosen tab as bars (click one to filter the page), details and CSV. */
import { Component } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { type Goal, type QueryBody, type Row, goals as readGoals } from '../api';
import { dimensionLabel, valueLabel } from '../dimensions';
import { useLoad, useQuery, useSeen } from '../hooks';
import { METRIC_LABELS, type PanelSpec, type Tab } from '../panels';
import type { Filter } from '../view';
import { MetricCells, ValueCell } from './cells';
import { downloadCsv } from './csv';
import { PropertyPicker } from './property-picker';
import { WorldMap } from './world-map';

export interface PanelContext {
  base: QueryBody;
  tick: number;
  onFilter: (f: Filter) => void;
  onDetails: (tab: Tab, dimension: string) => void;
  /** The file name's stem of CSV exports. */
  exportName: string;
  /** Opens a goal's custom property breakdown. */
  onGoalProperties: (name: string, goal: Goal | undefined) => void;
  /** The period's exact range (from the top numbers' answer), for the property keys. */
  range: { from: string; to: string } | null;
}

const ROWS = 9;

/** A tab's query: all its metrics (details, CSV), or those its list shows (`listOnly`). */
export function tabQuery(base: QueryBody, tab: Tab, dimension: string, limit: number, listOnly = false): QueryBody {
  // A property tab lists the events that carry the property.
  const own = dimension.startsWith('prop:') ? [['is_not', dimension, ['']]] : (tab.filters ?? []);
  const filters = [...(base.filters ?? []), ...own];
  return { ...base, metrics: listOnly ? tab.metrics.slice(0, tab.list ?? 1) : tab.metrics, dimensions: [dimension], filters, limit };
}

/**
 * The countries of a region or city tab's rows (a name such as Paris or Limburg stands in several),
 * most visits first: asked once the rows are in, by both dimensions under a filter on the rows'
 * values (read from `visits`, not the one-attribute rollups: only for these two tabs).
 */
function usePlaceCountries(ctx: PanelContext, dimension: string, rows: Row[]): Map<string, string[]> {
  const values = dimension === 'region' || dimension === 'city' ? rows.map((r) => String(r.dimensions[0])).filter((v) => v !== '') : [];
  const { compare: _, ...base } = ctx.base;
  const body: QueryBody | null =
    values.length > 0
      ? {
          ...base,
          metrics: ['visits'],
          dimensions: [dimension, 'country'],
          filters: [...(base.filters ?? []), ['is', dimension, values]],
          limit: 100,
        }
      : null;
  const answer = useQuery(body, ctx.tick);
  const out = new Map<string, string[]>();
  for (const r of answer.data?.results ?? []) {
    const [value, country] = r.dimensions.map(String) as [string, string];
    if (country === '') continue;
    out.set(value, [...(out.get(value) ?? []), country].slice(0, 2));
  }
  return out;
}

/** A goal as its settings say: `pageview /pricing`, `event signup (plan = pro | team)`. */
export function describeGoal(g: Goal): string {
  if (g.path !== undefined) return `pageview ${g.path}`;
  const props = Object.entries(g.props ?? {}).map(([k, v]) => `${k} = ${[v].flat().join(' | ')}`);
  return `event ${g.event}${props.length ? ` (${props.join(', ')})` : ''}`;
}

export function Panel({ spec, ctx }: { spec: PanelSpec; ctx: PanelContext }) {
  const [tabId, setTabId] = useState(spec.tabs[0]?.id ?? '');
  const [propKey, setPropKey] = useState('');
  const tab = spec.tabs.find((t) => t.id === tabId) ?? (spec.tabs[0] as Tab);
  const dimension = tab.dimension === 'prop:' ? (propKey ? `prop:${propKey}` : '') : tab.dimension;
  // A panel below the fold asks its rows once it is scrolled into view.
  const box = useRef<HTMLElement>(null);
  const seen = useSeen(box);
  const body = seen && dimension ? tabQuery(ctx.base, tab, dimension, tab.map ? 300 : ROWS, true) : null;
  const answer = useQuery(body, ctx.tick);
  const rows = answer.data?.results ?? [];
  const max = Math.max(1, ...rows.map((r) => r.metrics[0] ?? 0));
  const metrics = body?.metrics ?? ['visitors'];
  const goalTab = dimension === 'goal';
  const countriesOf = usePlaceCountries(ctx, dimension, rows);
  const defined = useLoad(goalTab && seen ? ctx.base.site : null, () => readGoals(ctx.base.site), ctx.tick);
  const byName = new Map((defined.data?.goals ?? []).map((g) => [g.name, g]));
  return (
    <section ref={box} class="card panel" id={`panel-${spec.id}`} aria-labelledby={`title-${spec.id}`} aria-busy={answer.loading}>
      <div class="card-head">
        <h2 id={`title-${spec.id}`}>{spec.title}</h2>
        <div class="tabs" role="tablist" aria-label={`${spec.title} reports`}>
          {spec.tabs.map((t) => (
            <button type="button" role="tab" key={t.id} aria-selected={t.id === tab.id} data-tab={t.id} onClick={() => setTabId(t.id)}>
              {t.label}
            </button>
          ))}
        </div>
      </div>
      <div role="tabpanel" aria-label={tab.label} class="panel-body">
        {tab.dimension === 'prop:' && seen && (
          <PropertyPicker site={ctx.base.site} range={ctx.range} value={propKey} onChange={setPropKey} />
        )}
        {goalTab && defined.data && (
          <p class="muted small" id="goals-note">
            {defined.data.configured
              ? `${defined.data.goals.length} goals configured`
              : 'No goals configured: every custom event is a goal'}
          </p>
        )}
        {tab.map ? (
          // The map's shapes (40 KB gzip) are fetched when it is seen, like the rows.
          seen && <WorldMap rows={rows} onPick={(code) => ctx.onFilter(['is', 'country', [code]])} />
        ) : (
          <table class="rows" data-dimension={dimension}>
            <thead>
              <tr>
                <th scope="col">{dimensionLabel(dimension || 'prop:')}</th>
                {metrics.map((m) => (
                  <th scope="col" class="num" key={m} data-metric={m}>
                    {METRIC_LABELS[m]}
                  </th>
                ))}
                {goalTab && (
                  <th scope="col">
                    <span class="sr-only">Properties</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const value = String(r.dimensions[0]);
                const goal = goalTab ? byName.get(value) : undefined;
                return (
                  <tr key={value} data-value={value}>
                    <ValueCell
                      bar={(r.metrics[0] ?? 0) / max}
                      title={`Filter by ${dimensionLabel(dimension)} ${valueLabel(dimension, value)}${goal ? ` (${describeGoal(goal)})` : ''}`}
                      onClick={() => ctx.onFilter(['is', dimension, [value]])}
                    >
                      {valueLabel(dimension, value)}
                      {goal && <span class="muted small goal-def"> {describeGoal(goal)}</span>}
                      {countriesOf.has(value) && (
                        <span class="muted small place-country">
                          {' '}
                          {countriesOf
                            .get(value)
                            ?.map((c) => valueLabel('country', c))
                            .join(', ')}
                        </span>
                      )}
                    </ValueCell>
                    <MetricCells metrics={metrics} row={r} changes />
                    {goalTab && (
                      <td class="num">
                        <button type="button" class="ghost small" onClick={() => ctx.onGoalProperties(value, goal)}>
                          Properties<span class="sr-only"> of {value}</span>
                        </button>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {answer.data && rows.length === 0 && <p class="muted empty">{dimension ? 'No data for this period' : 'Pick a property'}</p>}
        {answer.error && <p class="error">{answer.error}</p>}
      </div>
      <div class="card-foot">
        {spec.credit && (
          <span class="muted small credit">
            {spec.credit.text}{' '}
            <a href={spec.credit.href} target="_blank" rel="noopener noreferrer">
              {spec.credit.name}
            </a>
          </span>
        )}
        <button type="button" class="ghost" disabled={!dimension} onClick={() => ctx.onDetails(tab, dimension)}>
          Details
        </button>
        <button
          type="button"
          class="ghost"
          disabled={!dimension}
          onClick={() =>
            dimension && downloadCsv(tabQuery(ctx.base, tab, dimension, 10_000), `${ctx.exportName}-${dimension.replace(':', '-')}.csv`)
          }
        >
          CSV
        </button>
      </div>
    </section>
  );
}

/**
 * A panel drawn again only when its spec or context changes (`App` keeps the context while what
 * the panels ask stays the same), not on each render of the page (an answer of the top numbers or
 * the chart): a filter click's answers each redraw their own part of the page.
 */
export class StablePanel extends Component<{ spec: PanelSpec; ctx: PanelContext }> {
  override shouldComponentUpdate(next: { spec: PanelSpec; ctx: PanelContext }): boolean {
    return next.spec !== this.props.spec || next.ctx !== this.props.ctx;
  }
  override render() {
    return <Panel spec={this.props.spec} ctx={this.props.ctx} />;
  }
}
