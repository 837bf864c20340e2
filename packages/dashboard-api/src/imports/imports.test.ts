import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImportError, readTable, type Spec } from './csv-table.ts';
import { PLAUSIBLE_SPECS, plausibleRow, plausibleTable } from './plausible.ts';
import { UMAMI_SPEC, umamiRow } from './umami.ts';

const spec: Spec = {
  date: { kind: 'date', required: true },
  page: { kind: 'text', required: true },
  visitors: { kind: 'count', required: true },
};

async function rows(text: string | Buffer[], s: Spec = spec) {
  const out = [];
  for await (const row of readTable(Readable.from(typeof text === 'string' ? [Buffer.from(text)] : text), 'f.csv', s)) out.push(row);
  return out;
}

async function failure(text: string, s: Spec = spec): Promise<ImportError> {
  try {
    await rows(text, s);
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  }
  throw new Error('no import error');
}

describe('readTable', () => {
  it('reads columns by name in any order, ignores unknown ones, fills absent optional ones', async () => {
    const s: Spec = { ...spec, exits: { kind: 'count', required: false } };
    const read = await rows('\uFEFFvisitors,Page,extra,date\r\n3,"/a, ""b""",x,2024-01-02\r\n\r\n0,/c,,2024-01-03\n', s);
    expect(read).toEqual([
      { line: 2, values: { date: '2024-01-02', page: '/a, "b"', visitors: 3, exits: 0 } },
      { line: 4, values: { date: '2024-01-03', page: '/c', visitors: 0, exits: 0 } },
    ]);
  });

  it('counts lines across quoted line breaks and chunk boundaries', async () => {
    const text = 'date,page,visitors\n2024-01-01,"/multi\nline",1\n2024-01-02,/x,2\n';
    const bytes = Buffer.from(text);
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte at a time
    const read = await rows(chunks);
    expect(read.map((r) => r.line)).toEqual([3, 4]);
    const e = await failure(`${text}2024-01-03,/y,-1\n`);
    expect([e.line, e.message]).toEqual([5, 'f.csv, line 5: visitors: must be a whole number ≥ 0, not "-1"']);
  });

  it.each([
    ['a missing column', 'date,visitors\n2024-01-01,1\n', 1, 'missing column page'],
    ['a duplicate column', 'date,page,page,visitors\n', 1, 'the column page appears twice'],
    ['a bad date', 'date,page,visitors\n2024-01-01,/a,1\n2024-02-30,/b,1\n', 3, 'date: must be a date YYYY-MM-DD, not "2024-02-30"'],
    ['a short (truncated) line', 'date,page,visitors\n2024-01-01,/a,1\n2024-01-02,/b', 3, 'not valid CSV'],
    ['an unclosed quote', 'date,page,visitors\n2024-01-01,"/a,1\n', 2, 'not valid CSV'],
  ])('stops at %s, naming the line', async (_, text, line, problem) => {
    const e = await failure(text);
    expect(e.line).toBe(line);
    expect(e.message).toContain(problem);
    expect(e.field).toBe('body');
  });

  it('refuses an empty file', async () => {
    expect((await failure('')).message).toBe('f.csv: is empty: a header line naming the columns is required');
  });
});

describe("Plausible's export", () => {
  it('knows its file names, with and without the date range, and nothing else', () => {
    expect(plausibleTable('imported_pages_20240101_20241231.csv')).toBe('imported_pages');
    expect(plausibleTable('export/imported_visitors_20240101_20240131.csv')).toBe('imported_visitors');
    expect(plausibleTable('operating_systems_20240101_20240131.csv')).toBe('imported_operating_systems');
    expect(plausibleTable('imported_custom_events.csv')).toBe('imported_custom_events');
    expect(plausibleTable('imported_unknown_20240101_20240131.csv')).toBeNull();
    expect(plausibleTable('notes.txt')).toBeNull();
  });

  it('turns seconds into ms, and the older pages file’s time on page into totals over non-exit views', () => {
    expect(
      plausibleRow('imported_visitors', { date: '2024-01-01', visitors: 3, pageviews: 5, bounces: 1, visits: 4, visit_duration: 90 }),
    ).toEqual({
      date: '2024-01-01',
      visitors: 3,
      pageviews: 5,
      bounces: 1,
      visits: 4,
      visit_duration_ms: 90_000,
    });
    const base = {
      date: '2024-01-01',
      hostname: 'a.example',
      page: '/',
      visits: 4,
      visitors: 3,
      pageviews: 10,
      exits: 4,
      total_scroll_depth: 0,
      total_scroll_depth_visits: 0,
    };
    expect(
      plausibleRow('imported_pages', { ...base, time_on_page: 120, total_time_on_page: 0, total_time_on_page_visits: 0 }),
    ).toMatchObject({
      time_on_page_ms: 120_000,
      time_on_page_visits: 6,
    });
    expect(
      plausibleRow('imported_pages', { ...base, time_on_page: 0, total_time_on_page: 50, total_time_on_page_visits: 2 }),
    ).toMatchObject({
      time_on_page_ms: 50_000,
      time_on_page_visits: 2,
    });
    expect(
      plausibleRow('imported_browsers', {
        date: '2024-01-01',
        browser: 'Firefox',
        browser_version: '128',
        visitors: 1,
        visits: 1,
        visit_duration: 7,
        bounces: 0,
        pageviews: 2,
      }),
    ).toEqual({
      date: '2024-01-01',
      browser: 'Firefox',
      browser_version: '128',
      visitors: 1,
      visits: 1,
      visit_duration_ms: 7000,
      bounces: 0,
      pageviews: 2,
    });
  });

  it('has a spec for every imported table, each with a date', () => {
    for (const s of Object.values(PLAUSIBLE_SPECS)) expect(s.date).toEqual({ kind: 'date', required: true });
  });
});

describe("Umami's export", () => {
  const base = { session_id: 's', visit_id: 'v', url_path: '/a', event_type: 1, created_at: '2024-01-01 10:00:00' };
  const empty = Object.fromEntries(Object.keys(UMAMI_SPEC).map((k) => [k, ''])) as Record<string, string>;

  it('keeps pageviews and custom events, with Tidemark’s names of browsers and systems, Plausible’s of devices', () => {
    const row = umamiRow({
      ...empty,
      ...base,
      browser: 'edge-chromium',
      os: 'Windows 10',
      device: 'laptop',
      country: 'de',
      referrer_domain: 'www.Google.com',
    });
    expect(row).toMatchObject({
      browser: 'Edge',
      os: 'Windows',
      device: 'Laptop',
      country: 'DE',
      referrer_domain: 'google.com',
      source: 'Google',
      channel: 'Organic Search',
      event_name: '',
    });
    expect(umamiRow({ ...empty, ...base, event_type: 2, event_name: 'signup', browser: 'ios', os: 'Android OS' })).toMatchObject({
      event_type: 2,
      event_name: 'signup',
      browser: 'Mobile Safari',
      os: 'Android',
    });
  });

  it('names sources and channels by the Query API’s rules', () => {
    const of = (fields: Record<string, string>) => {
      const row = umamiRow({ ...empty, ...base, hostname: 'u.example', ...fields });
      return [row?.source, row?.channel];
    };
    expect(of({})).toEqual(['Direct / None', 'Direct']);
    expect(of({ referrer_domain: 'news.ycombinator.com' })).toEqual(['Hacker News', 'Organic Social']);
    expect(of({ referrer_domain: 'blog.example.org' })).toEqual(['blog.example.org', 'Referral']);
    expect(of({ referrer_domain: 'chatgpt.com' })).toEqual(['ChatGPT', 'AI Assistants']);
    expect(of({ utm_source: 'newsletter', utm_medium: 'email' })).toEqual(['newsletter', 'Email']);
    expect(of({ utm_source: 'google', utm_medium: 'cpc' })).toEqual(['google', 'Paid Search']);
    expect(of({ referrer_domain: 'u.example' })).toEqual(['Direct / None', 'Direct']); // its own pages
  });

  it('leaves out link, pixel and performance events', () => {
    expect(umamiRow({ ...empty, ...base, event_type: 5 })).toBeNull();
  });
});
