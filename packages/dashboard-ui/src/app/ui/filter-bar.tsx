/** The filters of the page: one chip each (remove with ✕), and a form to add any dimension or property with is / is not / contains. */
import { useState } from 'preact/hooks';
import { dimensionLabel, FILTER_DIMENSIONS, OPS, valueLabel } from '../dimensions';
import type { Filter } from '../view';

interface Props {
  filters: Filter[];
  onChange: (filters: Filter[]) => void;
}

export function FilterBar({ filters, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const [dimension, setDimension] = useState('page');
  const [prop, setProp] = useState('');
  const [op, setOp] = useState('is');
  const [value, setValue] = useState('');
  const add = (e: Event) => {
    e.preventDefault();
    const d = dimension === 'prop' ? `prop:${prop.trim()}` : dimension;
    if (d === 'prop:' || value === '') return;
    onChange([...filters, [op, d, value.split('|').map((v) => v.trim())]]);
    setValue('');
    setOpen(false);
  };
  const opLabel = (o: string) => OPS.find(([id]) => id === o)?.[1] ?? o;
  return (
    <section class="filters" aria-label="Filters">
      <ul class="chips">
        {filters.map((f, i) => (
          <li key={`${f[0]}${f[1]}${f[2].join('|')}`} class="chip" data-filter={`${f[0]},${f[1]},${f[2].join('|')}`}>
            <span>
              {dimensionLabel(f[1])} <em>{opLabel(f[0])}</em> {f[2].map((v) => valueLabel(f[1], v)).join(' or ')}
            </span>
            <button
              type="button"
              aria-label={`Remove filter ${dimensionLabel(f[1])} ${opLabel(f[0])} ${f[2].join(' or ')}`}
              onClick={() => onChange(filters.filter((_, j) => j !== i))}
            >
              ✕
            </button>
          </li>
        ))}
        <li>
          <button type="button" class="ghost" aria-expanded={open} onClick={() => setOpen(!open)}>
            + Filter
          </button>
        </li>
        {filters.length > 1 && (
          <li>
            <button type="button" class="ghost" onClick={() => onChange([])}>
              Clear all
            </button>
          </li>
        )}
      </ul>
      {open && (
        <form class="filter-form" onSubmit={add}>
          <label>
            <span>Dimension</span>
            <select value={dimension} onChange={(e) => setDimension((e.currentTarget as HTMLSelectElement).value)}>
              {FILTER_DIMENSIONS.map((d) => (
                <option key={d} value={d}>
                  {dimensionLabel(d)}
                </option>
              ))}
              <option value="prop">Custom property…</option>
            </select>
          </label>
          {dimension === 'prop' && (
            <label>
              <span>Property</span>
              <input value={prop} required onInput={(e) => setProp((e.currentTarget as HTMLInputElement).value)} />
            </label>
          )}
          <label>
            <span>Operator</span>
            <select value={op} onChange={(e) => setOp((e.currentTarget as HTMLSelectElement).value)}>
              {OPS.map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Value (several: a|b)</span>
            <input value={value} required onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="submit">Apply</button>
        </form>
      )}
    </section>
  );
}
