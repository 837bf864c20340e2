/** Current visitors (last 5 minutes, from the stream) and how far the stored data trails the collector. */
import type { Live } from '../hooks';

function lagText(ms: number | null): string {
  if (ms === null) return 'no data yet';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function LiveStatus({ live }: { live: Live }) {
  const f = live.freshness;
  return (
    <div class="live" aria-live="polite">
      <span class={`dot ${live.connected ? 'on' : ''}`} aria-hidden="true" />
      <span id="current" data-value={live.current ?? ''}>
        {live.current === null ? '…' : live.current} current visitor{live.current === 1 ? '' : 's'}
      </span>
      <span id="freshness" class="muted" data-lag={f?.lagMs ?? ''} data-backlog={f?.queueBacklog ?? ''}>
        data lag {lagText(f?.lagMs ?? null)}
        {f?.queueBacklog !== null && f?.queueBacklog !== undefined ? ` · queue ${f.queueBacklog}` : ''}
      </span>
    </div>
  );
}
