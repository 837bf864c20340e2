/**
 * The funnel view (`POST /api/v2/funnel`, SPEC §12): 2 to 8 goals in order, completed within a
 * time limit, over the page's period and time zone. Per step: visitors, conversion from step 1
 * and drop-off from the step before, as bars. The page's filters do not apply (a funnel's steps
 * are its filters); the steps offered are the site's goals and the goals seen in the period.
 */
import { useState } from 'preact/hooks';
import { type FunnelBody, funnel, goals, type QueryBody } from '../api';
import { formatMetric } from '../format';
import { useLoad, useQuery } from '../hooks';

const WITHIN = [
  ['30m', '30 minutes'],
  ['1h', '1 hour'],
  ['6h', '6 hours'],
  ['24h', '24 hours'],
] as const;
const MAX_STEPS = 8;

interface Props {
  base: QueryBody;
  tick: number;
}

export function Funnel({ base, tick }: Props) {
  const [steps, setSteps] = useState<string[]>(['', '']);
  const [within, setWithin] = useState<string>('30m');
  const [asked, setAsked] = useState<{ steps: string[]; within: string } | null>(null);
  // The goals completed in the period, for the step pickers beside the configured ones: asked
  // once the form is used (not an engine turn of the first render).
  const [used, setUsed] = useState(false);
  const seen = useQuery(used ? { ...base, metrics: ['visitors'], dimensions: ['goal'], filters: [], limit: 100 } : null, 0);
  const configured = useLoad(used ? base.site : null, () => goals(base.site));
  const names = [
    ...new Set([...(configured.data?.goals ?? []).map((g) => g.name), ...(seen.data?.results ?? []).map((r) => String(r.dimensions[0]))]),
  ];
  const body: FunnelBody | null = asked && {
    site: base.site,
    dateRange: base.dateRange,
    ...(base.timezone ? { timezone: base.timezone } : {}),
    steps: asked.steps,
    within: asked.within,
  };
  const answer = useLoad(body && JSON.stringify(body), () => funnel(body as FunnelBody), tick);
  const top = answer.data?.steps[0]?.visitors || 1;
  const setStep = (i: number, value: string) => setSteps((s) => s.map((x, j) => (j === i ? value : x)));
  return (
    <section class="card" id="funnel-panel" aria-labelledby="funnel-title" aria-busy={answer.loading}>
      <div class="card-head">
        <h2 id="funnel-title">Funnel</h2>
        <span class="muted small">the period shown, without the page's filters</span>
      </div>
      <form
        id="funnel-form"
        class="funnel-form"
        onFocusIn={() => setUsed(true)}
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ steps: steps.map((s) => s.trim()).filter(Boolean), within });
        }}
      >
        <datalist id="funnel-goals">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <ol class="funnel-inputs">
          {steps.map((value, i) => (
            <li key={i}>
              <label class="inline">
                <span>Step {i + 1}</span>
                <input
                  class="funnel-step-input"
                  list="funnel-goals"
                  value={value}
                  placeholder="a goal"
                  onInput={(e) => setStep(i, (e.currentTarget as HTMLInputElement).value)}
                />
              </label>
              {steps.length > 2 && (
                <button
                  type="button"
                  class="ghost small"
                  aria-label={`Remove step ${i + 1}`}
                  onClick={() => setSteps((s) => s.filter((_, j) => j !== i))}
                >
                  ✕
                </button>
              )}
            </li>
          ))}
        </ol>
        <div class="funnel-actions">
          <button type="button" class="ghost" disabled={steps.length >= MAX_STEPS} onClick={() => setSteps((s) => [...s, ''])}>
            Add step
          </button>
          <label class="inline">
            <span>within</span>
            <select id="funnel-within" value={within} onChange={(e) => setWithin((e.currentTarget as HTMLSelectElement).value)}>
              {WITHIN.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Show</button>
        </div>
      </form>
      <ol id="funnel" class="funnel" aria-label="Funnel steps">
        {answer.data?.steps.map((s) => (
          <li class="funnel-step" key={s.step} data-step={s.step}>
            <span class="funnel-label">
              {s.step}. {s.label}
            </span>
            <span class="funnel-track">
              <span class="funnel-bar" style={{ width: `${Math.max(1, (s.visitors / top) * 100)}%` }} />
            </span>
            <span class="num" data-visitors={s.visitors} data-rate={s.conversionRate} data-drop={s.dropOff}>
              {formatMetric('visitors', s.visitors, true)} · {s.conversionRate}%
              {s.step > 1 ? ` · −${formatMetric('visitors', s.dropOff, true)}` : ''}
            </span>
          </li>
        ))}
      </ol>
      {answer.error && <p class="error">{answer.error}</p>}
      {!asked && <p class="muted">Name 2 to 8 goals in order, then Show.</p>}
    </section>
  );
}
