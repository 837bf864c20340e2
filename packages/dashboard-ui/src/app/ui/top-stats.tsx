/** The top numbers: each a button that switches the chart's metric, with the comparison's value and change. */

import type { Answer } from '../api';
import { formatChange, formatMetric } from '../format';
import type { Loaded } from '../hooks';
import { METRIC_LABELS } from '../panels';
import { TOP_METRICS } from '../view';

interface Props {
  answer: Loaded<Answer>;
  metric: string;
  onMetric: (metric: string) => void;
}

export function TopStats({ answer, metric, onMetric }: Props) {
  const row = answer.data?.results[0];
  // The metrics the answer holds, in its order.
  const asked = (answer.data?.query?.metrics as string[] | undefined) ?? TOP_METRICS;
  return (
    <section class="top" aria-label="Totals" aria-busy={answer.loading}>
      {TOP_METRICS.map((m) => {
        const i = asked.indexOf(m);
        const value = i < 0 ? null : (row?.metrics[i] ?? null);
        const previous = i < 0 ? null : row?.comparison?.metrics[i];
        const change = formatChange(m, i < 0 ? null : row?.comparison?.change[i]);
        return (
          <button type="button" key={m} class="stat" data-metric={m} aria-pressed={metric === m} onClick={() => onMetric(m)}>
            <span class="stat-label">{METRIC_LABELS[m]}</span>
            <span class="stat-value" data-value={value ?? ''} title={value === null ? '' : formatMetric(m, value, true)}>
              {answer.data ? formatMetric(m, i < 0 ? null : value) : '…'}
            </span>
            {row?.comparison && (
              <span class="stat-compare">
                <span class={`change ${change.tone}`} data-change={(i < 0 ? null : row.comparison.change[i]) ?? ''}>
                  {change.text || '—'}
                </span>{' '}
                <span class="muted" data-previous={previous ?? ''}>
                  vs {formatMetric(m, previous ?? null)}
                </span>
              </span>
            )}
          </button>
        );
      })}
    </section>
  );
}
