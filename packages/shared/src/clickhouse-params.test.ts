import { describe, expect, it } from 'vitest';
import { paramStatement } from './clickhouse-params.ts';

/** Every value only as hexadecimal digits in x'…', every name a plain identifier. */
const SHAPE = /^SET param_[A-Za-z_][A-Za-z0-9_]* = x'[0-9a-f]*'(, param_[A-Za-z_][A-Za-z0-9_]* = x'[0-9a-f]*')*; $/;

describe('paramStatement', () => {
  it('is empty without parameters', () => {
    expect(paramStatement(undefined)).toBe('');
    expect(paramStatement({})).toBe('');
  });

  it("sets each parameter to the client's text for it, as hexadecimal UTF-8", () => {
    const sql = paramStatement({ s: "it's\n", n: 42, a: ['x', null], d: null, t: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) });
    const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
    // The texts @clickhouse/client sends a server as param_s … param_t.
    expect(sql).toBe(
      `SET param_s = x'${hex("it\\'s\\n")}', param_n = x'${hex('42')}', param_a = x'${hex("['x',NULL]")}', ` +
        `param_d = x'${hex('\\N')}', param_t = x'${hex('1767323045.006')}'; `,
    );
    expect(sql).toMatch(SHAPE);
  });

  it('puts nothing of a value but hexadecimal digits into the SQL', () => {
    const nasty = ["'", '\\', "x'; DROP TABLE t; --", '\0', '}', '{p:String}', '$$', '/*', '😀', '\ud800'];
    for (const value of [...nasty, nasty, Object.fromEntries(nasty.map((v, i) => [v, i]))]) {
      expect(paramStatement({ p: value })).toMatch(SHAPE);
    }
  });

  it('refuses a name that is not a plain identifier', () => {
    for (const name of ['a-b', '1a', 'a b', '', "a = x'00'; DROP TABLE t; SET param_b", 'é']) {
      expect(() => paramStatement({ [name]: 1 })).toThrow(/Invalid query parameter name/);
    }
  });
});
