import type { ClickHouseClient } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { asRequest, RequestEndedError, singleFlight, statementKey } from './single-flight.ts';

/** A statement the test answers (or fails) when it likes, counting how often one was started. */
function statements() {
  const started: { key: string; answer: (rows: Record<string, unknown>[]) => void; fail: (e: Error) => void }[] = [];
  const start = (key: string) => () =>
    new Promise<Record<string, unknown>[]>((answer, fail) => {
      started.push({ key, answer, fail });
    });
  return { started, start };
}

const client = {} as ClickHouseClient;
const other = {} as ClickHouseClient;

describe('singleFlight', () => {
  it('runs a statement asked again while it runs once, and each caller gets the rows', async () => {
    const { started, start } = statements();
    const key = statementKey('SELECT {a:UInt8}', { a: 1 }, 15);
    const first = singleFlight(client, key, start(key));
    const second = singleFlight(client, key, start(key));
    expect(started).toHaveLength(1);
    started[0]?.answer([{ x: 1 }]);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual([{ x: 1 }]);
    expect(b).toEqual([{ x: 1 }]);
    // Rows of its own: a caller changing its rows changes nobody else's.
    expect(b[0]).not.toBe(a[0]);
  });

  it('runs statements that differ in text, parameters, limit or client apart', async () => {
    const { started, start } = statements();
    const keys = [
      statementKey('SELECT {a:UInt8}', { a: 1 }, 15),
      statementKey('SELECT {a:UInt8} ', { a: 1 }, 15),
      statementKey('SELECT {a:UInt8}', { a: 2 }, 15),
      statementKey('SELECT {a:UInt64}', { a: 1n }, 15),
      statementKey('SELECT {a:UInt64}', { a: '1' }, 15),
      statementKey('SELECT {a:UInt8}', { a: 1 }, 30),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    const all = keys.map((k) => singleFlight(client, k, start(k)));
    all.push(singleFlight(other, keys[0] as string, start('other')));
    expect(started).toHaveLength(keys.length + 1);
    for (const s of started) s.answer([{ key: s.key }]);
    expect((await Promise.all(all)).map((rows) => rows[0]?.key)).toEqual([...keys, 'other']);
  });

  it('runs a statement again once it has answered: nothing is kept', async () => {
    const { started, start } = statements();
    const key = statementKey('SELECT 1', {}, 15);
    const first = singleFlight(client, key, start(key));
    started[0]?.answer([{ n: 1 }]);
    await first;
    const again = singleFlight(client, key, start(key));
    expect(started).toHaveLength(2);
    started[1]?.answer([{ n: 2 }]);
    expect(await again).toEqual([{ n: 2 }]);
  });

  it('gives every caller the error of a statement that fails, and forgets it', async () => {
    const { started, start } = statements();
    const key = statementKey('SELECT boom', {}, 15);
    const first = singleFlight(client, key, start(key));
    const second = singleFlight(client, key, start(key));
    started[0]?.fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await expect(second).rejects.toThrow('boom');
    const third = singleFlight(client, key, start(key));
    expect(started).toHaveLength(2);
    started[1]?.answer([]);
    expect(await third).toEqual([]);
  });

  it('never gives a later request the error of a statement whose request has already ended', async () => {
    // Request A asks two statements at once; one fails, so A ends (a 503) while the other (`slow`)
    // still runs near its limit. Request B, asked right after with the same statement, must run
    // its own, not join A's and get its error moments later.
    const { started, start } = statements();
    const slow = statementKey('SELECT slow', {}, 15);
    const boom = statementKey('SELECT boom', {}, 15);
    const a = asRequest(() => Promise.all([singleFlight(client, slow, start(slow)), singleFlight(client, boom, start(boom))]));
    expect(started.map((s) => s.key)).toEqual([slow, boom]);
    started[1]?.fail(new Error('timeout'));
    await expect(a).rejects.toThrow('timeout');
    const b = asRequest(() => singleFlight(client, slow, start(slow)));
    // A's statement fails after B has asked: B is not answered by it.
    started[0]?.fail(new Error('timeout'));
    expect(started.map((s) => s.key)).toEqual([slow, boom, slow]);
    started[2]?.answer([{ n: 1 }]);
    expect(await b).toEqual([{ n: 1 }]);
  });

  it('shares a statement among requests while the one that started it runs, and starts nothing for one that has ended', async () => {
    const { started, start } = statements();
    const key = statementKey('SELECT shared', {}, 15);
    let open: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let later: Promise<unknown> | undefined;
    const a = asRequest(async () => {
      const rows = await singleFlight(client, key, start(key));
      // A branch of request A that goes on after A has ended (as one does after its sibling failed).
      later = gate.then(() => singleFlight(client, key, start(key)));
      return rows;
    });
    const b = asRequest(() => singleFlight(client, key, start(key)));
    expect(started).toHaveLength(1);
    started[0]?.answer([{ n: 1 }]);
    expect(await a).toEqual([{ n: 1 }]);
    expect(await b).toEqual([{ n: 1 }]);
    open?.();
    await expect(later).rejects.toBeInstanceOf(RequestEndedError);
    expect(started).toHaveLength(1);
  });
});
