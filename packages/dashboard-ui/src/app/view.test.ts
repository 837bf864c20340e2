import { describe, expect, it } from 'vitest';
import { parseFilter, readView, withFilter, writeView } from './view';

describe('view in the URL', () => {
  it('round-trips every field, values with | and \\ included', () => {
    const view = readView(
      '?site=a.example&period=custom&from=2026-01-01&to=2026-01-31&compare=year_over_year&metric=bounce_rate&grain=week&tz=Asia%2FKathmandu',
    );
    const filters: [string, string, string[]][] = [
      ['is', 'country', ['DE', 'AT']],
      ['contains', 'page', ['/a|b', 'back\\slash']],
      ['is_not', 'prop:plan', ['free']],
    ];
    const full = { ...view, filters };
    const again = readView(writeView(full));
    expect(again).toEqual(full);
    expect(again).toMatchObject({ period: 'custom', from: '2026-01-01', grain: 'week', tz: 'Asia/Kathmandu', metric: 'bounce_rate' });
  });

  it('falls back on defaults for unknown or inconsistent values', () => {
    const v = readView('?period=nope&metric=rm&grain=minute&compare=x&f=bogus&f=is,country');
    expect(v).toMatchObject({ period: '28d', metric: 'visitors', grain: '', compare: '', filters: [] });
    expect(readView('?period=custom&from=2026-02-01&to=2026-01-01').period).toBe('28d');
    expect(parseFilter('is,page,')).toEqual(['is', 'page', ['']]);
  });

  it('a new `is` on a dimension replaces the old one, other filters stay', () => {
    expect(
      withFilter(
        [
          ['is', 'country', ['DE']],
          ['contains', 'page', ['/b']],
        ],
        ['is', 'country', ['FR']],
      ),
    ).toEqual([
      ['contains', 'page', ['/b']],
      ['is', 'country', ['FR']],
    ]);
  });
});
