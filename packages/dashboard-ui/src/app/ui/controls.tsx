/** The period (with keyboard shortcuts), custom dates, comparison and time zone controls. */
import { useEffect } from 'preact/hooks';
import { PERIODS } from '../periods';
import type { View } from '../view';

interface Props {
  view: View;
  timezone: string;
  onChange: (patch: Partial<View>) => void;
}

const today = () => new Date().toISOString().slice(0, 10);

/** The browser's IANA zones (the Query API knows the same names), UTC first. */
const ZONES = [
  'UTC',
  ...(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []).filter((z) => z !== 'UTC'),
];

export function Controls({ view, timezone, onChange }: Props) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement;
      if (target.closest('input, select, textarea, dialog')) return;
      if (e.key === 'x') return onChange({ compare: view.compare ? '' : 'previous_period' });
      const period = PERIODS.find((p) => p.key === e.key);
      if (!period) return;
      if (period.id === 'custom') {
        onChange({ period: 'custom', from: view.from || today(), to: view.to || today(), grain: '' });
        document.getElementById('from')?.focus();
      } else onChange({ period: period.id, grain: '' });
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [view, onChange]);
  return (
    <section class="controls" aria-label="Period">
      <label class="inline">
        <span>Period</span>
        <select
          id="period"
          value={view.period}
          aria-keyshortcuts={PERIODS.map((p) => p.key).join(' ')}
          onChange={(e) => {
            const id = (e.currentTarget as HTMLSelectElement).value;
            onChange(
              id === 'custom' ? { period: id, from: view.from || today(), to: view.to || today(), grain: '' } : { period: id, grain: '' },
            );
          }}
        >
          {PERIODS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label} ({p.key.toUpperCase()})
            </option>
          ))}
        </select>
      </label>
      {view.period === 'custom' && (
        <span class="dates">
          <label class="inline">
            <span>From</span>
            <input
              id="from"
              type="date"
              value={view.from}
              max={view.to}
              onChange={(e) => onChange({ from: (e.currentTarget as HTMLInputElement).value, grain: '' })}
            />
          </label>
          <label class="inline">
            <span>To</span>
            <input
              type="date"
              value={view.to}
              min={view.from}
              onChange={(e) => onChange({ to: (e.currentTarget as HTMLInputElement).value, grain: '' })}
            />
          </label>
        </span>
      )}
      <label class="inline">
        <span>Compare</span>
        <select
          id="compare"
          value={view.compare}
          aria-keyshortcuts="x"
          onChange={(e) => onChange({ compare: (e.currentTarget as HTMLSelectElement).value as View['compare'] })}
        >
          <option value="">No comparison</option>
          <option value="previous_period">Previous period (X)</option>
          <option value="year_over_year">Year before</option>
        </select>
      </label>
      <label class="inline tz">
        <span>{view.period === 'realtime' ? 'Live ·' : ''} Time zone</span>
        <select id="tz" value={view.tz} onChange={(e) => onChange({ tz: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">{view.tz ? "The site's" : `The site's (${timezone || '…'})`}</option>
          {ZONES.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </label>
    </section>
  );
}
