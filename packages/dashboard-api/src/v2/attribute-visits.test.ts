import { describe, expect, it } from 'vitest';
import { attributeVisitsEligible, attributeVisitsStatement, attributeVisitsTable } from './attribute-visits.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import type { Dimension } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const country = leaf('is', 'country', ['NL']);

function input(dimensions: Dimension[], filters: Filter[] = [country], from = 100 * DAY, to = 130 * DAY): StatementInput {
  return statementInput(dimensions, filters, { from, to });
}

const days = (from: number, to: number) => Array.from({ length: (to - from) / DAY }, (_, i) => from + i * DAY);

describe('visit metrics by one attribute under filters on another (attribute-visits.ts)', () => {
  it('answers one low-cardinality attribute under filters on one other attribute the table holds', () => {
    expect(attributeVisitsEligible(input(['device']), [])).toBe(true);
    expect(attributeVisitsEligible(input(['channel']), [])).toBe(true);
    expect(attributeVisitsEligible(input(['country'], [leaf('is', 'referrer', ['t.co'])]), [])).toBe(true);
    // Any operator and several values of the one filter attribute: a visit has one value of it.
    expect(attributeVisitsEligible(input(['os'], [leaf('contains', 'country', ['N']), leaf('is_not', 'country', ['NO', 'NZ'])]), [])).toBe(
      true,
    );
    expect(attributeVisitsEligible(input(['time:day', 'device']), days(100 * DAY, 130 * DAY))).toBe(true);
    // 035's filter attributes (browser and OS versions), by the same grouped attributes.
    for (const f of ['browser_version', 'os_version'])
      for (const d of ['channel', 'country', 'device', 'browser', 'os', 'screen'] as Dimension[])
        expect(attributeVisitsEligible(input([d], [leaf('is', f, ['x'])]), [])).toBe(true);
    expect(
      attributeVisitsEligible(input(['device'], [leaf('contains', 'os_version', ['1']), leaf('is_not', 'os_version', ['17'])]), []),
    ).toBe(true);
    // Not: the filter's own attribute (visits_1d answers), no filter, an attribute it does not group by,
    // filters on two attributes, event filters, two attribute dimensions, no whole UTC day, hours.
    expect(attributeVisitsEligible(input(['country']), [])).toBe(false);
    expect(attributeVisitsEligible(input(['device'], []), [])).toBe(false);
    expect(attributeVisitsEligible(input(['entry_page']), [])).toBe(false);
    // Not UTM term and content as the filter attribute (a row per value and day is about one per visit), nor the
    // entry and exit pages by anything but the channel (043's table, below).
    for (const f of ['entry_page', 'exit_page', 'utm_term', 'utm_content'])
      expect(attributeVisitsEligible(input(['device'], [leaf('is', f, ['x'])]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['browser_version']), [])).toBe(false);
    expect(attributeVisitsEligible(input(['entry_page'], [leaf('is', 'browser_version', ['120.0'])]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['device'], [leaf('is', 'region', ['x'])]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['device'], [country, leaf('is', 'channel', ['Direct'])]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['device'], [leaf('is', 'page', ['/'])]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['device', 'browser']), [])).toBe(false);
    expect(attributeVisitsEligible(input(['device'], [country], 100 * DAY + 1, 101 * DAY + 5), [])).toBe(false);
    const hours = { ...input(['time:hour', 'device']), interval: 'hour' as const };
    expect(attributeVisitsEligible(hours, [100 * DAY, 100 * DAY + 3_600_000])).toBe(false);
  });

  it('reads the visits only for the partial UTC days of the range', () => {
    const whole = attributeVisitsStatement(input(['device']));
    expect(whole.sql).toContain('db.attribute_visits_1d');
    expect(whole.sql).not.toContain('db.visits');
    const partial = attributeVisitsStatement(input(['device'], [country], 100 * DAY - 5, 130 * DAY + 7));
    expect(partial.sql).toContain('db.attribute_visits_1d');
    expect(partial.sql).toMatch(/FROM db\.visits AS v\s+WHERE/);
    expect(partial.sql).toContain('toInt64(v.sign) AS visits');
    expect(Object.values(partial.params)).toEqual(expect.arrayContaining(['country', 'device', ['NL']]));
    const version = attributeVisitsStatement(input(['channel'], [leaf('is', 'browser_version', ['120'])], 100 * DAY - 5, 130 * DAY));
    expect(version.sql).toContain('toString(v.browser_version) AS filter_value');
    expect(Object.values(version.params)).toEqual(expect.arrayContaining(['browser_version', 'channel', ['120']]));
  });

  it('answers the channel under filters on the entry or exit page from their own table (043), and nothing else there', () => {
    const entry = leaf('is', 'entry_page', ['/pricing']);
    for (const f of ['entry_page', 'exit_page']) {
      expect(attributeVisitsEligible(input(['channel'], [leaf('is', f, ['/'])]), [])).toBe(true);
      // Any operator and several values of the one page: a visit has one entry and one exit page.
      expect(
        attributeVisitsEligible(input(['channel'], [leaf('contains', f, ['/blog']), leaf('is_not', f, ['/blog/a', '/blog/b'])]), []),
      ).toBe(true);
      expect(attributeVisitsEligible(input(['time:day', 'channel'], [leaf('matches', f, ['^/docs'])]), days(100 * DAY, 130 * DAY))).toBe(
        true,
      );
      expect(attributeVisitsTable(input(['channel'], [leaf('is', f, ['/'])]))).toBe('db.entry_exit_visits_1d');
      // Not: the other grouped attributes of 033 (the table holds the channel only), the page itself, the other page.
      for (const d of ['country', 'device', 'browser', 'os', 'screen', 'source', 'entry_page', 'exit_page'] as Dimension[])
        expect(attributeVisitsEligible(input([d], [leaf('is', f, ['/'])]), [])).toBe(false);
    }
    // Not: both pages at once, a page and another attribute, no whole UTC day, hours.
    expect(attributeVisitsEligible(input(['channel'], [entry, leaf('is', 'exit_page', ['/'])]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['channel'], [entry, country]), [])).toBe(false);
    expect(attributeVisitsEligible(input(['channel'], [entry], 100 * DAY + 1, 101 * DAY + 5), [])).toBe(false);
    const hours = { ...input(['time:hour', 'channel'], [entry]), interval: 'hour' as const };
    expect(attributeVisitsEligible(hours, [100 * DAY, 100 * DAY + 3_600_000])).toBe(false);
    // 033's pairs stay in 033's table.
    expect(attributeVisitsTable(input(['channel']))).toBe('db.attribute_visits_1d');
    expect(attributeVisitsTable(input(['channel'], [leaf('is', 'os_version', ['17'])]))).toBe('db.attribute_visits_1d');
  });

  it('reads the entry and exit page sums, and the visits with their page for the partial UTC days', () => {
    const whole = attributeVisitsStatement(input(['channel'], [leaf('is', 'exit_page', ['/pricing'])]));
    expect(whole.sql).toContain('FROM db.entry_exit_visits_1d');
    expect(whole.sql).not.toContain('db.attribute_visits_1d');
    expect(whole.sql).not.toContain('db.visits');
    expect(Object.values(whole.params)).toEqual(expect.arrayContaining(['exit_page', 'channel', ['/pricing']]));
    const partial = attributeVisitsStatement(input(['channel'], [leaf('is', 'entry_page', ['/pricing'])], 100 * DAY - 5, 130 * DAY + 7));
    expect(partial.sql).toContain('FROM db.entry_exit_visits_1d');
    expect(partial.sql).toMatch(/FROM db\.visits AS v\s+WHERE/);
    expect(partial.sql).toContain('toInt64(v.sign) AS visits');
    expect(partial.sql).toContain('v.entry_page AS filter_value');
    expect(partial.sql).toContain('toString(v.channel) AS target');
    expect(Object.values(partial.params)).toEqual(expect.arrayContaining(['entry_page', 'channel', ['/pricing']]));
  });
});
