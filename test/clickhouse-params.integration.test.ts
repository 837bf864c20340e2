/**
 * Query parameters in the embedded engine (packages/shared/src/clickhouse-params.ts) bind to what
 * the ClickHouse server binds: random values of every kind the client formats (strings with
 * quotes, backslashes, NUL, control characters, `{`/`}`, `$$`, comment markers, `\N`, unicode,
 * lone surrogates; arrays, maps, tuples, NULLs, dates, DateTime64, Dates, 64-bit integers,
 * floats, UUIDs, IPs, decimals, enums — and values their type refuses) go through the same
 * `@clickhouse/client` call to the embedded engine and to the real server; the rows must be the
 * same bytes, or both must fail with the same error code. Many run at once, so a value bound to
 * the wrong statement would show. A failure prints the round's seed.
 */

import { ClickHouseLogLevel, createClient, TupleParam } from '@clickhouse/client';
import { type ClickHouseClient, clickhouseErrorCode, createClickHouse, loadConfig } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processDataDir, waitFor } from './harness.ts';
import { prng } from './reference/workload.ts';

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const PIECES = [
  "'",
  "''",
  '\\',
  '\\\\',
  '\0',
  '\n',
  '\t',
  '\r',
  '\b',
  '\f',
  '\x7f',
  '{',
  '}',
  '{x:String}',
  ':',
  '"',
  '`',
  '$$',
  '%',
  ';',
  '--',
  '/*',
  '*/',
  '\\N',
  'NULL',
  ',',
  '[',
  ']',
  '(',
  ')',
  "x'",
  'é',
  '€',
  '😀',
  '\u0301',
  '\u2028',
  '\ud800',
  '\udc00',
  ' ',
  'a',
  'Z',
  '0',
];
const text = (r: Random, max = 12) => Array.from({ length: int(r, 0, max) }, () => pick(r, PIECES)).join('');
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const hex = (r: Random, n: number) => Array.from({ length: n }, () => pick(r, [...'0123456789abcdef'])).join('');
const uuid = (r: Random) => (r() < 0.1 ? text(r, 3) : `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`);
const someMs = (r: Random) => int(r, -2_208_988_800_000, 7_258_118_400_000); // 1900 … 2200

/** A ClickHouse type and a random value for it: mostly valid, now and then one the type refuses. */
const KINDS: [string, (r: Random) => unknown][] = [
  ['String', (r) => text(r)],
  ['Nullable(String)', (r) => (r() < 0.3 ? null : text(r))],
  ['LowCardinality(String)', (r) => text(r)],
  ['FixedString(6)', (r) => text(r, 3)],
  ['Array(String)', (r) => Array.from({ length: int(r, 0, 4) }, () => text(r, 6))],
  ['Array(Nullable(String))', (r) => Array.from({ length: int(r, 0, 4) }, () => (r() < 0.3 ? null : text(r, 6)))],
  ['Array(Array(String))', (r) => Array.from({ length: int(r, 0, 3) }, () => Array.from({ length: int(r, 0, 2) }, () => text(r, 4)))],
  ['Map(String, String)', (r) => Object.fromEntries(Array.from({ length: int(r, 0, 3) }, () => [text(r, 4), text(r, 4)]))],
  ['Tuple(String, Int64)', (r) => new TupleParam([text(r, 6), int(r, -1e9, 1e9)])],
  ['UInt32', (r) => pick(r, [int(r, 0, 4_294_967_295), -1, 4_294_967_296, int(r, 0, 99), text(r, 3), String(int(r, 0, 9999))])],
  [
    'Int64',
    (r) =>
      pick(r, [
        BigInt(int(r, -(2 ** 31), 2 ** 31)) * 4_294_967_296n + BigInt(int(r, 0, 2 ** 31)),
        -(2n ** 63n),
        2n ** 63n - 1n,
        2n ** 63n,
        int(r, -1e15, 1e15),
      ]),
  ],
  ['UInt64', (r) => pick(r, [2n ** 64n - 1n, 2n ** 64n, BigInt(int(r, 0, 2 ** 31)) ** 2n, String(int(r, 0, 1e9))])],
  [
    'Float64',
    (r) =>
      pick(r, [
        r() * 10 ** int(r, -30, 30),
        -r(),
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        5e-324,
        Number.MAX_VALUE,
      ]),
  ],
  ['Bool', (r) => pick(r, [true, false, 1, 0, 'true', text(r, 2)])],
  ['Date', (r) => pick(r, [isoDay(int(r, 0, 4_000_000_000_000)), isoDay(someMs(r)), text(r, 3)])],
  ['Date32', (r) => isoDay(someMs(r))],
  [
    "DateTime('UTC')",
    (r) => (r() < 0.5 ? new Date(int(r, 0, 4_000_000_000) * 1000) : new Date(someMs(r)).toISOString().slice(0, 19).replace('T', ' ')),
  ],
  ["DateTime64(3, 'UTC')", (r) => (r() < 0.5 ? new Date(someMs(r)) : new Date(someMs(r)).toISOString().slice(0, 23).replace('T', ' '))],
  [
    "DateTime64(6, 'Asia/Kolkata')",
    (r) => `${isoDay(someMs(r))} ${pad(int(r, 0, 23))}:${pad(int(r, 0, 59))}:${pad(int(r, 0, 59))}.${pad(int(r, 0, 999_999), 6)}`,
  ],
  ["Nullable(DateTime64(3, 'UTC'))", (r) => (r() < 0.3 ? null : new Date(int(r, 0, 4_000_000_000_000)))],
  ['UUID', (r) => uuid(r)],
  ['Array(UUID)', (r) => Array.from({ length: int(r, 0, 3) }, () => uuid(r))],
  ['Decimal(18, 4)', (r) => pick(r, [`${int(r, -1e9, 1e9)}.${int(r, 0, 9999)}`, (r() * 1e6).toFixed(int(r, 0, 6)), text(r, 2)])],
  ['IPv4', (r) => pick(r, [`${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 256)}`, text(r, 3)])],
  ['IPv6', (r) => pick(r, [`2001:db8::${hex(r, 4)}`, '::ffff:1.2.3.4', text(r, 3)])],
  ["Enum8('a' = 1, 'b\\'' = 2)", (r) => pick(r, ['a', "b'", 'c', 1, text(r, 2)])],
];

/** One statement with 1–4 random parameters, also naming a placeholder inside a string literal. */
function round(seed: number): { query: string; params: Record<string, unknown> } {
  const r = prng(seed);
  const params: Record<string, unknown> = {};
  const columns: string[] = [];
  for (let i = 0; i < int(r, 1, 4); i++) {
    const [type, value] = pick(r, KINDS);
    params[`p${i}`] = value(r);
    columns.push(`{p${i}:${type}} AS v${i}`, `toTypeName(v${i}) AS t${i}`);
  }
  columns.push(`'{p0:String}' AS not_a_placeholder`);
  return { query: `SELECT ${columns.join(', ')}`, params };
}

/** The rows as text, or the error code. */
async function answer(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<string> {
  try {
    return await (await client.query({ query, query_params: params, format: 'TabSeparatedWithNames' })).text();
  } catch (error) {
    const code = clickhouseErrorCode(error);
    if (code === null) throw error;
    return `error ${code}`;
  }
}

describe('query parameters: embedded engine binds what the server binds', () => {
  let embedded: ClickHouseClient;
  let server: ClickHouseClient;
  beforeAll(() => {
    embedded = createClickHouse(loadConfig({ DATA_DIR: processDataDir() }).clickhouse);
    // The server's client as createClickHouse makes it, without logging each refused value.
    server = createClient({ url: inject('clickhouseUrl'), log: { level: ClickHouseLogLevel.OFF } });
  });
  afterAll(async () => {
    await embedded?.close();
    await server?.close();
  });

  it('gives the same rows or the same error for random values, 400 statements 50 at a time', async () => {
    const base = Date.now() % 1_000_000_000;
    let errors = 0;
    for (let batch = 0; batch < 8; batch++) {
      const seeds = Array.from({ length: 50 }, (_, i) => base + batch * 50 + i);
      const rounds = seeds.map(round);
      const [ours, theirs] = await Promise.all([
        Promise.all(rounds.map((s) => answer(embedded, s.query, s.params))),
        Promise.all(rounds.map((s) => answer(server, s.query, s.params))),
      ]);
      seeds.forEach((seed, i) => {
        expect(ours[i], `seed ${seed}: ${rounds[i]?.query}`).toBe(theirs[i]);
        if (ours[i]?.startsWith('error')) errors++;
      });
    }
    // Both kinds were seen: values that bind, and values their type refuses.
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(300);
  });

  it('keeps a value that looks like SQL a value', async () => {
    const evil = "x'; DROP TABLE t; SELECT '\\' -- {p:String} */ $$";
    const rows = await (
      await embedded.query({ query: 'SELECT {p:String} AS v, length({p:String}) AS n', query_params: { p: evil }, format: 'JSONEachRow' })
    ).json<{ v: string; n: number }>();
    expect(rows).toEqual([{ v: evil, n: Buffer.byteLength(evil) }]);
  });

  it('runs parameterized statements side by side: a second one sees the first still running', async () => {
    const marker = `side_by_side_${process.pid}_${Date.now()}`;
    // About 3 s of sleeping in 60 blocks; in turn, the probe could only run once it had ended.
    const slow = embedded.query({
      query: 'SELECT {m:String} AS m, sum(sleepEachRow(0.05)) AS s FROM numbers(60) SETTINGS max_block_size = 1',
      query_params: { m: marker },
      format: 'JSONEachRow',
    });
    let ended = false;
    const done = slow.then(() => {
      ended = true;
    });
    const probe = async () => {
      const rows = await (
        await embedded.query({
          query: "SELECT count() AS n FROM system.processes WHERE query LIKE {m:String} AND query NOT LIKE '%system.processes%'",
          query_params: { m: `%${marker}%` },
          format: 'JSONEachRow',
        })
      ).json<{ n: number | string }>();
      return { running: Number(rows[0]?.n) > 0 };
    };
    const seen = await waitFor(probe, (p) => p.running || ended, 30_000, 50);
    expect(seen.running).toBe(true);
    await done;
  });

  it("ends a statement's settings with it, as a server does", async () => {
    const limited = await embedded.query({
      query: 'SELECT 1 AS one',
      format: 'JSONEachRow',
      clickhouse_settings: { max_result_rows: '1', result_overflow_mode: 'throw' },
    });
    expect(await limited.json()).toEqual([{ one: 1 }]);
    const rows = await (await embedded.query({ query: 'SELECT number FROM numbers(3)', format: 'JSONEachRow' })).json();
    expect(rows).toHaveLength(3);
  });
});
