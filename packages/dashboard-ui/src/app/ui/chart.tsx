/** The main chart: the chosen metric over time (uPlot), the comparison period as a second, dashed line. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Answer } from '../api';
import { formatMetric } from '../format';
import type { Loaded } from '../hooks';
import { METRIC_LABELS } from '../panels';
import type { Grain } from '../periods';

interface Props {
  answer: Loaded<Answer>;
  metric: string;
  grain: Grain;
  grains: Grain[];
  onGrain: (grain: Grain) => void;
}

/** A bucket label (`2026-01-31` or `2026-01-31T13:00:00+01:00`) as the seconds of its wall time read as UTC. */
export function wallSeconds(label: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(label);
  if (!m) return 0;
  const [, y, mo, d, h = '0', mi = '0'] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)) / 1000;
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function Chart({ answer, metric, grain, grains, onGrain }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const rows = answer.data?.results ?? [];
  const compared = rows.some((r) => r.comparison);
  useEffect(() => {
    const el = box.current;
    if (!el || rows.length === 0) return;
    const xs = rows.map((r) => wallSeconds(String(r.dimensions[0])));
    const ys = rows.map((r) => r.metrics[0] ?? null);
    const data: uPlot.AlignedData = compared ? [xs, ys, rows.map((r) => r.comparison?.metrics[0] ?? null)] : [xs, ys];
    const accent = css('--accent');
    const series: uPlot.Series[] = [
      {},
      {
        label: METRIC_LABELS[metric] ?? metric,
        stroke: accent,
        width: 2,
        fill: css('--accent-fill'),
        value: (_u, v) => formatMetric(metric, v),
      },
    ];
    if (compared)
      series.push({ label: 'Comparison', stroke: css('--muted'), width: 1.5, dash: [6, 4], value: (_u, v) => formatMetric(metric, v) });
    const axis = { stroke: css('--muted'), grid: { stroke: css('--grid'), width: 1 }, ticks: { stroke: css('--grid'), width: 1 } };
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: 260,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [axis, { ...axis, size: 56, values: (_u, ticks) => ticks.map((t) => formatMetric(metric, t)) }],
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [answer.data, metric, compared]);
  return (
    <section class="card chart" aria-label={`${METRIC_LABELS[metric]} over time`} aria-busy={answer.loading}>
      <div class="card-head">
        <h2>{METRIC_LABELS[metric]}</h2>
        <label class="inline">
          <span>Interval</span>
          <select value={grain} onChange={(e) => onGrain((e.currentTarget as HTMLSelectElement).value as Grain)}>
            {grains.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div ref={box} class="plot" data-points={rows.length} data-grain={grain} />
      {answer.error && <p class="error">{answer.error}</p>}
    </section>
  );
}
