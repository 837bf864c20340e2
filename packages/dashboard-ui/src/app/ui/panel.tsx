/** A report panel: tabs, the top rows of the chosen tab as bars (click one to filter the page), details and CSV. */
import { useState } from 'preact/hooks';
import type { QueryBody } from '../api';
import { dimensionLabel, valueLabel } from '../dimensions';
import { formatChange, formatMetric } from '../format';
import { useQuery } from '../hooks';
import { METRIC_LABELS, type PanelSpec, type Tab, usableMetrics } from '../panels';
import type { Filter } from '../view';
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
  /** The period's exact range (from the top numbers' answer), for the property keys. */
  range: { from: string; to: string } | null;
}

const ROWS = 9;

/** A tab's query: all its metrics (details, CSV), or its first only (`listOnly`, the panel's list). */
export function tabQuery(base: QueryBody, tab: Tab, dimension: string, limit: number, listOnly = false): QueryBody {
  // A property tab lists the events that carry the property.
  const own = dimension.startsWith('prop:') ? [['is_not', dimension, ['']]] : (tab.filters ?? []);
  const filters = [...(base.filters ?? []), ...own];
  const metrics = usableMetrics(tab.metrics, filters, dimension);
  return { ...base, metrics: listOnly ? metrics.slice(0, 1) : metrics, dimensions: [dimension], filters, limit };
}

export function Panel({ spec, ctx }: { spec: PanelSpec; ctx: PanelContext }) {
  const [tabId, setTabId] = useState(spec.tabs[0]?.id ?? '');
  const [propKey, setPropKey] = useState('');
  const tab = spec.tabs.find((t) => t.id === tabId) ?? (spec.tabs[0] as Tab);
  const dimension = tab.dimension === 'prop:' ? (propKey ? `prop:${propKey}` : '') : tab.dimension;
  const body = dimension ? tabQuery(ctx.base, tab, dimension, tab.map ? 300 : ROWS, true) : null;
  const answer = useQuery(body, ctx.tick);
  const rows = answer.data?.results ?? [];
  const max = Math.max(1, ...rows.map((r) => r.metrics[0] ?? 0));
  const metric = body?.metrics[0] ?? 'visitors';
  return (
    <section class="card panel" id={`panel-${spec.id}`} aria-labelledby={`title-${spec.id}`} aria-busy={answer.loading}>
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
        {tab.dimension === 'prop:' && <PropertyPicker site={ctx.base.site} range={ctx.range} value={propKey} onChange={setPropKey} />}
        {tab.map ? (
          <WorldMap rows={rows} onPick={(code) => ctx.onFilter(['is', 'country', [code]])} />
        ) : (
          <table class="rows" data-dimension={dimension}>
            <thead>
              <tr>
                <th scope="col">{dimensionLabel(dimension || 'prop:')}</th>
                <th scope="col" class="num">
                  {METRIC_LABELS[metric]}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const value = String(r.dimensions[0]);
                const change = formatChange(metric, r.comparison?.change[0]);
                return (
                  <tr key={value} data-value={value}>
                    <td class="label">
                      <span class="bar" style={{ width: `${((r.metrics[0] ?? 0) / max) * 100}%` }} />
                      <button
                        type="button"
                        class="link"
                        title={`Filter by ${dimensionLabel(dimension)} ${valueLabel(dimension, value)}`}
                        onClick={() => ctx.onFilter(['is', dimension, [value]])}
                      >
                        {valueLabel(dimension, value)}
                      </button>
                    </td>
                    <td class="num" data-metric={metric} data-value={r.metrics[0] ?? ''}>
                      {formatMetric(metric, r.metrics[0] ?? null)}
                      {change.text && <span class={`change small ${change.tone}`}> {change.text}</span>}
                    </td>
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
