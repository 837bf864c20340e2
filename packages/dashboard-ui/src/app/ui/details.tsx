/** The details of a panel's tab in a dialog: every row (100 at a time), a search, sortable columns, CSV. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { QueryBody } from '../api';
import { dimensionLabel, valueLabel } from '../dimensions';
import { useQuery } from '../hooks';
import { METRIC_LABELS, type Tab } from '../panels';
import type { Filter } from '../view';
import { MetricCells, ValueCell } from './cells';
import { downloadCsv } from './csv';
import { tabQuery } from './panel';

const PAGE = 100;

interface Props {
  base: QueryBody;
  tab: Tab;
  dimension: string;
  tick: number;
  exportName: string;
  onFilter: (f: Filter) => void;
  onClose: () => void;
}

export function Details({ base, tab, dimension, tick, exportName, onFilter, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [search, setSearch] = useState('');
  const [order, setOrder] = useState<[string, 'asc' | 'desc']>([tab.metrics[0] ?? 'visitors', 'desc']);
  const [limit, setLimit] = useState(PAGE);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const body: QueryBody = {
    ...tabQuery(base, tab, dimension, limit),
    orderBy: [order],
  };
  if (search) body.filters = [...(body.filters ?? []), ['contains', dimension, [search]]];
  const answer = useQuery(body, tick);
  const rows = answer.data?.results ?? [];
  const metrics = body.metrics;
  const sortBy = (name: string) =>
    setOrder(([current, dir]) => [name, current === name ? (dir === 'desc' ? 'asc' : 'desc') : name === dimension ? 'asc' : 'desc']);
  const sortState = (name: string) => (order[0] === name ? (order[1] === 'asc' ? 'ascending' : 'descending') : 'none');
  return (
    <dialog ref={dialog} class="details" aria-labelledby="details-title" onClose={onClose}>
      <div class="card-head">
        <h2 id="details-title">{tab.label}</h2>
        <button type="button" class="ghost" aria-label="Close" onClick={() => dialog.current?.close()}>
          ✕
        </button>
      </div>
      <div class="details-tools">
        <label class="inline">
          <span>Search</span>
          <input
            type="search"
            value={search}
            placeholder={`${dimensionLabel(dimension)} contains…`}
            onInput={(e) => {
              setSearch((e.currentTarget as HTMLInputElement).value);
              setLimit(PAGE);
            }}
          />
        </label>
        <button
          type="button"
          class="ghost"
          onClick={() => downloadCsv({ ...body, limit: 10_000, offset: 0 }, `${exportName}-${dimension.replace(':', '-')}.csv`)}
        >
          CSV
        </button>
      </div>
      <div class="details-scroll" aria-busy={answer.loading}>
        <table class="rows full" data-dimension={dimension}>
          <thead>
            <tr>
              {[dimension, ...metrics].map((name, i) => (
                <th key={name} scope="col" class={i > 0 ? 'num' : ''} aria-sort={sortState(name)}>
                  <button type="button" class="sort" data-sort={name} onClick={() => sortBy(name)}>
                    {i === 0 ? dimensionLabel(name) : METRIC_LABELS[name]}
                    {order[0] === name ? (order[1] === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const value = String(r.dimensions[0]);
              return (
                <tr key={value} data-value={value}>
                  <ValueCell
                    onClick={() => {
                      onFilter(['is', dimension, [value]]);
                      dialog.current?.close();
                    }}
                  >
                    {valueLabel(dimension, value)}
                  </ValueCell>
                  <MetricCells metrics={metrics} row={r} exact />
                </tr>
              );
            })}
          </tbody>
        </table>
        {answer.data && rows.length === 0 && <p class="muted empty">No rows</p>}
        {answer.error && <p class="error">{answer.error}</p>}
      </div>
      {rows.length === limit && (
        <button type="button" class="more" onClick={() => setLimit(limit + PAGE)}>
          Load {PAGE} more
        </button>
      )}
    </dialog>
  );
}
