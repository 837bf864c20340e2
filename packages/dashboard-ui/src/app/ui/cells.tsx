/** A report row's cells, as every table of the page draws them: its value (a click filters by it) and its metrics. */
import type { ComponentChildren } from 'preact';
import type { Row } from '../api';
import { formatChange, formatMetric } from '../format';

interface ValueProps {
  /** The value's width as a bar behind it, 0–1; none when undefined. */
  bar?: number;
  title?: string;
  onClick: () => void;
  children: ComponentChildren;
}

export function ValueCell({ bar, title, onClick, children }: ValueProps) {
  return (
    <td class="label">
      {bar !== undefined && <span class="bar" style={{ width: `${bar * 100}%` }} />}
      <button type="button" class="link" title={title} onClick={onClick}>
        {children}
      </button>
    </td>
  );
}

/** The row's metrics (`data-value` holds the exact number); `exact` writes counts in full, `changes` adds the comparison's. */
export function MetricCells({
  metrics,
  row,
  exact = false,
  changes = false,
}: {
  metrics: string[];
  row: Row;
  exact?: boolean;
  changes?: boolean;
}) {
  return (
    <>
      {metrics.map((m, i) => {
        const change = changes ? formatChange(m, row.comparison?.change[i]) : null;
        return (
          <td class="num" key={m} data-metric={m} data-value={row.metrics[i] ?? ''}>
            {formatMetric(m, row.metrics[i] ?? null, exact)}
            {change?.text && <span class={`change small ${change.tone}`}> {change.text}</span>}
          </td>
        );
      })}
    </>
  );
}
