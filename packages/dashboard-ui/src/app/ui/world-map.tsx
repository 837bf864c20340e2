/** Visits by country on a world map (Natural Earth 1:110m, served as /assets/world.json, fetched once). */
import { useEffect, useState } from 'preact/hooks';
import type { Row } from '../api';
import { valueLabel } from '../dimensions';
import { formatMetric } from '../format';

interface World {
  width: number;
  height: number;
  countries: Record<string, string>;
}

let world: Promise<World> | null = null;

export function WorldMap({ rows, onPick }: { rows: Row[]; onPick: (code: string) => void }) {
  const [map, setMap] = useState<World | null>(null);
  useEffect(() => {
    world ??= fetch('/assets/world.json').then((r) => r.json() as Promise<World>);
    world.then(setMap, () => {});
  }, []);
  const counts = new Map(rows.map((r) => [String(r.dimensions[0]), r.metrics[0] ?? 0]));
  const max = Math.max(1, ...counts.values());
  if (!map) return <div class="map" aria-busy="true" />;
  return (
    <svg class="map" viewBox={`0 0 ${map.width} ${map.height}`} role="img" aria-label="Visits by country">
      {Object.entries(map.countries).map(([code, d]) => {
        const n = counts.get(code) ?? 0;
        const label = `${valueLabel('country', code)}: ${formatMetric('visits', n)} visit${n === 1 ? '' : 's'}`;
        return (
          <path
            key={code}
            d={d}
            data-country={code}
            class={n > 0 ? 'land has' : 'land'}
            style={n > 0 ? { fillOpacity: String(0.25 + 0.75 * (n / max)) } : undefined}
            {...(n > 0
              ? {
                  role: 'button',
                  tabIndex: 0,
                  'aria-label': label,
                  onClick: () => onPick(code),
                  onKeyDown: (e: KeyboardEvent) => {
                    if (e.key === 'Enter' || e.key === ' ') onPick(code);
                  },
                }
              : {})}
          >
            <title>{label}</title>
          </path>
        );
      })}
    </svg>
  );
}
