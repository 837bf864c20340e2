/**
 * A goal's custom properties in a dialog: for each property key its event carries (up to 6,
 * most used first), the top values among the goal's completions, with the page's period and
 * filters. A pageview goal has none. A click on a value filters the page by it.
 */
import { useEffect, useRef } from 'preact/hooks';
import { type Goal, propertyKeys, type QueryBody } from '../api';
import { useLoad, useQuery } from '../hooks';
import { METRIC_LABELS } from '../panels';
import type { Filter } from '../view';
import { MetricCells, ValueCell } from './cells';
import { describeGoal } from './panel';

const KEYS = 6;
const ROWS = 10;

interface Props {
  base: QueryBody;
  name: string;
  /** The goal's settings; undefined for an implicit goal (a custom event's name). */
  goal: Goal | undefined;
  range: { from: string; to: string } | null;
  tick: number;
  onFilter: (f: Filter) => void;
  onClose: () => void;
}

export function GoalProperties({ base, name, goal, range, tick, onFilter, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const event = goal ? goal.event : name;
  const from = range?.from ?? new Date(Date.now() - 30 * 86_400_000).toISOString();
  const keys = useLoad(event ? `${base.site}\n${event}\n${from}` : null, () => propertyKeys(base.site, from, event), tick);
  const shown = (keys.data ?? []).slice(0, KEYS);
  return (
    <dialog ref={dialog} class="details" id="goal-props" aria-labelledby="goal-props-title" onClose={onClose}>
      <div class="card-head">
        <h2 id="goal-props-title">Properties of {name}</h2>
        <button type="button" class="ghost" aria-label="Close" onClick={() => dialog.current?.close()}>
          ✕
        </button>
      </div>
      {goal && <p class="muted">{describeGoal(goal)}</p>}
      <div class="details-scroll" aria-busy={keys.loading}>
        {!event && <p class="muted empty">A pageview goal has no custom properties</p>}
        {keys.data && shown.length === 0 && <p class="muted empty">No properties sent with this event</p>}
        {keys.error && <p class="error">{keys.error}</p>}
        {shown.map((key) => (
          <PropertyTable
            key={key}
            base={base}
            goalName={name}
            propKey={key}
            tick={tick}
            onFilter={(f) => {
              onFilter(f);
              dialog.current?.close();
            }}
          />
        ))}
      </div>
    </dialog>
  );
}

function PropertyTable({
  base,
  goalName,
  propKey,
  tick,
  onFilter,
}: {
  base: QueryBody;
  goalName: string;
  propKey: string;
  tick: number;
  onFilter: (f: Filter) => void;
}) {
  const dimension = `prop:${propKey}`;
  const metrics = ['visitors', 'events'];
  const answer = useQuery(
    {
      ...base,
      metrics,
      dimensions: [dimension],
      filters: [...(base.filters ?? []), ['is', 'goal', [goalName]]],
      limit: ROWS,
    },
    tick,
  );
  const rows = answer.data?.results ?? [];
  return (
    <section class="prop-table" aria-busy={answer.loading}>
      <h3>{propKey}</h3>
      <table class="rows" data-dimension={dimension}>
        <thead>
          <tr>
            <th scope="col">Value</th>
            {metrics.map((m) => (
              <th scope="col" class="num" key={m}>
                {METRIC_LABELS[m]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const value = String(r.dimensions[0]);
            return (
              <tr key={value} data-value={value}>
                <ValueCell onClick={() => onFilter(['is', dimension, [value]])}>{value || '(none)'}</ValueCell>
                <MetricCells metrics={metrics} row={r} exact />
              </tr>
            );
          })}
        </tbody>
      </table>
      {answer.error && <p class="error">{answer.error}</p>}
    </section>
  );
}
