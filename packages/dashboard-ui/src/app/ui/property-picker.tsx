/** The custom property keys of the custom events since the period's start, to pick one for the Properties tab. */
import { useEffect, useState } from 'preact/hooks';
import { propertyKeys } from '../api';

interface Props {
  site: string;
  range: { from: string; to: string } | null;
  value: string;
  onChange: (key: string) => void;
}

export function PropertyPicker({ site, range, value, onChange }: Props) {
  const [keys, setKeys] = useState<string[]>([]);
  useEffect(() => {
    if (!range) return;
    propertyKeys(site, range.from).then(
      (k) => {
        setKeys(k);
        if (!k.includes(value)) onChange(k[0] ?? '');
      },
      () => setKeys([]),
    );
  }, [site, range?.from]);
  return (
    <label class="inline picker">
      <span>Property</span>
      <select value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {keys.length === 0 && <option value="">none in this period</option>}
        {keys.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
    </label>
  );
}
